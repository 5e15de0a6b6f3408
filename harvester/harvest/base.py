"""What every source's harvest shares: the clients, the counts, warnings, and a transaction
that rolls back the counts with the data."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

from harvester import db, ledger as ledgers
from harvester.http import HttpClient
from harvester.ledger import Ledger
from harvester.queries import Query
from harvester.sources.crossref import Crossref
from harvester.sources.pubmed import Eutils

log = logging.getLogger(__name__)
T = TypeVar("T")

# Entrez and Crossref dates are day-granular and records show up in a day's listing a little
# late: each run starts two days before the end of the last committed window. Upserts make the
# overlap harmless.
OVERLAP = dt.timedelta(days=2)

# progress(query name, records stored so far, records expected so far): for a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass
class Sources:
    """The clients a run talks to; one HttpClient under them all."""

    http: HttpClient
    eutils: Eutils
    crossref: Crossref


class Harvest:
    """One saved query's run. Subclasses implement run(since); they store articles, tally()
    each one, and write the counts with commit_counts() inside the transaction that stored them.

    Counts are sets of article ids, so an article stored twice in one run counts once, as new
    if it was new the first time.
    """

    def __init__(self, conn: sqlite3.Connection, sources: Sources, query: Query, ledger: Ledger,
                 run_id: int, today: dt.date, progress: Progress | None = None):
        self.conn = conn
        self.sources = sources
        self.query = query
        self.ledger = ledger
        self.run_id = run_id
        self.today = today
        self.progress = progress or (lambda query, done, total: None)
        self.seen: set[int] = set()  # article ids stored by this run
        self.new: set[int] = set()
        self.updated: set[int] = set()  # changed: their source revised them
        self.already: set[int] = set()  # stored before, matched by this query for the first time
        self.rejected = ledgers.rejected_hashes(conn)  # (source, id) -> hash, as set aside
        self.set_aside: list[str] = []  # this run's records that could not be stored

    def run(self, since: dt.date | None) -> None:
        raise NotImplementedError

    def state(self) -> sqlite3.Row | None:
        return ledgers.load_query_state(self.conn, self.query.name)

    def start_date(self, since: dt.date | None, through: str | None) -> dt.date:
        """Where this run's window starts: --since, else the overlap before the date the last
        run collected through, else the query's own start; never after today."""
        if since is not None:
            start = since
        elif through:
            start = dt.date.fromisoformat(through) - OVERLAP
        else:
            start = self.query.first_date(self.today)
        start = min(start, self.today)
        self.ledger.window_start, self.ledger.window_end = start.isoformat(), self.today.isoformat()
        return start

    def tally(self, article_id: int, outcome: str, first_match: bool = False) -> None:
        """Count one stored article (in memory; commit_counts() writes the counts).
        first_match: this query matched the article for the first time (an article another
        query or source stored before is "already stored" for this one)."""
        self.seen.add(article_id)
        if outcome == "new":
            self.new.add(article_id)
        elif outcome == "updated" and article_id not in self.new:
            self.updated.add(article_id)
        if first_match and outcome != "new" and article_id not in self.new:
            self.already.add(article_id)

    def commit_counts(self) -> None:
        """Write the counts to the ledger row, inside the caller's transaction."""
        self.ledger.fetched = len(self.seen)
        self.ledger.new, self.ledger.updated = len(self.new), len(self.updated)
        self.ledger.already_stored = len(self.already)
        self.save_ledger()

    def save_ledger(self) -> None:
        ledgers.save_run_query(self.conn, self.run_id, self.query.name, **self.ledger.values())

    def save_state(self, **values) -> None:
        ledgers.save_query_state(self.conn, self.query.name, self.query.source, **values)

    def warn(self, warning: str) -> None:
        self.ledger.warn(warning)

    def store(self, source: str, record_id: str, raw: bytes | str, save: Callable[[], T],
              now: str) -> T | None:
        """save() one record inside a savepoint of the current transaction. If it raises, the
        record's writes are rolled back and the record is set aside (rejected_record) with
        its raw form and the error, and None is returned: the rest of the query goes on.

        A record set aside before and arriving unchanged is skipped; a changed one is tried
        again, and leaves rejected_record once it is stored."""
        key = (source, record_id)
        if key in self.rejected and self.rejected[key] == _digest(raw):
            log.info("%s: %s record %s is still set aside (unchanged)", self.query.name,
                     source, record_id)
            return None
        self.conn.execute("SAVEPOINT record")
        try:
            result = save()
        except Exception as e:  # one record's problem, whatever it is, stays with that record
            self.conn.execute("ROLLBACK TO record")
            self.conn.execute("RELEASE record")
            log.debug("%s: %s record %s", self.query.name, source, record_id, exc_info=True)
            self.reject(source, record_id, raw, f"{type(e).__name__}: {e}", now)
            return None
        self.conn.execute("RELEASE record")
        if key in self.rejected:
            ledgers.forget_rejected(self.conn, source, record_id)
            del self.rejected[key]
        return result

    def reject(self, source: str, record_id: str, raw: bytes | str, error: str,
               now: str) -> None:
        """Set a record aside (one that could not even be parsed, or store() failed on)."""
        key = (source, record_id)
        digest = _digest(raw)
        if self.rejected.get(key) == digest:
            return
        error = " ".join(error.split())[:500]
        ledgers.save_rejected(self.conn, source, record_id, self.query.name, raw, digest,
                              error, now)
        self.rejected[key] = digest
        message = f"set aside {source} record {record_id}: {error}"
        log.error("%s: %s", self.query.name, message)
        self.set_aside.append(message)
        self.ledger.errors.append(message)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[str]:
        """One transaction; if it fails the database rolls back and so does what this object
        counted. Yields the timestamp to store."""
        snapshot = (copy.deepcopy(vars(self.ledger)), self._counters())
        try:
            with db.transaction(self.conn):
                yield db.now_iso()
        except BaseException:
            ledger, counters = snapshot
            vars(self.ledger).update(ledger)
            self._restore(counters)
            raise

    def _counters(self) -> dict:
        return {name: copy.copy(value) for name, value in vars(self).items()
                if isinstance(value, (set, dict, list))}

    def _restore(self, counters: dict) -> None:
        vars(self).update(counters)


def _digest(raw: bytes | str) -> str:
    return hashlib.blake2b(raw.encode() if isinstance(raw, str) else raw,
                           digest_size=16).hexdigest()
