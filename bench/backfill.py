"""Bench: a first run of a query that matches 30,000 records, above esearch's 9,999 cap.

    python bench/backfill.py                       # 30,000 records over 60 days
    python bench/backfill.py --records 12000 --days 20 --rate 1000

The loopback E-utilities (bench/loopback.py, the fake that caps esearch at 9,999 ids) holds the
records, spread evenly over the last --days Entrez dates. `harvest run --no-enrich` runs as a
process through the real bisecting code (harvest.pubmed.PubmedHarvest.plan), at NCBI's 3 requests/s
(HARVEST_EUTILS_RATE unset), with the server refusing anything faster and answering after 100 ms.
At 3/s the 500-record efetch batches are parsed and stored about as fast as the limit lets them
come, so the run takes about what the floor says. `--rate 1000` lifts both limits and shows
harvester's own speed.

Printed: stored records against the records matched (all must arrive), requests against the
lower bound (ceil(N/9,999) esearch + ceil(N/500) efetch), the 3/s floor, the wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sqlite3
import tempfile
from pathlib import Path

from harness import EMAIL, Row, clean_env, print_table, ratio, run_harvest, write_query
from loopback import EUTILS_RATE, Loopback

from harvester.sources.pubmed import EFETCH_BATCH, ESEARCH_CAP

FIRST_PMID = 30_000_000


def measure(records: int = 30_000, days: int = 60, rate: float = EUTILS_RATE,
            latency: float = 0.1) -> list[Row]:
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=days - 1)
    with tempfile.TemporaryDirectory() as tmp, \
            Loopback(latency=latency, eutils_rate=rate if rate <= EUTILS_RATE else None) as loop:
        work = Path(tmp)
        write_query(work / "queries", "backfill", "backfill[tiab]", start.isoformat())
        for i in range(records):
            loop.pubmed.add_synthetic(FIRST_PMID + i, start + dt.timedelta(days=i * days // records))
        env = clean_env(HARVEST_EMAIL=EMAIL, HARVEST_DB=str(work / "harvest.db"), **loop.env())
        if rate != EUTILS_RATE:
            env["HARVEST_EUTILS_RATE"] = str(rate)
        seconds, done = run_harvest(["run", "--no-enrich"], cwd=work, env=env)
        conn = sqlite3.connect(work / "harvest.db")
        stored, windows = conn.execute(
            "SELECT (SELECT count(*) FROM article), windows FROM run_queries").fetchone()
        conn.close()
        counts = loop.eutils.counts
        refused = loop.refused()
    esearch, efetch = counts.requests["esearch"], counts.requests["efetch"]
    bound = math.ceil(records / ESEARCH_CAP) + math.ceil(records / EFETCH_BATCH)
    made = esearch + efetch
    floor = (made - 1) / EUTILS_RATE + latency
    name = f"5. backfill, {records:,} records"
    windows = windows.count('"datetype"')
    rows = [
        Row(name, f"{stored:,} stored", f"{records:,} matched", ratio(stored, records), "1.00x",
            stored == records),
        Row(name, f"{made} requests ({esearch} esearch, {windows} windows; {efetch} efetch)",
            f"lower bound {bound}", ratio(made, bound), "<= 1.10x", made <= 1.1 * bound),
        Row(name, f"3/s floor for {made} requests: {floor:.0f} s",
            f"{records / floor:,.0f} records/s", "-", "-", None),
        Row(name, f"wall time {seconds:.1f} s at {rate:g}/s", f"3/s floor {floor:.0f} s",
            ratio(seconds, floor), "<= 1.25x" if rate == EUTILS_RATE else "-",
            seconds <= 1.25 * floor if rate == EUTILS_RATE else None),
    ]
    if refused:
        rows.append(Row(name, f"429s received {refused}", "0", "-", "0", False))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--rate", type=float, default=EUTILS_RATE,
                        help="E-utilities requests/s (above 3 the server stops enforcing)")
    args = parser.parse_args()
    print_table(measure(args.records, args.days, args.rate))


if __name__ == "__main__":
    main()
