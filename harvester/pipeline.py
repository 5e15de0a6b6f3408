"""A run: which queries are due, their date windows, the commit rules, and the run ledger.

Commit rule: a window's records, its query matches, its ledger counts and the query state that
says "harvested through this date" are written in one transaction. A failure rolls the window
back; the next run starts again from the last committed window.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Iterator

from harvester import db
from harvester.errors import HarvestError
from harvester.queries import Query
from harvester.sources.pubmed import ESEARCH_CAP, Eutils, SearchResult
from harvester.sources.pubmed_xml import Deleted

log = logging.getLogger(__name__)

# Entrez dates are day-granular and records show up in a day's search a little late: each run
# starts two days before the end of the last committed window. Upserts make the overlap harmless.
OVERLAP = dt.timedelta(days=2)

# progress(query name, records stored so far, records expected so far): for a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass
class Window:
    datetype: str
    start: dt.date
    end: dt.date
    search: SearchResult

    def describe(self) -> dict:
        return {"datetype": self.datetype, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "count": self.search.count}


@dataclass
class Ledger:
    """One query's line in run_queries, kept in memory and written with each commit."""

    query: str
    source: str
    window_start: str | None = None
    window_end: str | None = None
    windows: list[dict] = field(default_factory=list)
    esearch_count: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    missing: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    status: str = "running"

    def values(self) -> dict:
        return {k: getattr(self, k) for k in (
            "source", "status", "window_start", "window_end", "windows", "esearch_count",
            "fetched", "new", "updated", "missing", "warnings", "errors")}


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
        state = db.load_query_state(conn, query.name)
        last = state["last_success_at"] if state else None
        last_dt = db.parse_iso(last) if last else None
        if query.is_due(last_dt, now):
            due.append(query)
    return due


def run_queries(conn: sqlite3.Connection, eutils: Eutils, queries: list[Query], *,
                command: str, since: dt.date | None = None, now: dt.datetime | None = None,
                progress: Progress | None = None) -> RunResult:
    """Run each query in turn; one query's failure is recorded and the others go on."""
    now = now or dt.datetime.now(dt.timezone.utc)
    run_id = db.start_run(conn, os.getpid(), command, db.now_iso(now))
    ledgers = []
    try:
        for query in queries:
            ledger = Ledger(query.name, query.source)
            ledgers.append(ledger)
            harvest_query(conn, eutils, query, ledger, run_id, since=since, today=now.date(),
                          progress=progress)
    except BaseException:
        db.finish_run(conn, run_id, "failed", db.now_iso(), error="interrupted")
        raise
    failed = sum(1 for l in ledgers if l.status == "failed")
    status = "ok" if failed == 0 else ("failed" if failed == len(ledgers) else "partial")
    db.finish_run(conn, run_id, status, db.now_iso())
    return RunResult(run_id, status, ledgers)


def harvest_query(conn: sqlite3.Connection, eutils: Eutils, query: Query, ledger: Ledger,
                  run_id: int, *, since: dt.date | None, today: dt.date,
                  progress: Progress | None = None) -> None:
    """Harvest one PubMed query; on failure record it in the ledger and query_state."""
    started = db.now_iso()
    with db.transaction(conn):
        db.save_run_query(conn, run_id, query.name, started_at=started, **ledger.values())
        db.save_query_state(conn, query.name, query.source, last_attempt_at=started)
    try:
        PubmedHarvest(conn, eutils, query, ledger, run_id, today, progress).run(since)
    except HarvestError as e:
        ledger.status = "failed"
        ledger.errors.append(str(e))
        log.error("%s: %s", query.name, e)
        with db.transaction(conn):
            db.save_run_query(conn, run_id, query.name, finished_at=db.now_iso(),
                              **ledger.values())
            db.save_query_state(conn, query.name, query.source, last_status="failed",
                                last_error=str(e))
        return
    ledger.status = "ok"
    finished = db.now_iso()
    with db.transaction(conn):
        db.save_run_query(conn, run_id, query.name, finished_at=finished, **ledger.values())
        db.save_query_state(conn, query.name, query.source, last_status="ok", last_error=None,
                            last_success_at=finished)
    log.info("%s: %d found, %d new, %d updated%s", query.name, ledger.esearch_count, ledger.new,
             ledger.updated, f", {len(ledger.missing)} missing" if ledger.missing else "")


