"""What the benches share: one table row per figure, the table, and `harvest` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from loopback import ROOT

EMAIL = "bench@newsletter.org"


@dataclass
class Row:
    bench: str
    figure: str  # what was measured, with its value: "1,264 requests"
    baseline: str  # what it is compared with, with its value
    ratio: str  # figure / baseline, e.g. "1.01x"
    goal: str
    held: bool | None  # None: no goal, a figure for the record

    def cells(self) -> list[str]:
        held = "-" if self.held is None else "yes" if self.held else "NO"
        return [self.bench, self.figure, self.baseline, self.ratio, self.goal, held]


HEADER = ["bench", "figure", "baseline", "ratio", "goal", "held"]


def print_table(rows: list[Row], out=sys.stdout) -> None:
    """A Markdown table: readable in a terminal, pasteable into the README."""
    table = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    for n, line in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |", file=out)
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    out.flush()


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "-"


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment without any harvester setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HARVEST_") and k != "NCBI_API_KEY"}
    env.update(settings)
    return env


def run_harvest(args: list[str], *, cwd: Path, env: dict[str, str],
                check: bool = True) -> tuple[float, subprocess.CompletedProcess]:
    """`python -m harvester ARGS` in a new process; returns (wall seconds, the process).
    The time includes starting Python and importing harvester, as cron's runs pay them."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "harvester", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if check and done.returncode != 0:
        raise RuntimeError(f"harvest {' '.join(args)} exited with {done.returncode}:\n"
                           f"{done.stdout}{done.stderr}")
    return seconds, done


def write_query(folder: Path, name: str, term: str, start: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(f'term = "{term}"\nstart = {start}\n', encoding="utf-8")


__all__ = ["ROOT", "EMAIL", "Row", "print_table", "ratio", "clean_env", "run_harvest",
           "write_query"]
