"""A run: which queries are due, their date windows, the commit rules, and the run ledger.

Commit rule: a window's records, its query matches, its ledger counts and the query state that
says "harvested through this date" are written in one transaction. A failure rolls the window
back; the next run starts again from the last committed window. Crossref pages and feeds are
committed as they come, and the query's "through" date only when all of them are in.

One article per DOI: PubMed records, Crossref works and feed entries with the same DOI land in
one row (db.save_other, db.PubmedWriter); articles without a PMID are looked up in PubMed by DOI
on every run for 90 days (link_pubmed).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import logging
import os
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Iterator

from harvester import db
from harvester.errors import HarvestError
from harvester.http import HttpClient
from harvester.queries import Query
from harvester.sources.crossref import Crossref, NotFound, free_from, work_to_record
from harvester.sources.feed import FeedBlocked, fetch_feed
from harvester.sources.pubmed import ESEARCH_CAP, Eutils, SearchResult
from harvester.sources.pubmed_xml import Deleted

log = logging.getLogger(__name__)

# Entrez dates are day-granular and records show up in a day's search a little late: each run
# starts two days before the end of the last committed window. Upserts make the overlap harmless.
OVERLAP = dt.timedelta(days=2)

# Articles without a PMID are looked up in PubMed by DOI for this long after first seen.
PUBMED_LOOKUP_DAYS = 90
# DOIs OR-ed into one esearch term.
DOI_LOOKUP_BATCH = 100

# progress(query name, records stored so far, records expected so far): for a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass
class Sources:
    """The clients a run talks to; one HttpClient under them all."""

    http: HttpClient
    eutils: Eutils
    crossref: Crossref


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


def run_queries(conn: sqlite3.Connection, sources: Sources, queries: list[Query], *,
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
            harvest_query(conn, sources, query, ledger, run_id, since=since,
                          today=now.date(), progress=progress)
    except BaseException:
        db.finish_run(conn, run_id, "failed", db.now_iso(), error="interrupted")
        raise
    failed = sum(1 for l in ledgers if l.status == "failed")
    status = "ok" if failed == 0 else ("failed" if failed == len(ledgers) else "partial")
    db.finish_run(conn, run_id, status, db.now_iso())
    return RunResult(run_id, status, ledgers)


def harvest_query(conn: sqlite3.Connection, sources: Sources, query: Query, ledger: Ledger,
                  run_id: int, *, since: dt.date | None, today: dt.date,
                  progress: Progress | None = None) -> None:
    """Harvest one query; on failure record it in the ledger and query_state."""
    started = db.now_iso()
    with db.transaction(conn):
        db.save_run_query(conn, run_id, query.name, started_at=started, **ledger.values())
        db.save_query_state(conn, query.name, query.source, last_attempt_at=started)
    try:
        if query.source == "crossref":
            CrossrefHarvest(conn, sources, query, ledger, run_id, today).run(since)
        elif query.source == "feed":
            FeedHarvest(conn, sources, query, ledger, run_id, today).run(since)
        else:
            PubmedHarvest(conn, sources.eutils, query, ledger, run_id, today, progress).run(since)
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
            _warn(self.query.name, self.ledger, warning)


class ArticleHarvest:
    """What a Crossref or feed query's run keeps: the articles it stored, by outcome."""

    def __init__(self, conn, sources: Sources, query: Query, ledger: Ledger, run_id: int,
                 today: dt.date):
        self.conn = conn
        self.sources = sources
        self.query = query
        self.ledger = ledger
        self.run_id = run_id
        self.today = today
        self.seen: set[int] = set()  # article ids stored by this run
        self.new: set[int] = set()
        self.updated: set[int] = set()

    def tally(self, article_id: int, outcome: str) -> None:
        """Count one stored article (in memory; commit() writes the counts)."""
        self.seen.add(article_id)
        if outcome == "new":
            self.new.add(article_id)
        elif outcome == "updated" and article_id not in self.new:
            self.updated.add(article_id)

    def commit_counts(self) -> None:
        """Write the counts to the ledger row, inside the caller's transaction."""
        self.ledger.fetched = len(self.seen)
        self.ledger.new, self.ledger.updated = len(self.new), len(self.updated)
        db.save_run_query(self.conn, self.run_id, self.query.name, **self.ledger.values())


