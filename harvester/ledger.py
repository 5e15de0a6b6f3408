"""The run ledger and each saved query's state: what ran, when, with what outcome, and how far
each query has collected.

`runs` has a row per `harvest run`, `run_queries` a row per query in it (kept current as
windows commit, so a crash leaves an honest record), `query_state` where each query stands and
`missing_pmid` the PMIDs esearch listed but efetch did not return.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field

from harvester.db import transaction

log = logging.getLogger(__name__)


@dataclass
class Ledger:
    """One query's line in run_queries, kept in memory and written with each commit."""

    query: str
    source: str
    window_start: str | None = None
    window_end: str | None = None
    windows: list[dict] = field(default_factory=list)
    found: int = 0  # what the source listed: esearch hits, Crossref works, kept feed entries
    fetched: int = 0
    new: int = 0
    updated: int = 0  # changed: their source revised them
    already_stored: int = 0  # stored before (another query or source), matched now
    missing: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    status: str = "running"

    def values(self) -> dict:
        return {k: getattr(self, k) for k in (
            "source", "status", "window_start", "window_end", "windows", "found",
            "fetched", "new", "updated", "already_stored", "missing", "warnings", "errors")}

    def counts(self) -> str:
        """'47 found, 25 new, 22 already stored, 3 changed, 1 missing' (parts at 0 left out,
        but for found and new)."""
        parts = [f"{self.found} found", f"{self.new} new"]
        if self.already_stored:
            parts.append(f"{self.already_stored} already stored")
        if self.updated:
            parts.append(f"{self.updated} changed")
        if self.missing:
            parts.append(f"{len(self.missing)} missing")
        return ", ".join(parts)

    def warn(self, warning: str) -> None:
        """Log a warning once and keep it in the query's ledger."""
        if warning not in self.warnings:
            log.warning("%s: %s", self.query, warning)
            self.warnings.append(warning)


def load_query_state(conn: sqlite3.Connection, query: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM query_state WHERE query = ?", (query,)).fetchone()


def save_query_state(conn: sqlite3.Connection, query: str, source: str, **values) -> None:
    conn.execute("INSERT OR IGNORE INTO query_state (query, source) VALUES (?, ?)", (query, source))
    if values:
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE query_state SET {sets} WHERE query = ?", (*values.values(), query))


def save_missing(conn: sqlite3.Connection, query: str, pmids: set[int], found: set[int],
                 now: str) -> None:
    """Remember PMIDs esearch named but efetch did not return; forget those found since."""
    if found:
        conn.executemany("DELETE FROM missing_pmid WHERE pmid = ? AND query = ?",
                         [(p, query) for p in found])
    conn.executemany(
        "INSERT INTO missing_pmid VALUES (?, ?, ?, ?, 1) ON CONFLICT (pmid, query) DO UPDATE "
        "SET last_tried_at = excluded.last_tried_at, attempts = attempts + 1",
        [(p, query, now, now) for p in sorted(pmids)])


def load_missing(conn: sqlite3.Connection, query: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT pmid FROM missing_pmid WHERE query = ? ORDER BY pmid", (query,))]


def start_run(conn: sqlite3.Connection, pid: int, command: str, now: str) -> int:
    """Mark runs left 'running' by a dead process as crashed, then open a new run."""
    with transaction(conn):
        conn.execute("UPDATE runs SET status = 'crashed' WHERE status = 'running'")
        conn.execute("UPDATE run_queries SET status = 'crashed' WHERE status = 'running'")
        return conn.execute("INSERT INTO runs (started_at, pid, command) VALUES (?, ?, ?)",
                            (now, pid, command)).lastrowid


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, now: str,
               error: str | None = None) -> None:
    conn.execute("UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ?",
                 (status, now, error, run_id))


def save_run_query(conn: sqlite3.Connection, run_id: int, query: str, **values) -> None:
    """Create or update one query's ledger row; list values are stored as JSON."""
    values = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in values.items()}
    exists = conn.execute("SELECT 1 FROM run_queries WHERE run_id = ? AND query = ?",
                          (run_id, query)).fetchone()
    if exists is None:
        columns = ["run_id", "query", *values]
        conn.execute(f"INSERT INTO run_queries ({', '.join(columns)}) "
                     f"VALUES ({', '.join('?' * len(columns))})", (run_id, query, *values.values()))
    elif values:
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE run_queries SET {sets} WHERE run_id = ? AND query = ?",
                     (*values.values(), run_id, query))


# --- records set aside ----------------------------------------------------------------------

def rejected_hashes(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(source, record id) -> the hash of the record as it was set aside."""
    return {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT source, record_id, raw_hash FROM rejected_record")}


def save_rejected(conn: sqlite3.Connection, source: str, record_id: str, query: str,
                  raw: bytes | str, raw_hash: str, error: str, now: str) -> None:
    conn.execute(
        "INSERT INTO rejected_record (source, record_id, query, raw, raw_hash, error, "
        "first_rejected_at, last_rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (source, record_id) DO UPDATE SET query = excluded.query, "
        "raw = excluded.raw, raw_hash = excluded.raw_hash, error = excluded.error, "
        "last_rejected_at = excluded.last_rejected_at, attempts = attempts + 1",
        (source, record_id, query, raw, raw_hash, error, now, now))


def forget_rejected(conn: sqlite3.Connection, source: str, record_id: str) -> None:
    """The record was stored after all."""
    conn.execute("DELETE FROM rejected_record WHERE source = ? AND record_id = ?",
                 (source, record_id))


def rejected_pmids(conn: sqlite3.Connection, query: str) -> set[int]:
    """PubMed records this query set aside: the update pass asks for them again when PubMed
    revises them."""
    return {int(r[0]) for r in conn.execute(
        "SELECT record_id FROM rejected_record WHERE source = 'pubmed' AND query = ? "
        "AND record_id NOT LIKE 'sha1:%'", (query,))}