class PubmedHarvest:
    """One query's run: the edat windows, then PMIDs missed before, then the mdat update pass."""

    def __init__(self, conn, eutils: Eutils, query: Query, ledger: Ledger, run_id: int,
                 today: dt.date, progress: Progress | None = None):
        self.conn = conn
        self.eutils = eutils
        self.query = query
        self.ledger = ledger
        self.run_id = run_id
        self.today = today
        self.progress = progress or (lambda query, done, total: None)
        self.expected = 0  # records the current window should bring
        self.fetched: set[int] = set()  # PMIDs stored by this run (any window)
        self.new: set[int] = set()
        self.updated: set[int] = set()
        self.writer: db.PubmedWriter | None = None  # one per transaction

    def run(self, since: dt.date | None) -> None:
        state = db.load_query_state(self.conn, self.query.name)
        edat_through = _date(state["edat_through"]) if state else None
        mdat_through = _date(state["mdat_through"]) if state else None
        if since is not None:
            start = since
        elif edat_through is not None:
            start = edat_through - OVERLAP
        else:
            start = self.query.first_date(self.today)
        start = min(start, self.today)
        self.ledger.window_start, self.ledger.window_end = start.isoformat(), self.today.isoformat()

        for window in self.plan("edat", start, self.today):
            log.info("%s: edat %s..%s: %d records", self.query.name, window.start, window.end,
                     window.search.count)
            self.harvest_window(window, matched=True, mdat_through=mdat_through or self.today,
                                edat_through=max(window.end, edat_through or window.end))

        self.retry_missing()

        if mdat_through is not None:
            for window in self.plan("mdat", mdat_through - OVERLAP, self.today):
                self.harvest_window(window, matched=False,
                                    mdat_through=max(window.end, mdat_through))

    def plan(self, datetype: str, start: dt.date, end: dt.date) -> list[Window]:
        """Windows covering start..end, each with at most ESEARCH_CAP records (bisect by date)."""
        search = self.eutils.esearch(self.query.term, datetype, start, end)
        self._warn(search.warnings)
        if search.count <= ESEARCH_CAP:
            return [Window(datetype, start, end, search)]
        if start == end:
            raise HarvestError(
                f"{datetype} {start} alone matches {search.count} records, more than PubMed's "
                f"esearch cap of {ESEARCH_CAP}; narrow the term of query {self.query.name!r}")
        middle = start + (end - start) // 2
        windows = (self.plan(datetype, start, middle)
                   + self.plan(datetype, middle + dt.timedelta(days=1), end))
        total = sum(w.search.count for w in windows)
        if total != search.count:
            self._warn([f"{datetype} {start}..{end}: count {search.count} but its parts add up to "
                        f"{total} (PubMed changed during the run?)"])
        return windows

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[str]:
        """One transaction whose records go through self.writer. If it fails, the database
        rolls back and so does what this object counted. Yields the timestamp to store."""
        snapshot = (copy.deepcopy(vars(self.ledger)), set(self.fetched), set(self.new),
                    set(self.updated))
        try:
            with db.transaction(self.conn):
                now = db.now_iso()
                self.writer = db.PubmedWriter(self.conn, now)
                yield now
                self.writer.flush()
        except BaseException:
            ledger, self.fetched, self.new, self.updated = snapshot
            vars(self.ledger).update(ledger)
            raise

    def harvest_window(self, window: Window, *, matched: bool, **state: dt.date) -> None:
        """Fetch and store one window's records; commit them with the ledger and query state.

        matched: the window's records match the query (edat); an mdat window only refreshes
        records already stored.
        """
        search = window.search
        with self._transaction() as now:
            self.expected = len(self.fetched) + (search.count if matched else len(search.ids))
            if matched:
                self.ledger.esearch_count += search.count
                wanted = set(search.ids)
                self.eutils.fetch_search(search,
                                         lambda item: self._save(item, now, matched, wanted))
            else:
                stored = db.stored_pmids(self.conn, search.ids)
                wanted = stored - self.fetched
                self.eutils.fetch_ids(sorted(wanted),
                                      lambda item: self._save(item, now, matched, wanted))
            missing = wanted - self.fetched
            if missing:
                log.info("%s: %d PMIDs missing from efetch; asking again", self.query.name,
                         len(missing))
                self.eutils.fetch_ids(sorted(missing),
                                      lambda item: self._save(item, now, matched, wanted))
                missing -= self.fetched
            if missing and matched:
                db.save_missing(self.conn, self.query.name, missing, set(), now)
                self.ledger.missing = sorted(set(self.ledger.missing) | missing)
            self.ledger.windows.append(window.describe())
            self._count()
            db.save_run_query(self.conn, self.run_id, self.query.name, **self.ledger.values())
            db.save_query_state(self.conn, self.query.name, self.query.source,
                                **{k: v.isoformat() for k, v in state.items()})

    def retry_missing(self) -> None:
        """PMIDs that esearch listed in an earlier run but efetch never returned."""
        pending = [p for p in db.load_missing(self.conn, self.query.name)
                   if p not in self.fetched and p not in self.ledger.missing]
        if not pending:
            return
        with self._transaction() as now:
            self.eutils.fetch_ids(pending, lambda item: self._save(item, now, True, set(pending)))
            found = set(pending) & self.fetched
            still = set(pending) - found
            db.save_missing(self.conn, self.query.name, still, found, now)
            self.ledger.missing = sorted(set(self.ledger.missing) | still)
            self._count()
            db.save_run_query(self.conn, self.run_id, self.query.name, **self.ledger.values())

    def _save(self, item: dict | Deleted, now: str, matched: bool, wanted: set[int]) -> None:
        """Store one efetch item. A record that was not asked for (a proxy's or cache's mix-up)
        is left out: it may not match the query."""
        if isinstance(item, Deleted):
            self.conn.executemany("INSERT OR IGNORE INTO deleted_pmid VALUES (?, ?)",
                                  [(p, now) for p in item.pmids])
            log.warning("%s: PubMed deleted PMIDs %s (kept in deleted_pmid)", self.query.name,
                        ", ".join(map(str, item.pmids)))
            return
        pmid = item["pmid"]
        if pmid not in wanted:
            log.warning("%s: efetch returned PMID %d, which was not asked for; left out",
                        self.query.name, pmid)
            return
        article_id, outcome = self.writer.save(item)
        self.fetched.add(pmid)
        self.progress(self.query.name, len(self.fetched), self.expected)
        if outcome == "new":
            self.new.add(pmid)
        elif outcome == "updated" and pmid not in self.new:
            self.updated.add(pmid)
        if matched:
            db.save_query_match(self.conn, article_id, self.query.name, now, self.run_id)

    def _count(self) -> None:
        self.ledger.fetched = len(self.fetched)
        self.ledger.new = len(self.new)
        self.ledger.updated = len(self.updated)

    def _warn(self, warnings: list[str]) -> None:
        for warning in warnings:
            if warning not in self.ledger.warnings:
                log.warning("%s: %s", self.query.name, warning)
                self.ledger.warnings.append(warning)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
