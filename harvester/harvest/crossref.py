"""A Crossref query's run: a journal's works registered since the last run, ISSN by ISSN, each
page committed as it comes; and how a Crossref work is stored (its article and crossref_record).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from hashlib import sha1

from harvester import articles, notices
from harvester.errors import HarvestError
from harvester.harvest.base import Harvest
from harvester.sources.crossref import NotFound, Page, open_licence_start, work_to_record
from harvester.text import normalize_doi


class CrossrefHarvest(Harvest):
    """The query's "collected through" date is Crossref's created date, and moves only when
    every ISSN has been read."""

    def run(self, since: dt.date | None) -> None:
        state = self.state()
        start = self.start_date(since, state["collected_through"] if state else None)
        answered = []
        for issn in self.query.issns:
            try:
                total = self.sources.crossref.journal_works(issn, start, self.today, self.save_page)
            except NotFound:
                self.warn(f"ISSN {issn}: Crossref does not key the journal by this ISSN "
                          "(HTTP 404); skipped")
                continue
            answered.append(issn)
            self.ledger.found += total
            self.ledger.windows.append({"issn": issn, "start": start.isoformat(),
                                        "end": self.today.isoformat(), "count": total})
        if not answered:
            raise HarvestError(f"Crossref knows the journal by none of the ISSNs "
                               f"{', '.join(self.query.issns)}; check `issn` in {self.query.path}")
        with self.transaction():
            self.save_ledger()
            self.save_state(collected_through=self.today.isoformat())

    def save_page(self, page: Page) -> None:
        """One page of works, committed with the ledger's counts."""
        with self.transaction() as now:
            for work in page.items:
                raw = json.dumps(work, sort_keys=True, ensure_ascii=False, default=str)
                doi = normalize_doi(work.get("DOI")) if isinstance(work, dict) else None
                record_id = doi if isinstance(doi, str) else f"sha1:{sha1(raw.encode()).hexdigest()}"
                stored = self.store("crossref", record_id, raw,
                                    lambda: self._store_work(work, now), now)
                if stored is not None:
                    self.tally(*stored)
            self.commit_counts()

    def _store_work(self, work: dict, now: str) -> tuple[int, str, bool] | None:
        record = work_to_record(work)
        if not record["doi"]:
            self.warn("a Crossref work without a DOI; skipped")
            return None
        article_id, outcome = store_crossref(self.conn, record, now)
        first = articles.save_query_match(self.conn, article_id, self.query.name, now,
                                          self.run_id)
        return article_id, outcome, first


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
    article_id, outcome = articles.save_by_doi(conn, "crossref", fields, authors, now)
    conn.execute(
        "INSERT OR REPLACE INTO crossref_record VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (article_id, record["doi"], record["type"], record["publisher"], record["created_at"],
         record["published_online"], record["published_print"], record["issued"],
         json.dumps(record["licenses"]), open_licence_start(record["licenses"]), now,
         record["journal"]))
    notices.save_links(conn, notices.crossref_links(record), now)
    return article_id, outcome
