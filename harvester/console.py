"""What the command line shows a person: a progress line, aligned tables, durations typed as
90s / 20m / 2h."""

from __future__ import annotations

import sys
import time

import click


class TerminalProgress:
    """One self-rewriting status line on a terminal; cron (no terminal) gets log lines only."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.shown = False
        self.last = 0.0

    def __call__(self, query: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{query}: [{bar}] {done}/{total} records")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def print_table(rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the first row is the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def share(part: int, whole: int) -> str:
    """A percentage, or '-' when there is nothing to take a share of."""
    return f"{round(100 * part / whole)}%" if whole else "-"


def parse_duration(value: str | None, option: str = "--deadline") -> float | None:
    """'90s', '20m', '2h' or plain seconds -> seconds."""
    if value is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (value[:-1], value[-1]) if value[-1:] in units else (value, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        seconds = -1
    if seconds <= 0:
        raise click.BadParameter(f"{value!r} is not a duration; write e.g. 90s, 20m or 2h",
                                 param_hint=option)
    return seconds
