"""Conflict-of-interest statements: find each article's statement, classify it, store it.

Order of sources: PubMed's <CoiStatement> (stored by the collector), then the Europe PMC full
text (`{europepmc}/{PMCID}/fullTextXML`, JATS) for articles in PMC without one. Nothing found is
`not_found` ("not retrievable", never "no conflicts") and is looked at again on a thinning
schedule, since PubMed adds statements late and full texts appear after embargoes. Classifying
is pure (coi_classify.py); finding the statement in JATS too (coi_jats.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from dataclasses import dataclass

from harvester import db
from harvester.enrich.coi_classify import CoiResult, classify
from harvester.enrich.coi_jats import JatsError, find_coi
from harvester.enrich.recheck import next_check
from harvester.errors import SourceError
from harvester.http import DeadlineReached, HttpClient

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1000
NOT_FOUND = CoiResult("not_found", [], [], "")
PUBMED_ELEMENT = "MedlineCitation/CoiStatement"


@dataclass
class CoiSummary:
    checked: int = 0
    found: int = 0
    declared: int = 0
    errors: int = 0


def fetch_full_text(http: HttpClient, europepmc_url: str, pmcid: str) -> bytes | None:
    """The JATS full text, or None when Europe PMC has none for this PMCID (404)."""
    def handle(response):
        if response.status_code == 404:
            return None
        return http.body(response)

    return http.call("GET", f"{europepmc_url.rstrip('/')}/{pmcid}/fullTextXML", handle,
                     accept=(404,), stream=True, what=f"Europe PMC full text {pmcid}")


def due_articles(conn: sqlite3.Connection, now: str, limit: int) -> list[sqlite3.Row]:
    """Never classified; not_found and due again; or changed since (PubMed added a statement).

    The candidates come from the queue of new and changed articles (coi_pending, kept by
    triggers on article) and the next_check_at index, so the cost follows what is due, not the
    size of the database.
    """
    return conn.execute(
        "SELECT a.id, a.pmid, a.first_seen_at, a.pubmed_hash, a.coi_statement, "
        "coalesce(a.pmcid, e.pmcid) AS pmcid, e.full_text_available "
        "FROM (SELECT article_id FROM coi_pending "
        "      UNION SELECT article_id FROM coi WHERE next_check_at <= ?1) d "
        "JOIN article a ON a.id = d.article_id LEFT JOIN coi c ON c.article_id = a.id "
        "LEFT JOIN europepmc_record e ON e.article_id = a.id "
        "WHERE c.article_id IS NULL OR c.next_check_at <= ?1 "
        "OR c.article_hash IS NOT a.pubmed_hash "
        "ORDER BY c.article_id IS NOT NULL, c.next_check_at, a.id LIMIT ?2",
        (now, limit)).fetchall()


def enrich_coi(conn: sqlite3.Connection, http: HttpClient, *, europepmc_url: str,
               limit: int = DEFAULT_LIMIT, now: dt.datetime | None = None) -> CoiSummary:
    now = now or dt.datetime.now(dt.timezone.utc)
    checked_at = db.now_iso(now)
    summary = CoiSummary()
    for article in due_articles(conn, checked_at, limit):
        statement, source, element = article["coi_statement"], "pubmed", PUBMED_ELEMENT
        if not statement and article["pmcid"] and article["full_text_available"] != 0:
            try:
                full_text = fetch_full_text(http, europepmc_url, article["pmcid"])
                found = find_coi(full_text) if full_text else None
                statement, source = (found.text if found else None), "europepmc"
                element = "; ".join(found.elements) if found else None
            except DeadlineReached:
                raise  # the step stops here; what is stored stays, the rest is due next run
            except (SourceError, JatsError) as e:
                log.warning("COI of PMID %s: %s", article["pmid"], e)
                summary.errors += 1
                continue  # still due
        if statement:
            authors = author_names(conn, article["id"])
            result, when = classify(statement, authors), None
        else:
            statement, source, authors, result = None, None, [], NOT_FOUND
            when = db.now_iso(next_check(db.parse_iso(article["first_seen_at"]), now))
        with db.transaction(conn):
            save_coi(conn, article["id"], result, statement, source, authors, checked_at, when,
                     article["pubmed_hash"], element)
        summary.checked += 1
        summary.found += statement is not None
        summary.declared += result.status == "declared"
    return summary


def author_names(conn: sqlite3.Connection, article_id: int) -> list[str]:
    """The article's authors as "Fore Last" (or the collective name), in order."""
    return [r[0] for r in conn.execute(
        "SELECT coalesce(collective_name, trim(coalesce(fore_name, '') || ' ' || "
        "coalesce(last_name, ''))) FROM article_author WHERE article_id = ? ORDER BY position",
        (article_id,))]


