"""Bench: an incremental `harvest run` on a database holding 0, 100k and 1M articles.

    python bench/growth.py                       # 0, 100k and 1M stored articles, 20 new
    python bench/growth.py --sizes 0 100000 --new 50 --repeat 5

Each database gets synthetic rows, written straight with SQL: articles (with DOI, title,
abstract, full-text index entries), their query matches, OA status and COI classification
(checked, next check in the future), and a run ledger of one run per 30 articles. The saved query
was last run yesterday, so it is due. Then `harvest run` runs as a process (start included) on a
fresh copy of each database, --repeat times, against loopback services with no latency and no
E-utilities rate limit (HARVEST_EUTILS_RATE=1000): the time left is harvester's own, where a
query that scans the database would show. Unpaywall and Europe PMC keep harvester's limits
(20/s and 10/s), the same for every size. The run finds --new articles, looks them up and
classifies them.

Printed: the best wall time per size against the empty database's (goal: <= 1.2x), and, measured
in this process, how long the OA and COI due queries take on each database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from harness import EMAIL, Row, clean_env, print_table, ratio, run_harvest, write_query
from harvest_run import populate
from loopback import Loopback

from harvester import db
from harvester.enrich import coi, oa

STORED_PMID = 10_000_000
ARTICLES_PER_RUN = 30
NOW = "2025-06-01T06:00:00Z"


def fill(path: Path, size: int, query: str, today: dt.date) -> None:
    """A database of `size` articles that every step has already seen."""
    db.connect(path).close()  # schema and migrations
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO article (id, pmid, doi, title, abstract, journal, pub_date, pubmed_hash, "
        "first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, 'Cancer cell', '2025', ?, ?, ?)",
        ((i, STORED_PMID + i, f"10.1000/stored.{i}", f"Stored article {i} on tumour immunity",
          f"Abstract of stored article {i}.", _hash(i), NOW, NOW) for i in range(1, size + 1)))
    conn.execute("INSERT INTO article_fts (rowid, title, abstract) "
                 "SELECT id, title, abstract FROM article")
    conn.execute("INSERT INTO query_match SELECT id, ?, ?, 1 FROM article", (query, NOW))
    conn.execute("INSERT INTO oa_status (article_id, oa_status, is_oa, source, checked_at, "
                 "changed_at, next_check_at) SELECT id, 'closed', 0, 'unpaywall', ?, ?, "
                 "'2099-01-01T00:00:00Z' FROM article", (NOW, NOW))
    conn.execute("INSERT INTO coi (article_id, status, statement, source, checked_at, "
                 "changed_at, article_hash) SELECT id, 'none_declared', "
                 "'The authors declare no competing interests.', 'pubmed', ?, ?, pubmed_hash "
                 "FROM article", (NOW, NOW))
    conn.execute("DELETE FROM oa_pending")
    conn.execute("DELETE FROM coi_pending")
    runs = size // ARTICLES_PER_RUN
    conn.executemany("INSERT INTO runs (id, started_at, finished_at, status) "
                     "VALUES (?, ?, ?, 'ok')", ((i, NOW, NOW) for i in range(1, runs + 1)))
    conn.executemany("INSERT INTO run_queries (run_id, query, source, status, started_at) "
                     "VALUES (?, ?, 'pubmed', 'ok', ?)", ((i, query, NOW) for i in range(1, runs + 1)))
    yesterday = today - dt.timedelta(days=1)
    last = db.now_iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1, minutes=5))
    conn.execute("INSERT INTO query_state (query, source, collected_through, mdat_through, "
                 "last_success_at, last_attempt_at, last_status) "
                 "VALUES (?, 'pubmed', ?, ?, ?, ?, 'ok')",
                 (query, yesterday.isoformat(), yesterday.isoformat(), last, last))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _hash(i: int) -> str:
    return hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest()


def due_query_ms(path: Path) -> float:
    """The OA and COI due queries, as the run sends them, best of 5, in milliseconds."""
    conn = db.connect(path)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        oa.due_articles(conn, NOW, 1000)
        coi.due_articles(conn, NOW, 1000)
        best = min(best, time.perf_counter() - start)
    conn.close()
    return best * 1000


def measure(sizes=(0, 100_000, 1_000_000), new: int = 20, repeat: int = 3) -> list[Row]:
    today = dt.datetime.now(dt.timezone.utc).date()
    rows, base = [], None
    with tempfile.TemporaryDirectory() as tmp, Loopback(latency=0.0, eutils_rate=None) as loop:
        work = Path(tmp)
        write_query(work / "queries", "growth", "growth0[tiab]",
                    (today - dt.timedelta(days=30)).isoformat())
        # The new articles: edat in the last days, all for query "growth" (term growth0[tiab]).
        populate(loop, new, 1, today, days=1, term_prefix="growth")
        for size in sizes:
            built = work / f"stored_{size}.db"
            start = time.perf_counter()
            fill(built, size, "growth", today)
            fill_seconds = time.perf_counter() - start
            due_ms = due_query_ms(built)
            best = float("inf")
            for _ in range(repeat):
                run_db = work / "run.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{run_db}{suffix}").unlink(missing_ok=True)
                shutil.copy(built, run_db)
                # Flushed now: else the run's checkpoint fsync pays for writing the whole copy
                # (1.3 s of a 3.2 s run at 1M articles).
                with run_db.open("rb+") as f:
                    os.fsync(f.fileno())
                env = clean_env(HARVEST_EMAIL=EMAIL, HARVEST_DB=str(run_db),
                                HARVEST_EUTILS_RATE="1000", **loop.env())
                seconds, done = run_harvest(["run"], cwd=work, env=env)
                if f"growth: ok, {new} found, {new} new" not in done.stdout:
                    raise RuntimeError(f"unexpected run on {size:,} articles:\n{done.stdout}"
                                       f"{done.stderr}")
                best = min(best, seconds)
            base = base if base is not None else best
            name = f"4. growth, {size:,} stored"
            rows.append(Row(name, f"run with {new} new: {best:.2f} s", f"0 stored: {base:.2f} s",
                            ratio(best, base), "<= 1.20x", best <= 1.2 * base))
            rows.append(Row(name, f"OA + COI due queries {due_ms:.1f} ms",
                            f"(filled in {fill_seconds:.0f} s)", "-", "-", None))
            built.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100_000, 1_000_000])
    parser.add_argument("--new", type=int, default=20, help="new articles the run finds")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best counts")
    args = parser.parse_args()
    print_table(measure(args.sizes, args.new, args.repeat))


if __name__ == "__main__":
    main()
