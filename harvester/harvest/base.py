"""What every source's harvest shares: the clients, the counts, warnings, and a transaction
that rolls back the counts with the data."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterator

from harvester import db, ledger as ledgers
from harvester.http import HttpClient
from harvester.ledger import Ledger
from harvester.queries import Query
from harvester.sources.crossref import Crossref
from harvester.sources.pubmed import Eutils

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
        self.updated: set[int] = set()

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

    def tally(self, article_id: int, outcome: str) -> None:
        """Count one stored article (in memory; commit_counts() writes the counts)."""
        self.seen.add(article_id)
        if outcome == "new":
            self.new.add(article_id)
        elif outcome == "updated" and article_id not in self.new:
            self.updated.add(article_id)

    def commit_counts(self) -> None:
        """Write the counts to the ledger row, inside the caller's transaction."""
        self.ledger.fetched = len(self.seen)
        self.ledger.new, self.ledger.updated = len(self.new), len(self.updated)
        self.save_ledger()

    def save_ledger(self) -> None:
        ledgers.save_run_query(self.conn, self.run_id, self.query.name, **self.ledger.values())

    def save_state(self, **values) -> None:
        ledgers.save_query_state(self.conn, self.query.name, self.query.source, **values)

    def warn(self, warning: str) -> None:
        self.ledger.warn(warning)

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

    def _counters(self) -> dict[str, set]:
        return {name: set(value) for name, value in vars(self).items() if isinstance(value, set)}

    def _restore(self, counters: dict[str, set]) -> None:
        vars(self).update(counters)
