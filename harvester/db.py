"""The database file: connect, create and upgrade it, transactions, and the time format.

One SQLite file in WAL mode. Connections run in autocommit mode and every write that must be
atomic goes through `transaction()`, so a window's records and the state that says "done up to
here" are committed together or not at all. The tables are created by the numbered migrations in
harvester/schema/ and the views by schema/views.sql; which module writes which table is in
docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Iterator

from harvester.errors import DatabaseError
from harvester.text import now_iso, parse_iso

__all__ = ["connect", "transaction", "upsert", "now_iso", "parse_iso", "MIGRATIONS", "VIEWS",
           "SCHEMA_VERSION"]

SQLITE_HEADER = b"SQLite format 3\x00"
SCHEMA = resources.files("harvester") / "schema"


def _migrations() -> list[str]:
    """schema/NNN_*.sql in order: file N upgrades the schema from version N-1 to N. A released
    migration is never edited; a change is a new file."""
    files = sorted(f for f in SCHEMA.iterdir() if re.match(r"\d{3}_.*\.sql$", f.name))
    for number, f in enumerate(files, 1):
        if int(f.name[:3]) != number:
            raise RuntimeError(f"harvester/schema: migration {number:03d} is missing")
    return [f.read_text(encoding="utf-8") for f in files]


def _views() -> dict[str, str]:
    """schema/views.sql: name -> the SELECT after "AS", exactly as CREATE VIEW stores it."""
    views = {}
    for statement in _statements(SCHEMA.joinpath("views.sql").read_text(encoding="utf-8")):
        statement = re.sub(r"^(?:--[^\n]*\n)+", "", statement)  # the comment above it
        match = re.match(r"CREATE VIEW (\w+) AS", statement)
        views[match[1]] = statement[match.end():].rstrip(";")
    return views


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and create or upgrade) the database, or raise DatabaseError saying what is wrong."""
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f"{path}: is a directory, not a database file; point HARVEST_DB (--db) "
                            "at a file such as data/harvest.db")
    if path.exists():
        _check_sqlite_file(path)
    elif not create:
        raise DatabaseError(f"{path}: no database yet; run `harvest run` first")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DatabaseError(f"{path}: cannot create its folder ({e.strerror})") from None
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        _check_version(conn, path)  # before anything writes to a file we may not understand
        if create:
            # WAL: analysts read while a run writes, and never see half a window.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            ensure_schema(conn, path)
    except sqlite3.DatabaseError as e:
        raise DatabaseError(f"{path}: {_sqlite_problem(e)}") from None
    return conn


def _check_sqlite_file(path: Path) -> None:
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise DatabaseError(f"{path}: cannot read it ({e.strerror})") from None
    if header and header != SQLITE_HEADER:
        raise DatabaseError(f"{path}: is not an SQLite database; move it away or point HARVEST_DB "
                            "(--db) at another file")


def _sqlite_problem(e: sqlite3.DatabaseError) -> str:
    text = str(e)
    if "readonly" in text or "read-only" in text:
        return "the database is read-only; give this user write access to the file and its folder"
    if "unable to open" in text:
        return "cannot open the database file; check the path and its folder's permissions"
    return f"database error: {text}"


def _check_version(conn: sqlite3.Connection, path: Path) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path}: written by a newer harvester (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade harvester (pip install -U .)")
    return version


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations this file has not seen, each in its own transaction, then make the
    views match their definitions."""
    version = _check_version(conn, path)
    if version < SCHEMA_VERSION:
        # Foreign keys off while tables are rebuilt (SQLite's recipe for schema changes: a
        # dropped parent table would otherwise cascade), checked before each commit.
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number in range(version, SCHEMA_VERSION):
                with transaction(conn):
                    for statement in _statements(MIGRATIONS[number]):
                        conn.execute(statement)
                    broken = conn.execute("PRAGMA foreign_key_check").fetchone()
                    if broken is not None:
                        raise DatabaseError(f"{path}: migration {number + 1} would leave a "
                                            f"row of {broken[0]} without its {broken[2]} row")
                    conn.execute(f"PRAGMA user_version = {number + 1}")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
    ensure_views(conn)


def ensure_views(conn: sqlite3.Connection) -> None:
    for name, select in VIEWS.items():
        wanted = f"CREATE VIEW {name} AS{select.rstrip()}"
        current = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?",
                               (name,)).fetchone()
        if current is None or current[0] != wanted:
            with transaction(conn):
                conn.execute(f"DROP VIEW IF EXISTS {name}")
                conn.execute(wanted)


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (triggers contain ';' so use sqlite3.complete_statement)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (a failed COMMIT included).
    SQLite has already rolled back after some errors (a full disk, an I/O error): then there
    is nothing to roll back, and the error that did it is the one raised."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


MIGRATIONS: list[str] = _migrations()
SCHEMA_VERSION = len(MIGRATIONS)
# Views are rebuilt whenever their definition differs from views.sql: migrations change tables,
# never views.
VIEWS: dict[str, str] = _views()


def upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...],
           keep: tuple[str, ...] = ()) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET every other column to the new value, except
    the columns in `keep`. Placeholders are in `columns` order."""
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key and c not in keep)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}")