class CrossrefHarvest(ArticleHarvest):
    """One Crossref query: the journal's works registered since the last run, ISSN by ISSN."""

    def run(self, since: dt.date | None) -> None:
        state = db.load_query_state(self.conn, self.query.name)
        through = _date(state["edat_through"]) if state else None
        start = since or (through - OVERLAP if through else self.query.first_date(self.today))
        start = min(start, self.today)
        self.ledger.window_start, self.ledger.window_end = start.isoformat(), self.today.isoformat()
        answered = []
        for issn in self.query.issns:
            try:
                total = self.sources.crossref.journal_works(issn, start, self.today, self.save_page)
            except NotFound:
                _warn(self.query.name, self.ledger,
                      f"ISSN {issn}: Crossref does not key the journal by this ISSN (HTTP 404); "
                      "skipped")
                continue
            answered.append(issn)
            self.ledger.esearch_count += total
            self.ledger.windows.append({"issn": issn, "start": start.isoformat(),
                                        "end": self.today.isoformat(), "count": total})
        if not answered:
            raise HarvestError(f"Crossref knows the journal by none of the ISSNs "
                               f"{', '.join(self.query.issns)}; check `issn` in {self.query.path}")
        with db.transaction(self.conn):
            db.save_run_query(self.conn, self.run_id, self.query.name, **self.ledger.values())
            db.save_query_state(self.conn, self.query.name, self.query.source,
                                edat_through=self.today.isoformat())

    def save_page(self, page) -> None:
        """One page of works, committed with the ledger's counts."""
        with db.transaction(self.conn):
            now = db.now_iso()
            for work in page.items:
                record = work_to_record(work)
                if not record["doi"]:
                    _warn(self.query.name, self.ledger, "a Crossref work without a DOI; skipped")
                    continue
                article_id, outcome = store_crossref(self.conn, record, now)
                db.save_query_match(self.conn, article_id, self.query.name, now, self.run_id)
                self.tally(article_id, outcome)
            self.commit_counts()


def store_crossref(conn: sqlite3.Connection, record: dict, now: str) -> tuple[int, str]:
    """A Crossref work into its article (by DOI) and crossref_record."""
    fields = {
        "doi": record["doi"], "title": record["title"], "abstract": record["abstract"],
        "journal": record["journal"], "issn_print": record["issn_print"],
        "issn_electronic": record["issn_electronic"], "volume": record["volume"],
        "issue": record["issue"], "pages": record["pages"],
        "pub_date": record["published_print"] or record["issued"],
        "epub_date": record["published_online"], "url": record["url"],
    }
    authors = [{"last_name": a["family"], "fore_name": a["given"],
                "collective_name": None if a["family"] else a["name"], "orcid": a["orcid"],
                "affiliations": a["affiliations"]} for a in record["authors"]]
    article_id, outcome = db.save_other(conn, "crossref", fields, authors, now)
    conn.execute(
        "INSERT OR REPLACE INTO crossref_record VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (article_id, record["doi"], record["type"], record["publisher"], record["created_at"],
         record["published_online"], record["published_print"], record["issued"],
         json.dumps(record["licenses"]), free_from(record["licenses"]), now))
    return article_id, outcome


