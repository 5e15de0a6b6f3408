"""Run every bench and print one table: bench, figure, baseline, ratio, goal, held.

    python bench/run_all.py                        # all five, about 6 minutes on 2 cores
    python bench/run_all.py --only 2 4             # some of them
    python bench/run_all.py --parse-sizes 1000 10000 100000

Needs `pip install -e '.[test,bench]'` (biopython for the parse baseline, the test fakes for the
loopback services). The benches (issue #8):

1. parse + store (bench/parse_store.py): records/s and peak memory against Bio.Entrez.read on
   the same bytes, each in its own process, best of --parse-repeat. Bio.Entrez.read holds the
   whole document (about 235 MB per 1,000 records of this input), so its baseline is skipped,
   with a note, for a size the machine has not the memory for.
2. a full `harvest run` of new articles against rate-limited loopback services
   (bench/harvest_run.py);
3. the same run again with nothing new (bench/harvest_run.py);
4. an incremental run on 0, 100k and 1M stored articles (bench/growth.py);
5. a 30,000-record backfill through the bisecting windows (bench/backfill.py).

Progress goes to stderr, the table (Markdown) and the machine to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from harness import Row, print_table, ratio

import backfill
import growth
import harvest_run
import parse_store

BIOPYTHON_MB_PER_RECORD = 0.25  # measured: 2,363 MB for 10,000 records of the bench input
PARSE_GOAL = 4.0
FLAT = 1.25  # "memory flat across sizes": the largest peak within 1.25x of the smallest


def parse_rows(sizes: list[int], repeat: int) -> list[Row]:
    rows, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            xml = Path(tmp) / f"efetch_{size}.xml"
            parse_store.build(xml, size)
            name = f"1. parse+store, {size:,} records"
            need_mb = size * BIOPYTHON_MB_PER_RECORD
            with_baseline = need_mb < 0.8 * _available_mb()
            best = theirs = None
            for _ in range(repeat):  # alternate the two: this machine's speed drifts
                ours = parse_store.run_child("harvester", xml)
                if best is None or ours["seconds"] < best["seconds"]:
                    best = ours
                if with_baseline:
                    bio = parse_store.run_child("biopython", xml)
                    if theirs is None or bio["seconds"] < theirs["seconds"]:
                        theirs = bio
            ours_rate = size / best["seconds"]
            figure = f"harvester {ours_rate:,.0f} rec/s, peak {best['peak_mb']:,.0f} MB"
            peaks.append(best["peak_mb"])
            if theirs is None:
                rows.append(Row(name, figure, f"Bio.Entrez.read skipped: needs ~{need_mb:,.0f} "
                                f"MB, {_available_mb():,.0f} MB available", "-",
                                f">= {PARSE_GOAL:.0f}x", None))
                continue
            theirs_rate = size / theirs["seconds"]
            rows.append(Row(name, figure, f"Bio.Entrez.read {theirs_rate:,.0f} rec/s, peak "
                                          f"{theirs['peak_mb']:,.0f} MB",
                            ratio(ours_rate, theirs_rate), f">= {PARSE_GOAL:.0f}x",
                            ours_rate >= PARSE_GOAL * theirs_rate))
    if len(peaks) > 1:
        rows.append(Row("1. parse+store, memory", "harvester peaks " + ", ".join(
            f"{p:,.0f}" for p in peaks) + " MB", f"sizes {', '.join(f'{s:,}' for s in sizes)}",
            ratio(max(peaks), min(peaks)), f"flat (<= {FLAT}x)", max(peaks) <= FLAT * min(peaks)))
    return rows


def _available_mb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{dt.date.today()}: {os.cpu_count()} cores ({cpu}), "
            f"{_total_gb():.0f} GiB, Python {platform.python_version()}, {platform.system()}")


def _total_gb() -> float:
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1]) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="+", choices=range(1, 6), metavar="N",
                        help="run only these benches (1-5)")
    parser.add_argument("--parse-sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--parse-repeat", type=int, default=2)
    parser.add_argument("--articles", type=int, default=1000, help="new articles in bench 2")
    parser.add_argument("--queries", type=int, default=2, help="saved queries in bench 2")
    parser.add_argument("--growth-sizes", type=int, nargs="+", default=[0, 100_000, 1_000_000])
    parser.add_argument("--backfill", type=int, default=30_000, help="records in bench 5")
    args = parser.parse_args()
    only = set(args.only or range(1, 6))
    steps = [
        (1, "parse + store", lambda: parse_rows(args.parse_sizes, args.parse_repeat)),
        (2, "full run and nothing new", lambda: harvest_run.measure(args.articles, args.queries)),
        (4, "growth", lambda: growth.measure(args.growth_sizes)),
        (5, "backfill", lambda: backfill.measure(args.backfill)),
    ]
    rows: list[Row] = []
    for number, title, step in steps:
        if number not in only and not (number == 2 and 3 in only):
            continue
        print(f"bench {number}: {title}...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        got = step()
        if number == 2:  # one run makes both: keep what was asked for
            got = [r for r in got if int(r.bench[0]) in only]
        rows += got
        print(f"  {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(f"harvester benches, {machine()}")
    print(f"command: python bench/run_all.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print_table(rows)
    missed = [r for r in rows if r.held is False]
    if missed:
        print(f"\n{len(missed)} goal(s) not held: " + "; ".join(
            f"{r.bench}: {r.figure} (goal {r.goal})" for r in missed))


if __name__ == "__main__":
    main()
