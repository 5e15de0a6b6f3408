"""The command line: bad input gets one clear line and exit 2, the lock, the ledger, --help."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest

from harvester import cli, db, ledger
from tests.conftest import EMAIL, rows, write_query

DB = "data/harvest.db"


def test_missing_email_refuses_to_run(workdir, harvest):
    write_query(workdir / "queries", "her2")
    result = harvest("run", "--no-enrich")
    assert result.exit_code == 2
    assert result.err == ("Error: HARVEST_EMAIL is not set: NCBI asks every client for a contact "
                          "address; export HARVEST_EMAIL=you@example.org (or set email in "
                          "harvest.toml)\n")
    assert not Path(DB).exists()


def test_malformed_email_is_refused_without_echoing_it(workdir, harvest, monkeypatch):
    monkeypatch.setenv("HARVEST_EMAIL", "editor-at-newsletter")
    result = harvest("run", "--no-enrich")
    assert result.exit_code == 2
    assert result.err == ("Error: HARVEST_EMAIL is not an email address; set it to a real contact "
                          "like editor@newsletter.org\n")


def test_malformed_base_url(workdir, harvest, monkeypatch):
    monkeypatch.setenv("HARVEST_EMAIL", EMAIL)
    monkeypatch.setenv("HARVEST_EUTILS_URL", "ftp://mirror.example.org/eutils")
    result = harvest("run", "--no-enrich")
    assert result.exit_code == 2
    assert result.err == ("Error: HARVEST_EUTILS_URL='ftp://mirror.example.org/eutils' is not an "
                          "http(s) URL; give e.g. https://eutils.ncbi.nlm.nih.gov/entrez/eutils\n")


def test_harvest_toml_is_read_and_the_environment_wins(workdir, fake, harvest, monkeypatch):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    (workdir / "harvest.toml").write_text('db = "elsewhere/h.db"\nemail = "toml@newsletter.org"\n')

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert Path("elsewhere/h.db").exists() and not Path(DB).exists()
    assert fake.calls("esearch")[0]["email"] == EMAIL  # HARVEST_EMAIL beats the file
    assert harvest("run", "--no-enrich", "--all", "--db", "other.db").exit_code == 0
    assert rows("other.db", "SELECT pmid FROM articles") == [{"pmid": 41000001}]


def test_unknown_key_in_harvest_toml(workdir, harvest):
    (workdir / "harvest.toml").write_text('emial = "x@y.org"\n')
    result = harvest("queries", "list")
    assert result.exit_code == 2
    assert result.err == ("Error: harvest.toml: unknown key 'emial'; allowed keys: db, queries, "
                          "email, ncbi_api_key, eutils_url, eutils_rate, unpaywall_url, "
                          "europepmc_url, crossref_url, enrich_limit, max_response_mb, timeout, "
                          "retries, backoff\n")


def test_an_invalid_query_file_is_skipped_and_the_others_run(workdir, fake, harvest):
    write_query(workdir / "queries", "good", start="2025-01-01")
    (workdir / "queries" / "broken.toml").write_text('term = "x"\nschedule = "fortnightly"\n')
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 2
    assert result.out == "good: ok, 1 found, 1 new\n"
    assert ("Error: queries/broken.toml: schedule = 'fortnightly' is not valid; use hourly, "
            "daily, weekly or a 5-field cron expression like '0 6 * * 1-5'\n") in result.err
    assert rows(DB, "SELECT queries FROM articles") == [{"queries": '["good"]'}]


def test_unknown_query_name(workdir, fake, harvest):
    write_query(workdir / "queries", "her2")
    result = harvest("run", "--no-enrich", "--query", "her3")
    assert result.exit_code == 2
    assert result.err == ("Error: no valid saved query named 'her3' (known: her2); see `harvest "
                          "queries list`\n")


@pytest.mark.parametrize("setup, message", [
    (lambda p: p.mkdir(parents=True),
     "data/harvest.db: is a directory, not a database file; point HARVEST_DB (--db) at a file "
     "such as data/harvest.db"),
    (lambda p: (p.parent.mkdir(), p.write_text("pmid,title\n1,x\n")),
     "data/harvest.db: is not an SQLite database; move it away or point HARVEST_DB (--db) at "
     "another file"),
    (lambda p: (p.parent.mkdir(), _sqlite_with_version(p, db.SCHEMA_VERSION + 1)),
     f"data/harvest.db: written by a newer harvester (schema {db.SCHEMA_VERSION + 1}, this one "
     f"knows {db.SCHEMA_VERSION}); upgrade harvester (pip install -U .)"),
], ids=["directory", "not sqlite", "newer schema"])
def test_a_bad_database_path(workdir, fake, harvest, setup, message):
    write_query(workdir / "queries", "her2")
    path = Path(DB)
    setup(path)
    before = path.read_bytes() if path.is_file() else None

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 2
    assert result.err == f"Error: {message}\n"
    assert fake.requests == []
    if before is None:  # the directory is left as it was: empty, nothing written into it
        assert path.is_dir() and list(path.iterdir()) == []
    else:
        assert path.read_bytes() == before


def _sqlite_with_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def test_an_empty_sqlite_file_is_upgraded_in_place(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    Path("data").mkdir()
    conn = sqlite3.connect(DB)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('an analyst was here')")
    conn.commit()
    conn.close()
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))

    assert harvest("run", "--no-enrich").exit_code == 0

    assert rows(DB, "SELECT * FROM notes") == [{"text": "an analyst was here"}]
    assert rows(DB, "PRAGMA user_version") == [{"user_version": db.SCHEMA_VERSION}]
    assert rows(DB, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_a_second_run_on_the_same_database_exits_75(workdir, fake, harvest):
    from harvester.lock import RunLock
    write_query(workdir / "queries", "her2")
    with RunLock(Path(DB)) as lock:
        lock.acquire("2026-01-01T00:00:00Z")
        result = harvest("run", "--no-enrich")
    assert result.exit_code == 75
    assert result.err == (f"Error: another harvest run is using data/harvest.db (pid {os.getpid()}, "
                          "started 2026-01-01T00:00:00Z); wait for it to finish\n")
    assert fake.requests == []


def test_a_run_left_running_is_marked_crashed(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    conn = db.connect(Path(DB))
    ledger.start_run(conn, 99999, "harvest run", "2026-01-01T00:00:00Z")
    conn.close()

    assert harvest("run", "--no-enrich").exit_code == 0

    assert rows(DB, "SELECT id, status FROM runs ORDER BY id") == [
        {"id": 1, "status": "crashed"}, {"id": 2, "status": "ok"}]


def test_queries_list_and_status(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01", schedule="0 6 * * 1-5")
    write_query(workdir / "queries", "off", enabled=False)
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    assert harvest("run", "--no-enrich").exit_code == 0

    listing = harvest("queries", "list")
    assert listing.exit_code == 0
    lines = listing.out.splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "SCHEDULE", "ENABLED", "LAST", "SUCCESS", "LAST",
                                "STATUS", "THROUGH"]
    assert lines[1].split()[:7] == ["her2", "pubmed", "0", "6", "*", "*", "1-5"]
    assert lines[1].split()[7:8] == ["yes"] and lines[1].split()[-2:] == [
        "ok", dt.datetime.now(dt.timezone.utc).date().isoformat()]
    assert lines[2].split() == ["off", "pubmed", "daily", "no", "never", "-", "-"]

    status = harvest("status", "--json")
    assert status.exit_code == 0
    import json
    report = json.loads(status.out)
    assert report["articles"] == 1
    assert [(r["status"], r["new"]) for r in report["runs"]] == [("ok", 1)]
    assert [(q["query"], q["articles"], q["last_status"]) for q in report["queries"]] == [
        ("her2", 1, "ok")]
    text = harvest("status")
    assert text.exit_code == 0 and text.out.startswith("1 articles in data/harvest.db\n")


def test_status_without_a_database(workdir, harvest):
    result = harvest("status")
    assert result.exit_code == 2
    assert result.err == "Error: data/harvest.db: no database yet; run `harvest run` first\n"


def _command_tree(command: click.Command, path: tuple[str, ...] = ()):
    """Every command and subcommand of the click group, so a new one cannot be left out."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _command_tree(sub, (*path, name))