class FeedHarvest(ArticleHarvest):
    """One feed query: each URL fetched conditionally; its entries stored by DOI (or link)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.keywords = [re.compile(rf"\b{re.escape(k)}\b", re.IGNORECASE)
                         for k in self.query.keywords]

    def run(self, since: dt.date | None) -> None:
        self.since = since or self.query.start
        self.ledger.window_start = self.since.isoformat() if self.since else None
        self.ledger.window_end = self.today.isoformat()
        errors = []
        for url in self.query.urls:
            state = self.conn.execute("SELECT * FROM feed_state WHERE url = ?", (url,)).fetchone()
            try:
                fetch = fetch_feed(self.sources.http, url, state["etag"] if state else None,
                                   state["last_modified"] if state else None)
            except HarvestError as e:
                # the HTTP client's own errors start with the URL; the feed's checks do not
                error = str(e) if str(e).startswith(url) else f"{url}: {e}"
                errors.append(error)
                status = "blocked" if isinstance(e, FeedBlocked) else "error"
                with db.transaction(self.conn):
                    self._save_state(url, state, status=status, error=error)
                    self.ledger.windows.append({"url": url, "status": status})
                    db.save_run_query(self.conn, self.run_id, self.query.name,
                                      **self.ledger.values())
                continue
            with db.transaction(self.conn):
                now = db.now_iso()
                for warning in fetch.warnings:
                    _warn(self.query.name, self.ledger, f"{url}: {warning}")
                kept = [e for e in fetch.entries if self.wanted(e)]
                for entry in kept:
                    self.save_entry(url, entry, now)
                self._save_state(url, state, status=fetch.status, http_status=fetch.http_status,
                                 etag=fetch.etag, last_modified=fetch.last_modified,
                                 entries=len(fetch.entries) if fetch.status == "ok" else None)
                self.ledger.esearch_count += len(kept)
                self.ledger.windows.append({"url": url, "status": fetch.status,
                                            "entries": len(fetch.entries), "kept": len(kept)})
                self.commit_counts()
        self.fill_from_crossref()
        if errors:
            raise HarvestError("; ".join(errors))

    def wanted(self, entry: dict) -> bool:
        if self.since and entry["published_at"] and entry["published_at"][:10] < str(self.since):
            return False
        if not self.keywords:
            return True
        text = f"{entry['title'] or ''} {entry['summary'] or ''}"
        return any(k.search(text) for k in self.keywords)

    def save_entry(self, url: str, entry: dict, now: str) -> None:
        doi, link = entry["doi"], entry["link"]
        key = entry["key"] or doi
        if not doi and not link:
            _warn(self.query.name, self.ledger,
                  f"{url}: an entry without DOI or link ({entry['title']!r}); skipped")
            return
        if not doi:
            _warn(self.query.name, self.ledger, f"entry without a DOI, stored by its link: {link}")
        known = self.conn.execute("SELECT article_id, doi FROM feed_entry WHERE feed_url = ? "
                                  "AND entry_key = ?", (url, key)).fetchone()
        if doi and known and known["article_id"] and not known["doi"]:
            self._link_doi(known["article_id"], doi)
        fields = {"doi": doi, "title": entry["title"], "abstract": entry["summary"],
                  "journal": entry["journal"], "url": link,
                  "epub_date": entry["published_at"][:10] if entry["published_at"] else None}
        authors = [_split_name(name) for name in entry["authors"]]
        article_id, outcome = db.save_other(self.conn, "feed", fields, authors, now)
        self.conn.execute(
            "INSERT INTO feed_entry (feed_url, entry_key, article_id, doi, title, link, authors, "
            "published_at, section, summary, first_seen_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_url, entry_key) DO "
            "UPDATE SET article_id = excluded.article_id, doi = excluded.doi, "
            "title = excluded.title, link = excluded.link, authors = excluded.authors, "
            "published_at = excluded.published_at, section = excluded.section, "
            "summary = excluded.summary, last_seen_at = excluded.last_seen_at",
            (url, key, article_id, doi, entry["title"], link, json.dumps(entry["authors"]),
             entry["published_at"], entry["section"], entry["summary"], now, now))
        db.save_query_match(self.conn, article_id, self.query.name, now, self.run_id)
        self.tally(article_id, outcome)

    def _link_doi(self, article_id: int, doi: str) -> None:
        """An entry first seen without a DOI now has one: give its article the DOI, or fold it
        into the article that already has it."""
        other = db.find_article(self.conn, doi)
        if other is None:
            self.conn.execute("UPDATE article SET doi = ? WHERE id = ?", (doi, article_id))
        elif other["id"] != article_id:
            db.merge_articles(self.conn, keep=other["id"], drop=article_id)
        log.info("%s: entry linked to DOI %s", self.query.name, doi)

    def _save_state(self, url: str, state, **values) -> None:
        if values.get("status") in ("blocked", "error") and state is not None:
            # keep the validators: they still describe the last feed we read
            values.update(etag=state["etag"], last_modified=state["last_modified"])
        values.setdefault("error", None)
        columns = ["url", "checked_at", *values]
        self.conn.execute(
            f"INSERT OR REPLACE INTO feed_state ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})", (url, db.now_iso(), *values.values()))

    def fill_from_crossref(self) -> None:
        """Feed-only articles with a DOI get Crossref's metadata once Crossref has registered
        them; until then they are tried again on later runs (for 90 days)."""
        cutoff = db.now_iso(dt.datetime.now(dt.timezone.utc)
                            - dt.timedelta(days=PUBMED_LOOKUP_DAYS))
        rows = self.conn.execute(
            "SELECT a.id, a.doi FROM article a JOIN query_match m ON m.article_id = a.id "
            "WHERE m.query = ? AND a.metadata_source = 'feed' AND a.doi IS NOT NULL "
            "AND a.first_seen_at >= ? ORDER BY a.id", (self.query.name, cutoff)).fetchall()
        for row in rows:
            try:
                work = self.sources.crossref.work(row["doi"])
            except HarvestError as e:
                _warn(self.query.name, self.ledger, f"Crossref lookup of {row['doi']}: {e}")
                return
            if work is None:
                log.info("%s: %s not registered at Crossref yet", self.query.name, row["doi"])
                continue
            with db.transaction(self.conn):
                store_crossref(self.conn, work_to_record(work), db.now_iso())


def link_pubmed(conn: sqlite3.Connection, eutils: Eutils, now: dt.datetime | None = None) -> int:
    """Look articles without a PMID up in PubMed by DOI (seen in the last 90 days); a record
    found joins the article's row. Returns how many were linked."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = db.now_iso(now - dt.timedelta(days=PUBMED_LOOKUP_DAYS))
    dois = [r[0] for r in conn.execute(
        "SELECT doi FROM article WHERE pmid IS NULL AND first_seen_at >= ? AND doi IS NOT NULL "
        "ORDER BY first_seen_at", (cutoff,))]
    linked = 0
    for i in range(0, len(dois), DOI_LOOKUP_BATCH):
        chunk = dois[i:i + DOI_LOOKUP_BATCH]
        term = " OR ".join(f'"{doi}"[doi]' for doi in chunk)
        result = eutils.search(term)
        if not result.ids:
            continue
        wanted = set(chunk)
        with db.transaction(conn):
            writer = db.PubmedWriter(conn, db.now_iso())

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


def _warn(query: str, ledger: Ledger, warning: str) -> None:
    """Log a warning once and keep it in the query's ledger."""
    if warning not in ledger.warnings:
        log.warning("%s: %s", query, warning)
        ledger.warnings.append(warning)


def _split_name(name: str) -> dict:
    """A feed's "Jane Q. Doe" -> last name Doe, fore name Jane Q. (approximate; Crossref or
    PubMed replace these authors when they arrive)."""
    fore, _, last = name.rpartition(" ")
    return {"last_name": last, "fore_name": fore or None, "collective_name": None,
            "orcid": None, "affiliations": []}


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
