"""Notices: retractions, corrections, expressions of concern and updates, linked to the
articles they are about, in whichever order the two arrive.

A link is stored as its source gave it (PubMed's CommentsCorrections in either record,
Crossref's update-to on the notice or updated-by on the original), keyed by the identifiers of
both sides, so the same link read twice is one row. `article_id` (the original) and
`notice_article_id` (the notice's own record, which stays an article row too) are filled in as
soon as those articles are stored: at once if they are, else by link_article() when they come.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

KINDS = ("retraction", "correction", "expression_of_concern", "update")
# What goes to editors and consumers again when it arrives after the article was covered.
SERIOUS = ("retraction", "expression_of_concern")


@dataclass(frozen=True)
class Link:
    kind: str
    original_pmid: int | None
    original_doi: str | None
    notice_pmid: int | None
    notice_doi: str | None
    date: str | None
    source: str  # "pubmed" | "crossref"
    detail: str | None  # PubMed's RefType, or Crossref's update type and source
    reference: str | None = None  # how the source cites a notice it gives no identifier for

    @property
    def key(self) -> str:
        """The same link, whichever record it was read from: by PMID when the source gives
        PMIDs, else by DOI (a notice cited without either, by its citation)."""
        original = f"pmid:{self.original_pmid}" if self.original_pmid else f"doi:{self.original_doi}"
        notice = (f"pmid:{self.notice_pmid}" if self.notice_pmid
                  else f"doi:{self.notice_doi}" if self.notice_doi else f"ref:{self.reference}")
        return f"{self.kind}|{original}|{notice}"


def pubmed_links(record: dict) -> list[Link]:
    """The links a PubMed record states: to its notices ("in") or, for a notice, to the
    article it is about ("of")."""
    links = []
    for n in record.get("notices") or ():
        this = (record["pmid"], record["doi"])
        other = (n.get("pmid"), n.get("doi"))
        original, notice = (this, other) if n["direction"] == "in" else (other, this)
        if not (original[0] or original[1]):
            continue  # a notice of an article it does not identify
        if not (notice[0] or notice[1]) and not n.get("ref_source"):
            continue
        links.append(Link(n["type"], *original, *notice, None, "pubmed", n.get("ref_type"),
                          n.get("ref_source")))
    return links


def crossref_links(record: dict) -> list[Link]:
    """The links a Crossref work states: update-to (it is a notice about those DOIs) and
    updated-by (notices about it)."""
    links = []
    for u in record.get("update_to") or ():
        if u.get("doi") and record["doi"]:
            links.append(Link(u["type"], None, u["doi"], None, record["doi"], u.get("date"),
                              "crossref", _detail(u)))
    for u in record.get("updated_by") or ():
        if u.get("doi") and record["doi"]:
            links.append(Link(u["type"], None, record["doi"], None, u["doi"], u.get("date"),
                              "crossref", _detail(u)))
    return links


def _detail(update: dict) -> str | None:
    parts = [update.get("update_type"), update.get("source")]
    return " / ".join(p for p in parts if p) or None


def save_links(conn: sqlite3.Connection, links: list[Link], now: str) -> None:
    """Store links (a link seen again only moves last_seen_at, and gains a date it lacked);
    each side is linked to its article if that is stored."""
    for link in links:
        conn.execute(
            "INSERT INTO notice (link_key, kind, original_pmid, original_doi, notice_pmid, "
            "notice_doi, article_id, notice_article_id, date, source, detail, first_seen_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (link_key) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
            "date = coalesce(notice.date, excluded.date), "
            "original_doi = coalesce(notice.original_doi, excluded.original_doi), "
            "notice_doi = coalesce(notice.notice_doi, excluded.notice_doi), "
            "article_id = coalesce(notice.article_id, excluded.article_id), "
            "notice_article_id = coalesce(notice.notice_article_id, excluded.notice_article_id)",
            (link.key, link.kind, link.original_pmid, link.original_doi, link.notice_pmid,
             link.notice_doi, _find(conn, link.original_pmid, link.original_doi),
             _find(conn, link.notice_pmid, link.notice_doi), link.date, link.source,
             link.detail, now, now))


def _find(conn: sqlite3.Connection, pmid: int | None, doi: str | None) -> int | None:
    row = None
    if pmid:
        row = conn.execute("SELECT id FROM article WHERE pmid = ?", (pmid,)).fetchone()
    if row is None and doi:
        row = conn.execute("SELECT id FROM article WHERE doi = ? ORDER BY id LIMIT 1",
                           (doi,)).fetchone()
    return row[0] if row else None


def link_article(conn: sqlite3.Connection, article_id: int, pmid: int | None,
                 doi: str | None) -> None:
    """A stored article: notices that named it before it arrived now point at it."""
    for column, value in (("pmid", pmid), ("doi", doi)):
        if value:
            conn.execute(f"UPDATE notice SET article_id = ? WHERE article_id IS NULL "
                         f"AND original_{column} = ?", (article_id, value))
            conn.execute(f"UPDATE notice SET notice_article_id = ? WHERE notice_article_id IS "
                         f"NULL AND notice_{column} = ?", (article_id, value))


def mark(conn: sqlite3.Connection) -> tuple[int, int]:
    """Where the articles and the notices stand now (their highest ids, which only grow), to
    tell afterwards what arrived since."""
    return conn.execute("SELECT (SELECT coalesce(max(id), 0) FROM article), "
                        "(SELECT coalesce(max(id), 0) FROM notice)").fetchone()


def arrived_for_stored(conn: sqlite3.Connection, since: tuple[int, int]) -> dict[str, int]:
    """Notices stored after the mark(), about articles stored before it: kind -> how many
    articles."""
    articles, notices = since
    return {r[0]: r[1] for r in conn.execute(
        "SELECT kind, count(DISTINCT article_id) FROM notice WHERE id > ? AND article_id <= ? "
        "GROUP BY kind", (notices, articles))}


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Articles with each kind of notice: kind -> count."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT kind, count(DISTINCT article_id) FROM notice WHERE article_id IS NOT NULL "
        "GROUP BY kind ORDER BY kind")}


def describe(counts: dict[str, int]) -> str:
    """{"retraction": 1, "correction": 2} -> "1 retraction, 2 corrections"."""
    words = {"retraction": ("retraction", "retractions"),
             "correction": ("correction", "corrections"),
             "expression_of_concern": ("expression of concern", "expressions of concern"),
             "update": ("update", "updates")}
    return ", ".join(f"{counts[k]} {words[k][counts[k] != 1]}" for k in KINDS if counts.get(k))


# --- the Crossref look-up for articles PubMed does not index yet ------------------------------

def due_for_lookup(conn: sqlite3.Connection, now: str, limit: int) -> list[sqlite3.Row]:
    """Articles without a PMID whose Crossref notices are due to be looked up, oldest due
    first (notice_check is kept by triggers on article)."""
    return conn.execute(
        "SELECT a.id, a.doi, a.first_seen_at FROM notice_check c JOIN article a ON a.id = "
        "c.article_id WHERE c.next_check_at <= ? ORDER BY c.next_check_at LIMIT ?",
        (now, limit)).fetchall()


def looked_up(conn: sqlite3.Connection, article_id: int, checked_at: str,
              next_check_at: str) -> None:
    conn.execute("UPDATE notice_check SET checked_at = ?, next_check_at = ? WHERE article_id = ?",
                 (checked_at, next_check_at, article_id))