COMMANDS = dict(_command_tree(cli.cli))


def test_the_help_walk_sees_every_command():
    assert {" ".join(path) for path in COMMANDS} >= {
        "", "coi", "coi classify", "digest", "enrich", "enrich coi", "enrich oa", "export",
        "queries", "queries check", "queries list", "run", "schedule", "search", "status"}


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "harvest")
def test_every_command_has_help_with_examples(harvest, path):
    command = COMMANDS[path]
    result = harvest(*path, "--help")
    assert (result.exit_code, result.err) == (0, "")
    usage, blank, description, *rest = result.out.splitlines()
    name = " ".join(("harvest", *path))
    assert usage.startswith(f"Usage: {name} [OPTIONS]")
    assert blank == ""
    # A non-empty description, the docstring's first line (wrapped by click).
    summary = (command.help or "").split("\n\n")[0]
    assert description.strip() and description.strip() in " ".join(summary.split())
    if isinstance(command, click.Group):  # a group lists each of its commands
        listed = result.out.split("\nCommands:\n", 1)[1]
        assert [line.split()[0] for line in listed.splitlines() if line.startswith("  ")
                and not line.startswith("   ")] == sorted(command.commands)
    if path and not isinstance(command, click.Group):
        assert f"    {name}" in result.out  # an example line


