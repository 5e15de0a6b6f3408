"""Articles: the PubMed writer, the merge of Crossref and feed records by DOI, and the one
helper that keeps the title/abstract full-text index in step with what is stored.

Precedence when several sources saw an article: PubMed, then Crossref, then the feed. A
stronger or equal source overwrites what it has; a weaker one only fills what is missing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3

from isal import isal_zlib

from harvester import notices
from harvester.text import earliest_date, normalize_doi, searchable_doi

# The raw XML is stored in zlib's format, read back with zlib.decompress, but written by ISA-L's
# deflate, seven times faster than zlib's level 1 for a slightly smaller result (zlib's took a
# third of all parse+store time; README, Performance). Rows written by zlib.compress read back
# the same way.
RAW_COMPRESSION = 1

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
    + ", updated_at = ?, metadata_source = 'pubmed' WHERE id = ? RETURNING title, abstract"
)
CHILD_TABLES = ("article_author", "article_affiliation", "article_publication_type",
                "article_keyword", "article_mesh", "article_grant")


# Python 3.11's sqlite3 binds None through its adapter lookup, eight times slower than a str or
# an int, and a real record's authors bind dozens of Nones (suffix, collective name, ORCID), so
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
        self.to_index: list[tuple] = []  # (article id, stored title, stored abstract)

    def save(self, record: dict) -> tuple[int, str]:
        """Returns (article id, "new" | "updated" | "merged" | "unchanged"): "merged" when the
        record joins an article that only Crossref or a feed had described.

        A record whose raw XML is byte-identical to what is stored is left alone, so an
        overlapping window costs a lookup, not a rewrite. `first_seen_at` is written once.
        If it raises, nothing of the record stays pending (the caller rolls back its rows).
        """
        lists = (*self.pending.values(), self.to_index)
        marks = [len(rows) for rows in lists]
        try:
            return self._save(record)
        except BaseException:
            for rows, mark in zip(lists, marks):
                del rows[mark:]
            raise

    def _save(self, record: dict) -> tuple[int, str]:
        conn = self.conn
        raw = record["pubmed_raw"]
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
        row = conn.execute("SELECT id, pubmed_hash, title, abstract, doi FROM article "
                           "WHERE pmid = ?", (record["pmid"],)).fetchone()
        if row is None and record["doi"]:
            # Seen first through Crossref or a feed: the PubMed record joins that row.
            row = conn.execute(
                "SELECT id, pubmed_hash, title, abstract, doi FROM article WHERE doi = ? "
                "AND pmid IS NULL ORDER BY id LIMIT 1", (record["doi"],)).fetchone()
        if row is not None and row["pubmed_hash"] == digest:
            return row["id"], "unchanged"
        stored = {"pubmed_xml": isal_zlib.compress(raw, RAW_COMPRESSION), "pubmed_hash": digest}
        values = [stored[c] if c in stored else record[c] for c in ARTICLE_COLUMNS]
        if row is None:
            article_id = conn.execute(INSERT_ARTICLE, (*values, self.now, self.now)).lastrowid
            stored_text = (record["title"], record["abstract"])
            outcome = "new"
        else:
            self.flush()  # its old child rows may still be pending
            article_id = row["id"]
            unindex_text(conn, article_id, row["title"], row["abstract"])
            # A field PubMed lacks keeps what Crossref or a feed gave: index what is stored.
            stored_text = tuple(conn.execute(UPDATE_ARTICLE, (*values, self.now, article_id))
                                .fetchone())
            for table in CHILD_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            # a revised PubMed record, or PubMed joining what Crossref or a feed stored
            outcome = "updated" if row["pubmed_hash"] else "merged"
            if record["doi"] and record["doi"] != row["doi"]:
                # A revision that brings the DOI of an article Crossref or a feed stored: one
                # article per DOI, so that one folds into this one.
                for (other,) in conn.execute(
                        "SELECT id FROM article WHERE doi = ? AND pmid IS NULL AND id != ?",
                        (record["doi"], article_id)).fetchall():
                    merge_articles(conn, keep=article_id, drop=other)
        self.to_index.append((article_id, *stored_text))
        self._collect(article_id, record)
        if row is None or outcome == "merged" or record["doi"] != row["doi"]:
            # identifiers this row did not have: notices waiting for them point here now
            notices.link_article(conn, article_id, record["pmid"], record["doi"])
        notices.save_links(conn, notices.pubmed_links(record), self.now)
        return article_id, outcome

    def flush(self) -> None:
        for table, rows in self.pending.items():
            if rows:
                self.conn.executemany(CHILD_INSERTS[table], rows)
                rows.clear()
        index_text(self.conn, self.to_index)
        self.to_index.clear()

    def _collect(self, article_id: int, record: dict) -> None:
        pending = self.pending
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


def save_by_doi(conn: sqlite3.Connection, source: str, fields: dict, authors: list[dict],
                now: str) -> tuple[int, str]:
    """Insert or merge a Crossref or feed record into the article with its DOI (or, without a
    DOI, its URL). Returns (article id, "new" | "updated" | "merged" | "unchanged"):
    "updated" when this source revised what it sent, "merged" when another source's article
    gained fields from this one.

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
        index_text(conn, [(article_id, values["title"], values["abstract"])])
        notices.link_article(conn, article_id, None, values["doi"])
        return article_id, "new"

    article_id = row["id"]
    current = row["metadata_source"] or "feed"
    stronger = SOURCE_RANK[source] <= SOURCE_RANK[current]
    merged = {c: (v if v is not None and (stronger or row[c] is None) else row[c])
              for c, v in values.items()}
    if values["epub_date"] and row["epub_date"]:
        # online first in press, then in an issue: the article went online at the earlier date
        merged["epub_date"] = earliest_date(values["epub_date"], row["epub_date"])
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
        unindex_text(conn, article_id, row["title"], row["abstract"])
        index_text(conn, [(article_id, merged["title"], merged["abstract"])])
    if replace_authors:
        for table in ("article_author", "article_affiliation"):
            conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
        _write_authors(conn, article_id, authors)
    if not changed and not replace_authors:
        return article_id, "unchanged"
    # the same source revised what it sent, or another source's article gained its fields
    return article_id, "updated" if current == source else "merged"


