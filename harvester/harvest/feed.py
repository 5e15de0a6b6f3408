"""A feed query's run: each URL fetched conditionally (feed_state keeps the validators), its
entries stored by DOI or, without one, by link (feed_entry), and feed-only articles completed
from Crossref once it has registered them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

from harvester import articles, db
from harvester.errors import HarvestError
from harvester.harvest.base import Harvest
from harvester.harvest.crossref import store_crossref
from harvester.sources.crossref import work_to_record
from harvester.sources.feed import FeedBlocked, fetch_feed

log = logging.getLogger(__name__)

# Feed-only articles are completed from Crossref for this long after first seen.
CROSSREF_LOOKUP_DAYS = 90

FEED_ENTRY_COLUMNS = ("feed_url", "entry_key", "article_id", "doi", "title", "link", "authors",
                      "published_at", "section", "summary", "first_seen_at", "last_seen_at")
SAVE_FEED_ENTRY = db.upsert("feed_entry", FEED_ENTRY_COLUMNS, key=("feed_url", "entry_key"),
                            keep=("first_seen_at",))


class FeedHarvest(Harvest):
    """Entries older than the query's start (or --since) and, with keywords, entries that
    mention none of them are left out; each URL's entries are one transaction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keywords = [re.compile(rf"\b{re.escape(k)}\b", re.IGNORECASE)
                         for k in self.query.keywords]
        self.since: dt.date | None = None

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
                with self.transaction():
                    self._save_feed_state(url, state, status=status, error=error)
                    self.ledger.windows.append({"url": url, "status": status})
                    self.save_ledger()
                continue
            with self.transaction() as now:
                for warning in fetch.warnings:
                    self.warn(f"{url}: {warning}")
                for bad in fetch.unreadable:
                    self.reject("feed", bad["key"], bad["raw"], bad["error"], now)
                kept = [e for e in fetch.entries if self.wanted(e)]
                for entry in kept:
                    raw = json.dumps(entry, sort_keys=True, ensure_ascii=False)
                    self.store("feed", entry["key"] or entry["doi"] or entry["link"] or "?", raw,
                               lambda: self.save_entry(url, entry, now), now)
                self._save_feed_state(url, state, status=fetch.status,
                                      http_status=fetch.http_status, etag=fetch.etag,
                                      last_modified=fetch.last_modified,
                                      entries=len(fetch.entries) if fetch.status == "ok" else None)
                self.ledger.found += len(kept)
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
            self.warn(f"{url}: an entry without DOI or link ({entry['title']!r}); skipped")
            return
        if not doi:
            self.warn(f"entry without a DOI, stored by its link: {link}")
        known = self.conn.execute("SELECT article_id, doi FROM feed_entry WHERE feed_url = ? "
                                  "AND entry_key = ?", (url, key)).fetchone()
        if doi and known and known["article_id"] and not known["doi"]:
            self._link_doi(known["article_id"], doi)
        fields = {"doi": doi, "title": entry["title"], "abstract": entry["summary"],
                  "journal": entry["journal"], "url": link,
                  "epub_date": entry["published_at"][:10] if entry["published_at"] else None}
        authors = [_split_name(name) for name in entry["authors"]]
        article_id, outcome = articles.save_by_doi(self.conn, "feed", fields, authors, now)
        self.conn.execute(SAVE_FEED_ENTRY, (
            url, key, article_id, doi, entry["title"], link, json.dumps(entry["authors"]),
            entry["published_at"], entry["section"], entry["summary"], now, now))
        first = articles.save_query_match(self.conn, article_id, self.query.name, now,
                                          self.run_id)
        self.tally(article_id, outcome, first)

    def _link_doi(self, article_id: int, doi: str) -> None:
        """An entry first seen without a DOI now has one: give its article the DOI, or fold it
        into the article that already has it."""
        other = articles.find_article(self.conn, doi)
        if other is None:
            articles.set_doi(self.conn, article_id, doi)
        elif other["id"] != article_id:
            articles.merge_articles(self.conn, keep=other["id"], drop=article_id)
        log.info("%s: entry linked to DOI %s", self.query.name, doi)

    def _save_feed_state(self, url: str, state, **values) -> None:
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
                            - dt.timedelta(days=CROSSREF_LOOKUP_DAYS))
        for row in articles.feed_only(self.conn, self.query.name, since=cutoff):
            try:
                work = self.sources.crossref.work(row["doi"])
            except HarvestError as e:
                self.warn(f"Crossref lookup of {row['doi']}: {e}")
                return
            if work is None:
                log.info("%s: %s not registered at Crossref yet", self.query.name, row["doi"])
                continue
            with db.transaction(self.conn):
                store_crossref(self.conn, work_to_record(work), db.now_iso())


def _split_name(name: str) -> dict:
    """A feed's "Jane Q. Doe" -> last name Doe, fore name Jane Q. (approximate; Crossref or
    PubMed replace these authors when they arrive)."""
    fore, _, last = name.rpartition(" ")
    return {"last_name": last, "fore_name": fore or None, "collective_name": None,
            "orcid": None, "affiliations": []}