# changed_at moves only when the status or the statement changed (the last placeholder).
SAVE_COI = db.upsert(
    "coi", ("article_id", "status", "statement", "source", "evidence", "organizations",
            "authors_declaring", "authors_total", "checked_at", "changed_at", "next_check_at",
            "article_hash", "element"),
    key=("article_id",), keep=("changed_at",)) + (
    ", changed_at = CASE WHEN ? THEN excluded.changed_at ELSE changed_at END, checks = checks + 1")


def save_coi(conn: sqlite3.Connection, article_id: int, result: CoiResult,
             statement: str | None, source: str | None, authors: list[str], checked_at: str,
             next_check_at: str | None, article_hash: str | None,
             element: str | None = None) -> None:
    """Store the classification of the article as of its raw record `article_hash`; a change
    of status or statement is added to coi_history."""
    conn.execute("DELETE FROM coi_pending WHERE article_id = ?", (article_id,))
    current = conn.execute("SELECT status, statement FROM coi WHERE article_id = ?",
                           (article_id,)).fetchone()
    changed = current is None or tuple(current) != (result.status, statement)
    declaring = set(result.authors_declaring)
    conn.execute(
        SAVE_COI,
        (article_id, result.status, statement, source, result.evidence,
         json.dumps(result.organizations), len(declaring) if authors else None,
         len(authors) or None, checked_at, checked_at, next_check_at, article_hash,
         element if statement else None, changed))
    conn.execute("DELETE FROM coi_organization WHERE article_id = ?", (article_id,))
    conn.executemany("INSERT INTO coi_organization VALUES (?, ?)",
                     [(article_id, o) for o in result.organizations])
    conn.execute("DELETE FROM coi_author WHERE article_id = ?", (article_id,))
    if statement:
        conn.executemany("INSERT INTO coi_author VALUES (?, ?, ?)",
                         [(article_id, i, int(name in declaring))
                          for i, name in enumerate(authors, 1)])
    if changed:
        conn.execute("INSERT INTO coi_history (article_id, observed_at, status, statement, "
                     "source) VALUES (?, ?, ?, ?, ?)",
                     (article_id, checked_at, result.status, statement, source))


def explain(conn: sqlite3.Connection, article: sqlite3.Row) -> dict:
    """What an editor checks before printing an article's COI line: the stored statement, where
    it was read, the sentence that decided its status, each company with the clause it came
    from, and which authors were mapped as declaring. The statement is classified again here
    (classifying is pure), so the clauses are this version's; `stored_status` is what the last
    check stored."""
    row = conn.execute("SELECT * FROM coi WHERE article_id = ?", (article["id"],)).fetchone()
    authors = author_names(conn, article["id"])
    report = {"pmid": article["pmid"], "doi": article["doi"], "title": article["title"],
              "status": None, "stored_status": row["status"] if row else None,
              "statement": None, "source": None, "element": None, "evidence": None,
              "organizations": [], "authors": [], "authors_total": len(authors),
              "checked_at": row["checked_at"] if row else None,
              "next_check_at": row["next_check_at"] if row else None}
    if row is None or not row["statement"]:
        report["status"] = row["status"] if row else None
        return report
    result = classify(row["statement"], authors)
    declaring = dict(result.author_clauses)
    report.update(
        status=result.status, statement=row["statement"], source=row["source"],
        element=row["element"], evidence=result.evidence or None,
        organizations=[{"name": name, "clause": clause}
                       for name, clause in _with_clauses(result)],
        authors=[{"name": name, "clause": declaring.get(name)}
                 for name in result.authors_declaring])
    return report


def _with_clauses(result: CoiResult) -> list[tuple[str, str | None]]:
    """Each company with its clause, in the classifier's order; a company it names without a
    clause gets None."""
    clauses = dict(result.organization_clauses)
    return [(name, clauses.get(name)) for name in result.organizations]
