"""The database: schema and versioned migrations, save_* functions, views, FTS, the run ledger.

One SQLite file in WAL mode. Connections run in autocommit mode and every write that must be
atomic goes through `transaction()`, so a window's records and the state that says "done up to
here" are committed together or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Iterator

from isal import isal_zlib

from harvester.errors import DatabaseError

SQLITE_HEADER = b"SQLite format 3\x00"
# The raw XML is stored in zlib's format, read back with zlib.decompress, but written by ISA-L's
# deflate: on real 2026 efetch records (22 KB) its level 1 takes 50 us a record where zlib's
# level 1 takes 360 us (a third of all parse+store time), for a slightly smaller result (30.1%
# of the bytes, zlib 30.7%). Rows written by zlib.compress read back the same way.
RAW_COMPRESSION = 1

# Each entry upgrades the schema from version i to i+1; a released entry is never edited.
MIGRATIONS: list[str] = [
    # 1: articles from PubMed, their child tables, saved-query matches and state, the run ledger.
    """
    CREATE TABLE article (
        id INTEGER PRIMARY KEY,
        pmid INTEGER UNIQUE,
        pmid_version INTEGER,
        doi TEXT,
        pmcid TEXT,
        pii TEXT,
        record_type TEXT NOT NULL DEFAULT 'article',
        title TEXT,
        abstract TEXT,
        journal TEXT,
        journal_iso TEXT,
        issn_print TEXT,
        issn_electronic TEXT,
        volume TEXT,
        issue TEXT,
        pages TEXT,
        pub_date TEXT,
        pub_date_text TEXT,
        epub_date TEXT,
        entrez_date TEXT,
        revised_date TEXT,
        language TEXT,
        publication_status TEXT,
        coi_statement TEXT,
        pubmed_xml BLOB,
        pubmed_hash TEXT,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX article_doi ON article(doi);
    CREATE INDEX article_pmcid ON article(pmcid);
    CREATE INDEX article_first_seen ON article(first_seen_at);

    CREATE TABLE article_author (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        last_name TEXT,
        fore_name TEXT,
        initials TEXT,
        suffix TEXT,
        collective_name TEXT,
        orcid TEXT,
        equal_contrib INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (article_id, position)
    );
    CREATE INDEX article_author_orcid ON article_author(orcid);

    CREATE TABLE article_affiliation (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        author_position INTEGER NOT NULL,
        position INTEGER NOT NULL,
        affiliation TEXT NOT NULL,
        PRIMARY KEY (article_id, author_position, position)
    );

    CREATE TABLE article_publication_type (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        ui TEXT,
        PRIMARY KEY (article_id, position)
    );
    CREATE INDEX article_publication_type_name ON article_publication_type(name);

    CREATE TABLE article_keyword (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        keyword TEXT NOT NULL,
        major_topic INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (article_id, position)
    );

    CREATE TABLE article_mesh (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        descriptor TEXT NOT NULL,
        descriptor_ui TEXT,
        major_topic INTEGER NOT NULL DEFAULT 0,
        qualifiers TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (article_id, position)
    );
    CREATE INDEX article_mesh_descriptor ON article_mesh(descriptor);

    CREATE TABLE article_grant (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        grant_id TEXT,
        acronym TEXT,
        agency TEXT,
        country TEXT,
        PRIMARY KEY (article_id, position)
    );

    CREATE TABLE query_match (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        query TEXT NOT NULL,
        first_matched_at TEXT NOT NULL,
        run_id INTEGER,
        PRIMARY KEY (article_id, query)
    );
    CREATE INDEX query_match_query ON query_match(query, first_matched_at);

    CREATE TABLE query_state (
        query TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        edat_through TEXT,
        mdat_through TEXT,
        last_success_at TEXT,
        last_attempt_at TEXT,
        last_status TEXT,
        last_error TEXT
    );

    CREATE TABLE missing_pmid (
        pmid INTEGER NOT NULL,
        query TEXT NOT NULL,
        first_missed_at TEXT NOT NULL,
        last_tried_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (pmid, query)
    );

    CREATE TABLE deleted_pmid (
        pmid INTEGER PRIMARY KEY,
        seen_at TEXT NOT NULL
    );

    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        pid INTEGER,
        command TEXT,
        error TEXT
    );

    CREATE TABLE run_queries (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        query TEXT NOT NULL,
        source TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'running',
        window_start TEXT,
        window_end TEXT,
        windows TEXT NOT NULL DEFAULT '[]',
        esearch_count INTEGER NOT NULL DEFAULT 0,
        fetched INTEGER NOT NULL DEFAULT 0,
        new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        missing TEXT NOT NULL DEFAULT '[]',
        warnings TEXT NOT NULL DEFAULT '[]',
        errors TEXT NOT NULL DEFAULT '[]',
        started_at TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (run_id, query)
    );

    CREATE VIRTUAL TABLE article_fts USING fts5(
        title, abstract, content='article', content_rowid='id', tokenize='porter unicode61'
    );
    -- Inserts and updates are indexed by save_pubmed_record (three times faster than a
    -- trigger here); a row an analyst deletes by hand leaves the index through this trigger.
    CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, abstract)
        VALUES ('delete', old.id, old.title, old.abstract);
    END;

    """,
    # 2: open-access status (current state, its history) and Europe PMC's flags.
    """
    CREATE TABLE oa_status (
        article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
        oa_status TEXT NOT NULL,
        is_oa INTEGER,
        oa_url TEXT,
        oa_pdf_url TEXT,
        oa_license TEXT,
        oa_version TEXT,
        oa_host_type TEXT,
        journal_is_oa INTEGER,
        source TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        next_check_at TEXT NOT NULL,
        checks INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX oa_status_next_check ON oa_status(next_check_at);

    CREATE TABLE oa_observation (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        observed_at TEXT NOT NULL,
        oa_status TEXT NOT NULL,
        is_oa INTEGER,
        oa_license TEXT,
        oa_url TEXT,
        source TEXT NOT NULL
    );
    CREATE INDEX oa_observation_article ON oa_observation(article_id, observed_at);

    CREATE TABLE europepmc_record (
        article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
        pmcid TEXT,
        in_pmc INTEGER,
        in_epmc INTEGER,
        is_open_access INTEGER,
        has_pdf INTEGER,
        license TEXT,
        full_text_available INTEGER,
        checked_at TEXT NOT NULL
    );

    """,
    # 3: conflict-of-interest statements: classification, declaring authors, organizations,
    # history.
    """
    CREATE TABLE coi (
        article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        statement TEXT,
        source TEXT,
        evidence TEXT,
        organizations TEXT NOT NULL DEFAULT '[]',
        authors_declaring INTEGER,
        authors_total INTEGER,
        checked_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        next_check_at TEXT,
        checks INTEGER NOT NULL DEFAULT 1,
        article_hash TEXT
    );
    CREATE INDEX coi_next_check ON coi(next_check_at);

    CREATE TABLE coi_organization (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        organization TEXT NOT NULL,
        PRIMARY KEY (article_id, organization)
    );
    CREATE INDEX coi_organization_name ON coi_organization(organization);

    CREATE TABLE coi_author (
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        author_position INTEGER NOT NULL,
        declares INTEGER NOT NULL,
        PRIMARY KEY (article_id, author_position)
    );

    CREATE TABLE coi_history (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        observed_at TEXT NOT NULL,
        status TEXT NOT NULL,
        statement TEXT,
        source TEXT
    );
    CREATE INDEX coi_history_article ON coi_history(article_id, observed_at);

    """,
    # 4: articles from Crossref and feeds (no PMID yet), merged by DOI; feed state.
    """
    ALTER TABLE article ADD COLUMN url TEXT;
    ALTER TABLE article ADD COLUMN metadata_source TEXT;
    UPDATE article SET metadata_source = 'pubmed' WHERE pmid IS NOT NULL;
    CREATE INDEX article_url ON article(url) WHERE doi IS NULL;
    CREATE INDEX article_without_pmid ON article(first_seen_at) WHERE pmid IS NULL;

    CREATE TABLE crossref_record (
        article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
        doi TEXT NOT NULL,
        type TEXT,
        publisher TEXT,
        created_at TEXT,
        published_online TEXT,
        published_print TEXT,
        issued TEXT,
        licenses TEXT NOT NULL DEFAULT '[]',
        free_from TEXT,
        fetched_at TEXT NOT NULL
    );

    CREATE TABLE feed_entry (
        id INTEGER PRIMARY KEY,
        feed_url TEXT NOT NULL,
        entry_key TEXT NOT NULL,
        article_id INTEGER REFERENCES article(id) ON DELETE SET NULL,
        doi TEXT,
        title TEXT,
        link TEXT,
        authors TEXT NOT NULL DEFAULT '[]',
        published_at TEXT,
        section TEXT,
        summary TEXT,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        UNIQUE (feed_url, entry_key)
    );
    CREATE INDEX feed_entry_article ON feed_entry(article_id);

    CREATE TABLE feed_state (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        checked_at TEXT NOT NULL,
        status TEXT NOT NULL,
        http_status INTEGER,
        entries INTEGER,
        error TEXT
    );

    """,
    # 5: digests and exports written (the editorial queue starts after the last), deliveries
    # to each pipeline consumer, and full-text search over COI statements.
    """
    CREATE TABLE outputs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        format TEXT NOT NULL,
        consumer TEXT,
        path TEXT,
        articles INTEGER NOT NULL,
        article_id_through INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE delivery (
        consumer TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
        output_id INTEGER NOT NULL REFERENCES outputs(id),
        PRIMARY KEY (consumer, article_id)
    );
    CREATE INDEX delivery_output ON delivery(output_id);

    CREATE VIRTUAL TABLE coi_fts USING fts5(
        statement, content='coi', content_rowid='article_id', tokenize='porter unicode61'
    );
    -- save_coi writes one row at a time, so triggers cost nothing noticeable here.
    CREATE TRIGGER coi_fts_insert AFTER INSERT ON coi BEGIN
        INSERT INTO coi_fts(rowid, statement) VALUES (new.article_id, new.statement);
    END;
    CREATE TRIGGER coi_fts_update AFTER UPDATE OF statement ON coi BEGIN
        INSERT INTO coi_fts(coi_fts, rowid, statement)
        VALUES ('delete', old.article_id, old.statement);
        INSERT INTO coi_fts(rowid, statement) VALUES (new.article_id, new.statement);
    END;
    CREATE TRIGGER coi_fts_delete AFTER DELETE ON coi BEGIN
        INSERT INTO coi_fts(coi_fts, rowid, statement)
        VALUES ('delete', old.article_id, old.statement);
    END;
    INSERT INTO coi_fts(coi_fts) VALUES ('rebuild');

    """,
    # 6: performance: indexes for per-run queries
    # (test_query_plans.py checks that every statement of a run uses one; bench/growth.py
    # measures a run on 0, 100k and 1M stored articles.) The enrichment steps' queues: articles
    # a step has not looked at since they arrived (or, for COI, changed), kept by triggers on
    # article whatever writes it, and emptied as the step stores its result. Finding the due
    # articles reads these and the next_check_at indexes instead of every article.
    """
    CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
    CREATE INDEX run_queries_running ON run_queries(status) WHERE status = 'running';
    CREATE INDEX missing_pmid_query ON missing_pmid(query, pmid);

    CREATE TABLE oa_pending (
        article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE
    );
    CREATE TABLE coi_pending (
        article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE
    );
    INSERT INTO oa_pending
        SELECT a.id FROM article a LEFT JOIN oa_status o ON o.article_id = a.id
        WHERE o.article_id IS NULL;
    INSERT INTO coi_pending
        SELECT a.id FROM article a LEFT JOIN coi c ON c.article_id = a.id
        WHERE c.article_id IS NULL OR c.article_hash IS NOT a.pubmed_hash;
    CREATE TRIGGER article_pending_insert AFTER INSERT ON article BEGIN
        INSERT OR IGNORE INTO oa_pending VALUES (new.id);
        INSERT OR IGNORE INTO coi_pending VALUES (new.id);
    END;
    CREATE TRIGGER article_pending_update AFTER UPDATE OF pubmed_hash ON article
    WHEN new.pubmed_hash IS NOT old.pubmed_hash BEGIN
        INSERT OR IGNORE INTO coi_pending VALUES (new.id);
    END;

    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

# Views are declared once, here, and rebuilt whenever their definition differs from the file's:
# migrations change tables, never views.
VIEWS = {
    # The contract: one row per article, exactly these columns.
    "articles": """
SELECT
    a.pmid,
    a.doi,
    a.pmcid,
    a.title,
    a.abstract,
    a.journal,
    a.pub_date,
    (SELECT json_group_array(name) FROM (
        SELECT name FROM article_publication_type WHERE article_id = a.id ORDER BY position
    )) AS publication_types,
    (SELECT json_group_array(label) FROM (
        SELECT coalesce(collective_name,
                        trim(coalesce(last_name, '') || ' ' || coalesce(initials, ''))) AS label
        FROM article_author WHERE article_id = a.id ORDER BY position
    )) AS authors,
    o.oa_status,
    o.is_oa,
    o.oa_url,
    o.oa_license,
    c.status AS coi_status,
    coalesce(c.statement, a.coi_statement) AS coi_statement,
    coalesce(c.source, CASE WHEN a.coi_statement IS NOT NULL THEN 'pubmed' END) AS coi_source,
    c.organizations AS coi_organizations,
    (SELECT json_group_array(query) FROM (
        SELECT query FROM query_match WHERE article_id = a.id ORDER BY query
    )) AS queries,
    a.first_seen_at,
    a.updated_at
FROM article a
LEFT JOIN oa_status o ON o.article_id = a.id
LEFT JOIN coi c ON c.article_id = a.id
""",
    # Articles stored since the last digest or export, with the OA status and the COI line the
    # digest shows (outputs/items.py coi_line writes the same text; a test holds them equal).
    "editorial_queue": """
SELECT
    a.pmid,
    a.doi,
    a.title,
    a.journal,
    coalesce(a.epub_date, a.pub_date) AS published,
    (SELECT json_group_array(query) FROM (
        SELECT query FROM query_match WHERE article_id = a.id ORDER BY query
    )) AS queries,
    coalesce(o.oa_status, 'not yet checked') AS oa_status,
    CASE c.status
        WHEN 'none_declared' THEN 'no competing interests declared'
        WHEN 'not_found' THEN 'statement not available'
        WHEN 'unclear' THEN 'statement unclear'
        WHEN 'declared' THEN 'declared' || CASE
            WHEN c.authors_declaring > 0 AND c.authors_total > 0 AND c.organizations != '[]'
                THEN ': ' || c.authors_declaring || ' of ' || c.authors_total || ' authors; '
                     || (SELECT group_concat(value, ', ') FROM json_each(c.organizations))
            WHEN c.authors_declaring > 0 AND c.authors_total > 0
                THEN ': ' || c.authors_declaring || ' of ' || c.authors_total || ' authors'
            WHEN c.organizations != '[]'
                THEN ': ' || (SELECT group_concat(value, ', ') FROM json_each(c.organizations))
            ELSE '' END
        ELSE coalesce(c.status, 'not yet checked')
    END AS coi_summary,
    a.first_seen_at
FROM article a
LEFT JOIN oa_status o ON o.article_id = a.id
LEFT JOIN coi c ON c.article_id = a.id
WHERE a.id > (SELECT coalesce(max(article_id_through), 0) FROM outputs)
""",
    # Companies named in declared interests: how many articles, and the latest one (SQLite
    # takes the bare columns from the row that has the max()).
    "coi_by_organization": """
SELECT
    o.organization,
    count(*) AS articles,
    max(a.first_seen_at) AS latest_seen_at,
    a.pmid AS latest_pmid,
    a.doi AS latest_doi,
    a.title AS latest_title
FROM coi_organization o
JOIN article a ON a.id = o.article_id
GROUP BY o.organization
""",
}


def now_iso(now: dt.datetime | None = None) -> str:
    """UTC timestamp as stored everywhere: 2025-03-04T05:06:07Z."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> dt.datetime:
    """A timestamp as now_iso writes it -> an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


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
    for number in range(version, SCHEMA_VERSION):
        with transaction(conn):
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
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
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- articles -------------------------------------------------------------------------------

ARTICLE_COLUMNS = (
    "pmid", "pmid_version", "doi", "pmcid", "pii", "record_type", "title", "abstract", "journal",
    "journal_iso", "issn_print", "issn_electronic", "volume", "issue", "pages", "pub_date",
    "pub_date_text", "epub_date", "entrez_date", "revised_date", "language",
    "publication_status", "coi_statement", "pubmed_xml", "pubmed_hash",
)
INSERT_ARTICLE = (
    f"INSERT INTO article ({', '.join(ARTICLE_COLUMNS)}, first_seen_at, updated_at, "
    f"metadata_source) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))}, ?, ?, 'pubmed')"
)
# Fields Crossref or a feed may have filled before PubMed indexed the article: PubMed's value
# wins, but a field PubMed lacks keeps theirs.
SHARED_COLUMNS = ("doi", "title", "abstract", "journal", "issn_print", "issn_electronic", "volume",
                  "issue", "pages", "pub_date", "epub_date")
UPDATE_ARTICLE = (
    "UPDATE article SET " + ", ".join(
        f"{c} = coalesce(?, {c})" if c in SHARED_COLUMNS else f"{c} = ?" for c in ARTICLE_COLUMNS)
    + ", updated_at = ?, metadata_source = 'pubmed' WHERE id = ?"
)
CHILD_TABLES = ("article_author", "article_affiliation", "article_publication_type",
                "article_keyword", "article_mesh", "article_grant")


# Python 3.11's sqlite3 binds None through its adapter lookup: 0.85 us a value, a str or an int
# 0.1 us. A real 2026 record's authors bind about 35 Nones (suffix, collective name, ORCID), so
# their text columns are bound with NO_TEXT for None and written as nullif(?, 0): no text equals
# the integer 0 in SQLite, so a str is stored as it is and NO_TEXT as NULL.
NO_TEXT = 0
CHILD_INSERTS = {
    "article_author": "INSERT INTO article_author VALUES (?, ?, nullif(?, 0), nullif(?, 0), "
                      "nullif(?, 0), nullif(?, 0), nullif(?, 0), nullif(?, 0), ?)",
    "article_affiliation": "INSERT INTO article_affiliation VALUES (?, ?, ?, ?)",
    "article_publication_type": "INSERT INTO article_publication_type VALUES (?, ?, ?, ?)",
    "article_keyword": "INSERT INTO article_keyword VALUES (?, ?, ?, ?)",
    "article_mesh": "INSERT INTO article_mesh VALUES (?, ?, ?, ?, ?, ?)",
    "article_grant": "INSERT INTO article_grant VALUES (?, ?, ?, ?, ?, ?)",
    "article_fts": "INSERT INTO article_fts(rowid, title, abstract) VALUES (?, ?, ?)",
}


class PubmedWriter:
    """Insert or update PubMed records inside the caller's transaction.

    The article row is written at once (its id is needed); child rows and full-text entries are
    collected and written in bulk by flush(), which the caller runs before it commits. One
    executemany per table instead of six statements per record is a third of the store time.
    """

    def __init__(self, conn: sqlite3.Connection, now: str):
        self.conn = conn
        self.now = now
        self.pending: dict[str, list[tuple]] = {table: [] for table in CHILD_INSERTS}

    def save(self, record: dict) -> tuple[int, str]:
        """Returns (article id, "new" | "updated" | "unchanged").

        A record whose raw XML is byte-identical to what is stored is left alone, so an
        overlapping window costs a lookup, not a rewrite. `first_seen_at` is written once.
        """
        conn = self.conn
        raw = record["pubmed_raw"]
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
        row = conn.execute("SELECT id, pubmed_hash, title, abstract FROM article WHERE pmid = ?",
                           (record["pmid"],)).fetchone()
        if row is None and record["doi"]:
            # Seen first through Crossref or a feed: the PubMed record joins that row.
            row = conn.execute(
                "SELECT id, pubmed_hash, title, abstract FROM article WHERE doi = ? "
                "AND pmid IS NULL ORDER BY id LIMIT 1", (record["doi"],)).fetchone()
        if row is not None and row["pubmed_hash"] == digest:
            return row["id"], "unchanged"
        stored = {"pubmed_xml": isal_zlib.compress(raw, RAW_COMPRESSION), "pubmed_hash": digest}
        values = [stored[c] if c in stored else record[c] for c in ARTICLE_COLUMNS]
        if row is None:
            article_id = conn.execute(INSERT_ARTICLE, (*values, self.now, self.now)).lastrowid
            outcome = "new"
        else:
            self.flush()  # its old child rows may still be pending
            article_id = row["id"]
            conn.execute(UPDATE_ARTICLE, (*values, self.now, article_id))
            conn.execute("INSERT INTO article_fts(article_fts, rowid, title, abstract) "
                         "VALUES ('delete', ?, ?, ?)", (article_id, row["title"], row["abstract"]))
            for table in CHILD_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            outcome = "updated"
        self._collect(article_id, record)
        return article_id, outcome

    def flush(self) -> None:
        for table, rows in self.pending.items():
            if rows:
                self.conn.executemany(CHILD_INSERTS[table], rows)
                rows.clear()

    def _collect(self, article_id: int, record: dict) -> None:
        pending = self.pending
        pending["article_fts"].append((article_id, record["title"], record["abstract"]))
        for i, a in enumerate(record["authors"], 1):
            pending["article_author"].append(
                (article_id, i, *[NO_TEXT if v is None else v for v in (
                    a["last_name"], a["fore_name"], a["initials"], a["suffix"],
                    a["collective_name"], a["orcid"])], int(a["equal_contrib"])))
            pending["article_affiliation"].extend(
                (article_id, i, j, aff) for j, aff in enumerate(a["affiliations"], 1))
        pending["article_publication_type"].extend(
            (article_id, i, t["name"], t["ui"]) for i, t in enumerate(record["publication_types"], 1))
        pending["article_keyword"].extend(
            (article_id, i, k["keyword"], int(k["major"])) for i, k in enumerate(record["keywords"], 1))
        pending["article_mesh"].extend(
            (article_id, i, m["descriptor"], m["ui"], int(m["major"]), json.dumps(m["qualifiers"]))
            for i, m in enumerate(record["mesh"], 1))
        pending["article_grant"].extend(
            (article_id, i, g["grant_id"], g["acronym"], g["agency"], g["country"])
            for i, g in enumerate(record["grants"], 1))


# Which source's descriptive fields win when several saw the article (lower is stronger).
SOURCE_RANK = {"pubmed": 0, "crossref": 1, "feed": 2}
OTHER_COLUMNS = ("doi", "title", "abstract", "journal", "issn_print", "issn_electronic", "volume",
                 "issue", "pages", "pub_date", "epub_date", "url")


def find_article(conn: sqlite3.Connection, doi: str | None, url: str | None = None
                 ) -> sqlite3.Row | None:
    """The article with this DOI (the oldest row if an analyst made two), else the DOI-less
    article with this landing-page URL."""
    if doi:
        return conn.execute("SELECT * FROM article WHERE doi = ? ORDER BY id LIMIT 1",
                            (doi,)).fetchone()
    if url:
        return conn.execute("SELECT * FROM article WHERE url = ? AND doi IS NULL "
                            "ORDER BY id LIMIT 1", (url,)).fetchone()
    return None


def save_other(conn: sqlite3.Connection, source: str, fields: dict, authors: list[dict],
               now: str) -> tuple[int, str]:
    """Insert or merge a Crossref or feed record into the article with its DOI (or, without a
    DOI, its URL). Returns (article id, "new" | "updated" | "unchanged").

    Precedence is PubMed, then Crossref, then the feed: a stronger or equal source overwrites
    what it has, a weaker one only fills what is missing. Authors are written only by the
    strongest source that has any, so PubMed's list is never touched from here.
    """
    row = find_article(conn, fields.get("doi"), fields.get("url"))
    values = {c: fields.get(c) for c in OTHER_COLUMNS}
    if row is None:
        columns = [*OTHER_COLUMNS, "record_type", "metadata_source", "first_seen_at", "updated_at"]
        article_id = conn.execute(
            f"INSERT INTO article ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (*values.values(), "article", source, now, now)).lastrowid
        _write_authors(conn, article_id, authors)
        conn.execute("INSERT INTO article_fts(rowid, title, abstract) VALUES (?, ?, ?)",
                     (article_id, values["title"], values["abstract"]))
        return article_id, "new"

    article_id = row["id"]
    current = row["metadata_source"] or "feed"
    stronger = SOURCE_RANK[source] <= SOURCE_RANK[current]
    merged = {c: (v if v is not None and (stronger or row[c] is None) else row[c])
              for c, v in values.items()}
    if values["epub_date"] and row["epub_date"]:
        # online first in press, then in an issue: the article went online at the earlier date
        merged["epub_date"] = min(values["epub_date"], row["epub_date"])
    changed = {c: v for c, v in merged.items() if v != row[c]}
    replace_authors = bool(authors) and current != "pubmed" and (
        stronger or not conn.execute("SELECT 1 FROM article_author WHERE article_id = ?",
                                     (article_id,)).fetchone())
    if replace_authors and _authors_of(conn, article_id) == _author_rows(article_id, authors):
        replace_authors = False
    best = source if stronger else current
    if not changed and not replace_authors and best == current:
        return article_id, "unchanged"
    sets = ", ".join(f"{c} = ?" for c in changed)
    conn.execute(f"UPDATE article SET {sets + ', ' if sets else ''}metadata_source = ?, "
                 "updated_at = ? WHERE id = ?", (*changed.values(), best, now, article_id))
    if "title" in changed or "abstract" in changed:
        conn.execute("INSERT INTO article_fts(article_fts, rowid, title, abstract) "
                     "VALUES ('delete', ?, ?, ?)", (article_id, row["title"], row["abstract"]))
        conn.execute("INSERT INTO article_fts(rowid, title, abstract) VALUES (?, ?, ?)",
                     (article_id, merged["title"], merged["abstract"]))
    if replace_authors:
        for table in ("article_author", "article_affiliation"):
            conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
        _write_authors(conn, article_id, authors)
    return article_id, "updated" if changed or replace_authors else "unchanged"


def _author_rows(article_id: int, authors: list[dict]) -> list[tuple]:
    return [(article_id, i, a.get("last_name"), a.get("fore_name"), initials(a.get("fore_name")),
             a.get("collective_name"), a.get("orcid")) for i, a in enumerate(authors, 1)]


def initials(fore_name: str | None) -> str | None:
    """PubMed-style initials: "Maria Chiara" -> "MC", "Jean-Luc" -> "JL", "Tomás R." -> "TR"."""
    letters = [part[0] for part in re.split(r"[\s.\-]+", fore_name or "") if part]
    return "".join(letters).upper() or None


def _authors_of(conn: sqlite3.Connection, article_id: int) -> list[tuple]:
    return [tuple(r) for r in conn.execute(
        "SELECT article_id, position, last_name, fore_name, initials, collective_name, orcid "
        "FROM article_author WHERE article_id = ? ORDER BY position", (article_id,))]


def _write_authors(conn: sqlite3.Connection, article_id: int, authors: list[dict]) -> None:
    """Authors as Crossref or a feed gives them: names, ORCID and affiliations, no initials."""
    conn.executemany(
        "INSERT INTO article_author (article_id, position, last_name, fore_name, initials, "
        "collective_name, orcid) VALUES (?, ?, ?, ?, ?, ?, ?)", _author_rows(article_id, authors))
    conn.executemany(
        "INSERT INTO article_affiliation VALUES (?, ?, ?, ?)",
        [(article_id, i, j, aff) for i, a in enumerate(authors, 1)
         for j, aff in enumerate(a.get("affiliations") or [], 1)])


def merge_articles(conn: sqlite3.Connection, keep: int, drop: int) -> None:
    """Fold article `drop` (a DOI-less feed item whose DOI turned up) into `keep`: its query
    matches and feed entries move over, the earliest sighting is kept, then it is deleted."""
    conn.execute("INSERT OR IGNORE INTO query_match SELECT ?, query, first_matched_at, run_id "
                 "FROM query_match WHERE article_id = ?", (keep, drop))
    conn.execute("UPDATE feed_entry SET article_id = ? WHERE article_id = ?", (keep, drop))
    conn.execute("UPDATE article SET first_seen_at = min(first_seen_at, "
                 "(SELECT first_seen_at FROM article WHERE id = ?)) WHERE id = ?", (drop, keep))
    conn.execute("DELETE FROM article WHERE id = ?", (drop,))


def save_query_match(conn: sqlite3.Connection, article_id: int, query: str, now: str,
                     run_id: int | None) -> None:
    conn.execute("INSERT OR IGNORE INTO query_match VALUES (?, ?, ?, ?)",
                 (article_id, query, now, run_id))


def stored_pmids(conn: sqlite3.Connection, pmids: list[int]) -> set[int]:
    """The subset of `pmids` already in the database."""
    found: set[int] = set()
    for i in range(0, len(pmids), 500):
        chunk = pmids[i:i + 500]
        found.update(r[0] for r in conn.execute(
            f"SELECT pmid FROM article WHERE pmid IN ({','.join('?' * len(chunk))})", chunk))
    return found


# --- query state ----------------------------------------------------------------------------

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


# --- the run ledger -------------------------------------------------------------------------

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