def test_installed_command_against_loopback(workdir, fake, oa, httpserver):
    """The console script as a user runs it: a subprocess, env vars, the loopback server."""
    executable = shutil.which("harvest", path=str(Path(sys.executable).parent)) or shutil.which(
        "harvest")
    assert executable, "pip install -e '.[test]' installs the harvest command"
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_file(Path(__file__).parent / "fixtures" / "pubmed" / "cell_press_two.xml")
    oa.add_europepmc(pmid="41028430", doi="10.1016/j.semcancer.2025.02.004", pmcid="PMC99001",
                     inEPMC="Y", inPMC="Y")
    env = {**os.environ, "HARVEST_EMAIL": EMAIL, "NCBI_API_KEY": "k3y-for-tests-0123456789",
           "HARVEST_EUTILS_URL": httpserver.url_for("/").rstrip("/"), "HARVEST_EUTILS_RATE": "50"}

    done = subprocess.run([executable, "run", "--log-file", "logs/harvest.log"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=workdir)

    assert done.returncode == 0, done.stderr
    assert done.stdout == ("her2: ok, 2 found, 2 new\n"
                           "open access: 2 checked, 2 changed, 1 open\n"
                           "conflicts of interest: 2 checked, 1 statements, 1 declared\n")
    assert done.stderr == ""  # no terminal (cron): nothing to mail when all went well
    log_lines = (workdir / "logs" / "harvest.log").read_text().splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} INFO her2: edat "
                        r"2025-01-01\.\.\d{4}-\d\d-\d\d: 2 records", log_lines[0])
    assert log_lines[1].endswith(" INFO her2: 2 found, 2 new")
    assert rows(workdir / DB, "SELECT pmid, doi, journal, oa_status, is_oa, oa_url FROM articles "
                              "ORDER BY pmid") == [
        {"pmid": 41028430, "doi": "10.1016/j.semcancer.2025.02.004",
         "journal": "Seminars in cancer biology", "oa_status": "green", "is_oa": 1,
         "oa_url": "https://europepmc.org/article/PMC/PMC99001"},
        {"pmid": 41212658, "doi": "10.1016/j.ccell.2025.10.007", "journal": "Cancer cell",
         "oa_status": "unknown", "is_oa": None, "oa_url": None}]
    assert fake.calls("esearch")[0]["api_key"] == "k3y-for-tests-0123456789"
    module = subprocess.run([sys.executable, "-m", "harvester", "--version"], capture_output=True,
                            text=True, timeout=60)
    assert module.stdout == "harvest, version 0.1.0\n"


