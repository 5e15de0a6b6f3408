"""A PubMed query's run: the entry-date windows, the PMIDs missed before, the update pass."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Iterator

from harvester import articles, ledger as ledgers
from harvester.errors import HarvestError
from harvester.harvest.base import OVERLAP, Harvest
from harvester.sources.pubmed import ESEARCH_CAP, SearchResult
from harvester.sources.pubmed_xml import Deleted, Unreadable

log = logging.getLogger(__name__)


@dataclass
class Window:
    datetype: str
    start: dt.date
    end: dt.date
    search: SearchResult

    def describe(self) -> dict:
        return {"datetype": self.datetype, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "count": self.search.count}


class PubmedHarvest(Harvest):
    """The edat windows (new records that match), then PMIDs missed before, then the mdat pass
    (stored records PubMed revised). Each window is one transaction with the ledger and the
    query state that says how far the query has collected."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.eutils = self.sources.eutils
        self.pmids: set[int] = set()  # PMIDs stored by this run (any window)
        self.expected = 0  # records stored once the current window is in
        self.writer: articles.PubmedWriter | None = None  # one per transaction

    def run(self, since: dt.date | None) -> None:
        state = self.state()
        through = state["collected_through"] if state else None
        mdat_through = _date(state["mdat_through"]) if state else None
        start = self.start_date(since, through)

        collected = _date(through)
        for window in self.plan("edat", start, self.today):
            log.info("%s: edat %s..%s: %d records", self.query.name, window.start, window.end,
                     window.search.count)
            self.harvest_window(window, matched=True, mdat_through=mdat_through or self.today,
                                collected_through=max(window.end, collected or window.end))

        self.retry_missing()

        if mdat_through is not None:
            for window in self.plan("mdat", mdat_through - OVERLAP, self.today):
                self.harvest_window(window, matched=False,
                                    mdat_through=max(window.end, mdat_through))

    def plan(self, datetype: str, start: dt.date, end: dt.date) -> list[Window]:
        """Windows covering start..end, each with at most ESEARCH_CAP records (bisect by date)."""
        search = self.eutils.esearch(self.query.term, datetype, start, end)
        for warning in search.warnings:
            self.warn(warning)
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
            self.warn(f"{datetype} {start}..{end}: count {search.count} but its parts add up to "
                      f"{total} (PubMed changed during the run?)")
        return windows

    def harvest_window(self, window: Window, *, matched: bool, **state: dt.date) -> None:
        """Fetch and store one window's records; commit them with the ledger and query state.

        matched: the window's records match the query (edat); an mdat window only refreshes
        records already stored.
        """
        search = window.search
        with self.transaction() as now:
            self.expected = len(self.pmids) + (search.count if matched else len(search.ids))
            if matched:
                self.ledger.found += search.count
                wanted = set(search.ids)
                self.eutils.fetch_search(search,
                                         lambda item: self._save(item, now, matched, wanted))
            else:
                # Stored records PubMed revised, and records set aside that may now be readable.
                rejected = ledgers.rejected_pmids(self.conn, self.query.name)
                wanted = (articles.stored_pmids(self.conn, search.ids)
                          | rejected.intersection(search.ids)) - self.pmids
                self.eutils.fetch_ids(sorted(wanted),
                                      lambda item: self._save(item, now, matched, wanted))
            missing = wanted - self.pmids
            if missing:
                log.info("%s: %d PMIDs missing from efetch; asking again", self.query.name,
                         len(missing))
                self.eutils.fetch_ids(sorted(missing),
                                      lambda item: self._save(item, now, matched, wanted))
                missing -= self.pmids
            if missing and matched:
                ledgers.save_missing(self.conn, self.query.name, missing, set(), now)
                self.ledger.missing = sorted(set(self.ledger.missing) | missing)
            self.ledger.windows.append(window.describe())
            self.commit_counts()
            self.save_state(**{k: v.isoformat() for k, v in state.items()})

    def retry_missing(self) -> None:
        """PMIDs that esearch listed in an earlier run but efetch never returned."""
        pending = [p for p in ledgers.load_missing(self.conn, self.query.name)
                   if p not in self.pmids and p not in self.ledger.missing]
        if not pending:
            return
        with self.transaction() as now:
            self.eutils.fetch_ids(pending, lambda item: self._save(item, now, True, set(pending)))
            found = set(pending) & self.pmids
            still = set(pending) - found
            ledgers.save_missing(self.conn, self.query.name, still, found, now)
            self.ledger.missing = sorted(set(self.ledger.missing) | still)
            self.commit_counts()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[str]:
        """The base transaction, with a PubmedWriter whose bulk rows are written before the
        commit."""
        with super().transaction() as now:
            self.writer = articles.PubmedWriter(self.conn, now)
            yield now
            self.writer.flush()

    def _save(self, item: dict | Deleted | Unreadable, now: str, matched: bool,
              wanted: set[int]) -> None:
        """Store one efetch item. A record that was not asked for (a proxy's or cache's mix-up)
        is left out: it may not match the query. One that cannot be read or stored is set
        aside (it is not missing: efetch did return it)."""
        if isinstance(item, Deleted):
            articles.save_deleted(self.conn, item.pmids, now)
            log.warning("%s: PubMed deleted PMIDs %s (kept in deleted_pmid)", self.query.name,
                        ", ".join(map(str, item.pmids)))
            return
        if isinstance(item, Unreadable):
            pmid = int(item.record_id) if item.record_id.isdigit() else None
            if pmid is not None and pmid not in wanted:
                return
            self.reject("pubmed", item.record_id, item.raw, item.error, now)
            if pmid is not None:
                self.pmids.add(pmid)
            return
        pmid = item["pmid"]
        if pmid not in wanted:
            log.warning("%s: efetch returned PMID %d, which was not asked for; left out",
                        self.query.name, pmid)
            return
        self.pmids.add(pmid)
        stored = self.store("pubmed", str(pmid), item["pubmed_raw"],
                            lambda: self._store_record(item, now, matched), now)
        if stored is not None:
            self.tally(*stored)
        self.progress(self.query.name, len(self.pmids), self.expected)

    def _store_record(self, record: dict, now: str, matched: bool) -> tuple[int, str, bool]:
        article_id, outcome = self.writer.save(record)
        first = matched and articles.save_query_match(self.conn, article_id, self.query.name,
                                                      now, self.run_id)
        return article_id, outcome, first


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
