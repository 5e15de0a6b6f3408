"""A run: which queries are due, each query's harvest and its line in the ledger, and the
PubMed look-up by DOI of articles seen first through Crossref or a feed.

Commit rule: a window's records, its query matches, its ledger counts and the query state that
says "collected through this date" are written in one transaction. A failure rolls the window
back; the next run starts again from the last committed window. Crossref pages and feeds are
committed as they come, and the query's "collected through" date only when all of them are in.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from dataclasses import dataclass

from harvester import articles, db, ledger as ledgers, notices
from harvester.enrich.recheck import next_check
from harvester.errors import HarvestError
from harvester.harvest import HARVESTS
from harvester.harvest.base import Progress, Sources
from harvester.harvest.crossref import store_crossref
from harvester.ledger import Ledger
from harvester.queries import Query
from harvester.sources.crossref import Crossref
from harvester.sources.pubmed import Eutils

log = logging.getLogger(__name__)

# Articles without a PMID are looked up in PubMed by DOI for this long after first seen.
PUBMED_LOOKUP_DAYS = 90
# DOIs OR-ed into one esearch term.
DOI_LOOKUP_BATCH = 100
# Articles whose Crossref notices are looked up, then committed, at a time (the client packs
# their DOIs into as few requests as its URL limit allows).
NOTICE_LOOKUP_CHUNK = 100

__all__ = ["Sources", "RunResult", "due_queries", "run_queries", "harvest_query", "link_pubmed",
           "lookup_crossref_notices"]


@dataclass
class RunResult:
    run_id: int
    status: str
    ledgers: list[Ledger]

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1


def due_queries(conn: sqlite3.Connection, queries: list[Query], now: dt.datetime) -> list[Query]:
    due = []
    for query in queries:
        if not query.enabled:
            continue
        state = ledgers.load_query_state(conn, query.name)
        last = state["last_success_at"] if state else None
        last_dt = db.parse_iso(last) if last else None
        if query.is_due(last_dt, now):
            due.append(query)
    return due


def run_queries(conn: sqlite3.Connection, sources: Sources, queries: list[Query], *,
                command: str, since: dt.date | None = None, now: dt.datetime | None = None,
                progress: Progress | None = None) -> RunResult:
    """Run each query in turn; one query's failure is recorded and the others go on."""
    now = now or dt.datetime.now(dt.timezone.utc)
    run_id = ledgers.start_run(conn, os.getpid(), command, db.now_iso(now))
    results = []
    try:
        for query in queries:
            ledger = Ledger(query.name, query.source)
            results.append(ledger)
            harvest_query(conn, sources, query, ledger, run_id, since=since,
                          today=now.date(), progress=progress)
    except BaseException:
        ledgers.finish_run(conn, run_id, "failed", db.now_iso(), error="interrupted")
        raise
    failed = sum(1 for l in results if l.status == "failed")
    status = ("ok" if all(l.status == "ok" for l in results)
              else "failed" if failed == len(results) else "partial")
    ledgers.finish_run(conn, run_id, status, db.now_iso())
    return RunResult(run_id, status, results)


def harvest_query(conn: sqlite3.Connection, sources: Sources, query: Query, ledger: Ledger,
                  run_id: int, *, since: dt.date | None, today: dt.date,
                  progress: Progress | None = None) -> None:
    """Harvest one query; on failure record it in the ledger and query_state."""
    started = db.now_iso()
    with db.transaction(conn):
        ledgers.save_run_query(conn, run_id, query.name, started_at=started, **ledger.values())
        ledgers.save_query_state(conn, query.name, query.source, last_attempt_at=started)
    harvest = HARVESTS[query.source](conn, sources, query, ledger, run_id, today, progress)
    try:
        harvest.run(since)
    except Exception as e:
        # HarvestError: a failure we name (a service, the query); anything else is a bug met
        # on this query's data: either way the query fails alone, and the run goes on.
        message = str(e) if isinstance(e, HarvestError) else (
            f"unexpected {type(e).__name__}: {e} (run with -v for the traceback)")
        log.debug("%s", query.name, exc_info=True)
        ledger.status = "failed"
        ledger.errors.append(message)
        log.error("%s: %s", query.name, message)
        with db.transaction(conn):
            ledgers.save_run_query(conn, run_id, query.name, finished_at=db.now_iso(),
                                   **ledger.values())
            ledgers.save_query_state(conn, query.name, query.source, last_status="failed",
                                     last_error=message)
        return
    # partial: done, but records were set aside (rejected_record); they are retried when
    # they change.
    ledger.status = "partial" if harvest.set_aside else "ok"
    finished = db.now_iso()
    with db.transaction(conn):
        ledgers.save_run_query(conn, run_id, query.name, finished_at=finished, **ledger.values())
        ledgers.save_query_state(conn, query.name, query.source, last_status=ledger.status,
                                 last_error=harvest.set_aside[-1] if harvest.set_aside else None,
                                 last_success_at=finished)
    log.info("%s: %s", query.name, ledger.counts())


def lookup_crossref_notices(conn: sqlite3.Connection, crossref: Crossref,
                            now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Ask Crossref for notices about articles PubMed does not index yet (their PubMed record
    would carry its links), many DOIs a request, on the thinning re-check schedule. A notice
    found is stored as an article of its own and linked to its original. Returns how many
    articles were checked."""
    now = now or dt.datetime.now(dt.timezone.utc)
    # Crossref.updates leaves out DOIs its filter cannot carry; their next check moves all the
    # same, so they never crowd the queue.
    due = notices.due_for_lookup(conn, db.now_iso(now), limit)
    for start in range(0, len(due), NOTICE_LOOKUP_CHUNK):
        chunk = due[start:start + NOTICE_LOOKUP_CHUNK]
        found = crossref.updates([a["doi"] for a in chunk])
        with db.transaction(conn):
            stored_at = db.now_iso()
            for record in found:
                store_crossref(conn, record, stored_at)
            for article in chunk:
                when = next_check(db.parse_iso(article["first_seen_at"]), now)
                notices.looked_up(conn, article["id"], stored_at, db.now_iso(when))
    return len(due)


def link_pubmed(conn: sqlite3.Connection, eutils: Eutils, now: dt.datetime | None = None) -> int:
    """Look articles without a PMID up in PubMed by DOI (seen in the last 90 days); a record
    found joins the article's row. Returns how many were linked."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = db.now_iso(now - dt.timedelta(days=PUBMED_LOOKUP_DAYS))
    dois = articles.dois_without_pmid(conn, since=cutoff)
    linked = 0
    for i in range(0, len(dois), DOI_LOOKUP_BATCH):
        chunk = dois[i:i + DOI_LOOKUP_BATCH]
        term = " OR ".join(f'"{doi}"[doi]' for doi in chunk)
        result = eutils.search(term)
        if not result.ids:
            continue
        wanted = set(chunk)
        with db.transaction(conn):
            writer = articles.PubmedWriter(conn, db.now_iso())

            def save(item) -> None:
                nonlocal linked
                # [doi] matches loosely: only a record carrying one of our DOIs joins a row.
                if isinstance(item, dict) and item["doi"] in wanted:
                    writer.save(item)
                    wanted.discard(item["doi"])
                    linked += 1
            eutils.fetch_ids(result.ids, save)
            writer.flush()
    if linked:
        log.info("PubMed: %d articles seen first through Crossref or a feed are now indexed",
                 linked)
    return linked