def test_terminal_progress_line():
    import io
    from harvester.console import TerminalProgress
    out = io.StringIO()
    progress = TerminalProgress(out)
    progress("her2", 5, 10)
    progress("her2", 6, 10)  # within 0.1 s of the last: not redrawn
    progress("her2", 10, 10)  # the last one always is
    progress.close()
    assert out.getvalue() == ("\rher2: [###############...............] 5/10 records"
                              "\rher2: [##############################] 10/10 records\n")


def test_schedule_prints_a_crontab_line_without_secrets(workdir, harvest, monkeypatch):
    monkeypatch.setenv("HARVEST_EMAIL", EMAIL)
    monkeypatch.setenv("NCBI_API_KEY", "k3y-not-to-print")
    monkeypatch.setenv("HARVEST_DB", "store/h.db")
    result = harvest("schedule", "--every", "10")
    assert result.exit_code == 0
    lines = result.out.splitlines()
    assert lines[0] == (f"# cron and systemd do not see your shell's exports: put email (and "
                        f"ncbi_api_key) in {workdir.resolve() / 'harvest.toml'}")
    assert lines[1] == ("# harvester: every 10 minutes; each saved query runs when its schedule "
                        "is due")
    command = f"{Path(sys.executable).resolve()} -m harvester"  # argv[0] is not `harvest` here
    assert lines[2] == (f"*/10 * * * * cd {workdir.resolve()} && HARVEST_DB="
                        f"{workdir.resolve() / 'store' / 'h.db'} HARVEST_EUTILS_URL=http://127.0.0.1:9 "
                        f"HARVEST_UNPAYWALL_URL=http://127.0.0.1:9 HARVEST_EUROPEPMC_URL="
                        f"http://127.0.0.1:9 HARVEST_CROSSREF_URL=http://127.0.0.1:9 {command} run -q "
                        f"--log-file "
                        f"{workdir.resolve() / 'store' / 'harvest.log'}")
    assert EMAIL not in result.out and "k3y-not-to-print" not in result.out

    units = harvest("schedule", "--systemd")
    assert "OnCalendar=*:0/15" in units.out.splitlines()
    assert "SuccessExitStatus=75" in units.out.splitlines()
    assert f"WorkingDirectory={workdir.resolve()}" in units.out.splitlines()
    assert "k3y-not-to-print" not in units.out and EMAIL not in units.out


def test_a_read_only_database_folder(workdir, fake, harvest):
    """Root ignores permission bits, so the folder is made immutable (chattr +i) instead."""
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    assert harvest("run", "--no-enrich").exit_code == 0
    Path(DB + ".lock").unlink()
    frozen = [str(workdir / "data"), str(workdir / DB)]
    if subprocess.run(["chattr", "+i", *frozen], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem")
    try:
        before = Path(DB).read_bytes()
        result = harvest("run", "--no-enrich", "--all")
        assert Path(DB).read_bytes() == before
    finally:
        subprocess.run(["chattr", "-i", *frozen], check=True)
    assert result.exit_code == 2
    assert result.err == ("Error: data: cannot write here (Operation not permitted); give this "
                          "user write access to the database's folder\n")


def test_views_are_rebuilt_only_when_their_definition_changes(workdir, monkeypatch):
    path = workdir / "v.db"
    db.connect(path).close()
    statements = []
    conn = db.connect(path)
    conn.set_trace_callback(statements.append)
    db.ensure_views(conn)
    assert not any("VIEW" in s for s in statements)  # same definition: nothing written
    monkeypatch.setitem(db.VIEWS, "articles", db.VIEWS["articles"].replace(
        "a.pmid,", "a.pmid, a.pmid AS extra,", 1))
    db.ensure_views(conn)
    assert any(s.startswith("DROP VIEW IF EXISTS articles") for s in statements)
    assert "extra" in [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
    conn.close()
