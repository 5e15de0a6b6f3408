"""The text that runs harvester unattended: a crontab line, or a systemd service and timer.

cron and systemd timers run `harvest run` every few minutes; each saved query still runs only
when its own schedule is due (harvester.queries).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harvester.config import ENV_VARS, Settings

SECRET_VARS = {"HARVEST_EMAIL", "NCBI_API_KEY"}


def schedule_text(settings: Settings, every: int, systemd: bool) -> str:
    workdir = Path.cwd().resolve()
    executable = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "harvest" else None
    command = str(executable) if executable and executable.exists() else (
        f"{Path(sys.executable).resolve()} -m harvester")
    log_file = (settings.db.parent / "harvest.log").resolve()
    env = {var: str(Path(value).resolve()) if var in ("HARVEST_DB", "HARVEST_QUERIES") else value
           for var, value in exported_settings().items()}
    run_line = f"{command} run -q --log-file {log_file}"
    from_shell = [v for v in SECRET_VARS if v in os.environ]
    notes = []
    if from_shell or not settings.email:
        notes.append(f"# cron and systemd do not see your shell's exports: put email (and "
                     f"ncbi_api_key) in {workdir / 'harvest.toml'}")
    if systemd:
        environment = "".join(f"Environment={k}={v}\n" for k, v in env.items())
        return "\n".join(notes + [
            "# ~/.config/systemd/user/harvester.service",
            "[Unit]", "Description=harvester: collect new literature records", "",
            "[Service]", "Type=oneshot", f"WorkingDirectory={workdir}",
            environment + f"ExecStart={run_line}",
            "# 75: another run still holds the database; not a failure",
            "SuccessExitStatus=75", "",
            "# ~/.config/systemd/user/harvester.timer",
            "[Unit]", f"Description=Run harvester every {every} minutes", "",
            "[Timer]", f"OnCalendar=*:0/{every}", "Persistent=true", "",
            "[Install]", "WantedBy=timers.target", "",
            "# then: systemctl --user enable --now harvester.timer"])
    exports = "".join(f"{k}={v} " for k, v in env.items())
    return "\n".join(notes + [
        f"# harvester: every {every} minutes; each saved query runs when its schedule is due",
        f"*/{every} * * * * cd {workdir} && {exports}{run_line}"])


def exported_settings() -> dict[str, str]:
    """Non-secret settings set in the environment, to repeat in the cron line."""
    return {var: os.environ[var] for var in ENV_VARS.values()
            if var not in SECRET_VARS and os.environ.get(var)}