def index_text(conn: sqlite3.Connection, entries: list[tuple[int, str | None, str | None]]
               ) -> None:
    """Add (article id, title, abstract) entries to article_fts. It is an external-content
    index: it must be given exactly what the article row stores, and unindex_text() must be
    given the same values to take an entry out. Every writer goes through these two."""
    if entries:
        conn.executemany("INSERT INTO article_fts(rowid, title, abstract) VALUES (?, ?, ?)",
                         entries)


def unindex_text(conn: sqlite3.Connection, article_id: int, title: str | None,
                 abstract: str | None) -> None:
    """Take an article's entry out of article_fts; title and abstract as they were indexed."""
    conn.execute("INSERT INTO article_fts(article_fts, rowid, title, abstract) "
                 "VALUES ('delete', ?, ?, ?)", (article_id, title, abstract))


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
    """Fold article `drop` into `keep` (a DOI-less feed item whose DOI turned up, or a
    Crossref/feed article whose DOI a PubMed record gained): its query matches, feed entries,
    Crossref record, deliveries and notices move over, the earliest sighting is kept, then it
    is deleted."""
    conn.execute("INSERT OR IGNORE INTO query_match SELECT ?, query, first_matched_at, run_id "
                 "FROM query_match WHERE article_id = ?", (keep, drop))
    conn.execute("UPDATE feed_entry SET article_id = ? WHERE article_id = ?", (keep, drop))
    conn.execute("UPDATE OR IGNORE crossref_record SET article_id = ? WHERE article_id = ?",
                 (keep, drop))
    conn.execute("UPDATE OR IGNORE delivery SET article_id = ? WHERE article_id = ?", (keep, drop))
    conn.execute("UPDATE notice SET article_id = ? WHERE article_id = ?", (keep, drop))
    conn.execute("UPDATE notice SET notice_article_id = ? WHERE notice_article_id = ?",
                 (keep, drop))
    conn.execute("UPDATE article SET first_seen_at = min(first_seen_at, "
                 "(SELECT first_seen_at FROM article WHERE id = ?)) WHERE id = ?", (drop, keep))
    conn.execute("DELETE FROM article WHERE id = ?", (drop,))


def save_query_match(conn: sqlite3.Connection, article_id: int, query: str, now: str,
                     run_id: int | None) -> bool:
    """Record that the query matched the article; True the first time it does."""
    return conn.execute("INSERT OR IGNORE INTO query_match VALUES (?, ?, ?, ?)",
                        (article_id, query, now, run_id)).rowcount == 1


def stored_pmids(conn: sqlite3.Connection, pmids: list[int]) -> set[int]:
    """The subset of `pmids` already in the database."""
    found: set[int] = set()
    for i in range(0, len(pmids), 500):
        chunk = pmids[i:i + 500]
        found.update(r[0] for r in conn.execute(
            f"SELECT pmid FROM article WHERE pmid IN ({','.join('?' * len(chunk))})", chunk))
    return found


def dois_without_pmid(conn: sqlite3.Connection, since: str) -> list[str]:
    """DOIs of articles first seen since `since` that PubMed has not given a PMID yet, oldest
    first; only DOIs that can be searched for (text.searchable_doi)."""
    return [r[0] for r in conn.execute(
        "SELECT doi FROM article WHERE pmid IS NULL AND first_seen_at >= ? AND doi IS NOT NULL "
        "ORDER BY first_seen_at", (since,)) if searchable_doi(r[0])]


def feed_only(conn: sqlite3.Connection, query: str, since: str) -> list[sqlite3.Row]:
    """Articles of this query that only a feed has described (with a DOI), first seen since
    `since`."""
    return conn.execute(
        "SELECT a.id, a.doi FROM article a JOIN query_match m ON m.article_id = a.id "
        "WHERE m.query = ? AND a.metadata_source = 'feed' AND a.doi IS NOT NULL "
        "AND a.first_seen_at >= ? ORDER BY a.id", (query, since)).fetchall()


def set_doi(conn: sqlite3.Connection, article_id: int, doi: str) -> None:
    conn.execute("UPDATE article SET doi = ? WHERE id = ?", (doi, article_id))


def save_deleted(conn: sqlite3.Connection, pmids, now: str) -> None:
    """PMIDs PubMed withdrew (<DeleteCitation>)."""
    conn.executemany("INSERT OR IGNORE INTO deleted_pmid VALUES (?, ?)", [(p, now) for p in pmids])


def find_by_id(conn: sqlite3.Connection, ident: str) -> sqlite3.Row | None:
    """The article a person names: a PMID ("41212658", "PMID:41212658") or a DOI (any case,
    with or without https://doi.org/)."""
    text = ident.strip()
    pmid = re.fullmatch(r"(?i)(?:pmid:?\s*)?(\d{1,9})", text)
    if pmid:
        return conn.execute("SELECT * FROM article WHERE pmid = ?", (int(pmid[1]),)).fetchone()
    return find_article(conn, normalize_doi(text))
