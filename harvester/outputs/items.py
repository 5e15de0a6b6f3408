"""Articles as editors read them: loaded once from the database, then summarised by pure
functions (article type, author line, institutions, OA badge, COI line, links) that the digest,
the export and the `editorial_queue` view agree on.

An article may lack any enrichment (no `oa_status` or `coi` row yet: "not yet checked") and,
when Crossref or a feed brought it before PubMed indexed it, a PMID (then it has no PubMed
link).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass, field

NOT_CHECKED = "not yet checked"
REVIEW_TYPES = {"Review", "Systematic Review", "Scoping Review", "Meta-Analysis"}
# Publication types that are neither research nor review; shown under their own name.
OTHER_TYPES = {"Editorial": "editorial", "Comment": "comment", "Letter": "letter",
               "News": "news", "Published Erratum": "erratum",
               "Retraction of Publication": "retraction", "Interview": "interview",
               "Biography": "biography", "Congress": "congress"}
# Cell Press opens the archive of these journals' research articles twelve months after
# publication (print and electronic ISSNs): Cancer Cell, Cell, Immunity, Molecular Cell, Neuron.
OPEN_ARCHIVE_ISSNS = {"1535-6108", "1878-3686", "0092-8674", "1097-4172", "1074-7613",
                      "1097-4180", "1097-2765", "1097-4164", "0896-6273", "1097-4199"}
OPEN_ARCHIVE_MONTHS = 12
# An affiliation is "Dept, Institution, City, Country": the part naming the institution, by
# the first of these words it contains.
INSTITUTION_WORDS = (("univers",), ("institut", "istituto"),
                     ("hospital", "ospedale", "h[oô]pital", "center", "centre", "clinic", "klinik"),
                     ("college", "school", "laboratory", "foundation", "inc", "ltd", "gmbh"))
MAX_AUTHORS = 3
MAX_INSTITUTIONS = 3
SINCE_DAYS = re.compile(r"(\d+)d")


@dataclass
class Item:
    """One article with what the digest and the export show."""
    id: int
    pmid: int | None
    doi: str | None
    pmcid: str | None
    title: str | None
    abstract: str | None
    journal: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    pub_date: str | None
    epub_date: str | None
    language: str | None
    issns: set[str]
    first_seen_at: str
    oa_status: str | None
    is_oa: int | None
    oa_url: str | None
    oa_license: str | None
    coi_status: str | None
    coi_statement: str | None
    coi_organizations: list[str]
    authors_declaring: int | None
    authors_total: int | None
    licence_free_from: str | None = None  # Crossref: the day an open licence starts
    journal_iso: str | None = None  # NLM's ISO abbreviation
    publisher_journal: str | None = None  # the journal's name as Crossref has it
    queries: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    authors: list[dict] = field(default_factory=list)  # last, fore, initials, collective
    affiliations: list[str] = field(default_factory=list)
    # {"type", "pmid", "doi", "date", "source", "first_seen_at"}: notices about this article
    notices: list[dict] = field(default_factory=list)
    # {"type", "article_id"}: the stored articles this record is a notice about
    notice_for: list[dict] = field(default_factory=list)
    # for a consumer: "retraction" | "expression_of_concern" when delivered again for it
    redelivery: str | None = None
    redelivery_notices: list[int] = field(default_factory=list)  # notice ids it carries


# --- pure -----------------------------------------------------------------------------------

def parse_since(value: str, now: dt.datetime) -> str:
    """'7d' (days before now) or '2025-01-31' (from that day, UTC) -> an ISO timestamp to
    compare with first_seen_at. ValueError names the accepted forms."""
    days = SINCE_DAYS.fullmatch(value.strip())
    if days:
        start = now - dt.timedelta(days=int(days.group(1)))
        return start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        return dt.date.fromisoformat(value.strip()).strftime("%Y-%m-%dT00:00:00Z")
    except ValueError:
        raise ValueError(f"{value!r} is neither a number of days (7d) nor a date "
                         "(2025-01-31)") from None


def article_type(publication_types: list[str]) -> str:
    """'review', 'research', or the name of a non-research type ('editorial', 'erratum'...)."""
    if REVIEW_TYPES.intersection(publication_types):
        return "review"
    for name in publication_types:
        if name in OTHER_TYPES:
            return OTHER_TYPES[name]
    return "research"


def author_label(author: dict) -> str:
    """'Rossi MC', as in the articles view, or the collective name."""
    if author.get("collective"):
        return author["collective"]
    return " ".join(p for p in (author.get("last"), author.get("initials")) if p)


def author_line(authors: list[dict]) -> str:
    """The first three authors, then 'et al.'; '' when there are none."""
    labels = [author_label(a) for a in authors]
    if len(labels) > MAX_AUTHORS:
        return ", ".join(labels[:MAX_AUTHORS]) + ", et al."
    return ", ".join(labels)


def institution(affiliation: str) -> str:
    """The institution an affiliation string names: 'Department of X, Corrib University,
    Galway, Ireland. Electronic address: ...' -> 'Corrib University'."""
    text = re.split(r"\.?\s*Electronic address:", affiliation)[0].strip().rstrip(".")
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    for words in INSTITUTION_WORDS:
        for part in parts:
            if any(re.search(rf"\b{w}", part, re.I) for w in words):
                return part
    return parts[0] if parts else ""


def institutions(affiliations: list[str]) -> list[str]:
    """Distinct institutions in author order."""
    return list(dict.fromkeys(i for i in map(institution, affiliations) if i))


def institution_line(affiliations: list[str]) -> str:
    found = institutions(affiliations)
    if len(found) > MAX_INSTITUTIONS:
        return "; ".join(found[:MAX_INSTITUTIONS]) + f"; and {len(found) - MAX_INSTITUTIONS} more"
    return "; ".join(found)


NOTICE_TYPES = {"Retraction of Publication", "Published Erratum", "Expression of Concern"}


def journal_name(item: Item) -> str | None:
    """The journal as readers know it: the publisher's own name (Crossref's container title),
    else NLM's ISO abbreviation when it is the whole title in the journal's casing ("Cancer
    Cell" for NLM's "Cancer cell"), else the title as the source sent it."""
    if item.publisher_journal:
        return item.publisher_journal
    if item.journal and item.journal_iso and _letters(item.journal) == _letters(item.journal_iso):
        return item.journal_iso
    return item.journal


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def retracted(item: Item) -> bool:
    """A retraction notice names it, or PubMed marks it a Retracted Publication."""
    return (any(n["type"] == "retraction" for n in item.notices)
            or "Retracted Publication" in item.publication_types)


def is_notice(item: Item) -> bool:
    """The record is itself a notice (a retraction, an erratum, an expression of concern) of
    an article that is stored, or typed as one."""
    return bool(item.notice_for) or bool(NOTICE_TYPES.intersection(item.publication_types))


def notice_label(kind: str) -> str:
    return {"retraction": "Retraction", "correction": "Correction",
            "expression_of_concern": "Expression of concern", "update": "Update"}.get(kind, kind)


def notice_url(notice: dict) -> str | None:
    if notice.get("doi"):
        return f"https://doi.org/{notice['doi']}"
    if notice.get("pmid"):
        return f"https://pubmed.ncbi.nlm.nih.gov/{notice['pmid']}/"
    return None


def published(item: Item) -> str | None:
    """The date shown: the electronic publication date, else the (maybe partial) issue date."""
    return item.epub_date or item.pub_date


def free_from(item: Item) -> dt.date | None:
    """When a closed article becomes free: the start of its open licence as registered with
    Crossref, else, for a research article in an open-archive journal, twelve months after
    publication."""
    if item.oa_status not in ("closed", "unknown"):
        return None
    if item.licence_free_from and len(item.licence_free_from) == 10:
        return _date(item.licence_free_from)
    date = published(item)
    if (not item.issns & OPEN_ARCHIVE_ISSNS
            or article_type(item.publication_types) != "research" or not date
            or len(date) != 10 or _date(date) is None):
        return None
    day = _date(date)
    year, month = divmod(day.month - 1 + OPEN_ARCHIVE_MONTHS, 12)
    try:
        return day.replace(year=day.year + year, month=month + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + year, month=month + 2, day=1)


def _date(value: str) -> dt.date | None:
    """A stored full date, or None for one that is not a real day (files written before
    dates were checked at parse time may hold 2025-02-30)."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def oa_badge(item: Item) -> str:
    """'gold', 'closed, free from 2026-11-05', 'not yet checked'..."""
    if item.oa_status is None:
        return NOT_CHECKED
    opens = free_from(item)
    return f"{item.oa_status}, free from {opens.isoformat()}" if opens else item.oa_status


def coi_line(item: Item) -> str:
    """'no competing interests declared', 'declared: 3 of 12 authors; Roche, AstraZeneca',
    'statement not available', 'statement unclear', or 'not yet checked'."""
    status = item.coi_status
    if status == "declared":
        parts = []
        if item.authors_declaring and item.authors_total:
            parts.append(f"{item.authors_declaring} of {item.authors_total} authors")
        if item.coi_organizations:
            parts.append(", ".join(item.coi_organizations))
        return "declared" + (": " + "; ".join(parts) if parts else "")
    return {"none_declared": "no competing interests declared",
            "not_found": "statement not available", "unclear": "statement unclear",
            None: NOT_CHECKED}.get(status, status)


def links(item: Item) -> dict[str, str]:
    """DOI whenever there is one, PubMed only with a PMID, free full text when open."""
    found = {}
    if item.doi:
        found["DOI"] = f"https://doi.org/{item.doi}"
    if item.pmid:
        found["PubMed"] = f"https://pubmed.ncbi.nlm.nih.gov/{item.pmid}/"
    if item.is_oa == 1 and item.oa_url:
        found["Free full text"] = item.oa_url
    return found


# --- database -------------------------------------------------------------------------------

SELECT_ITEMS = """
SELECT a.id, a.pmid, a.doi, a.pmcid, a.title, a.abstract, a.journal, a.volume, a.issue,
       a.pages, a.pub_date, a.epub_date, a.language, a.issn_print, a.issn_electronic,
       a.first_seen_at, o.oa_status, o.is_oa, o.oa_url, o.oa_license, c.status AS coi_status,
       coalesce(c.statement, a.coi_statement) AS coi_statement,
       coalesce(c.organizations, '[]') AS coi_organizations, c.authors_declaring,
       c.authors_total,
       (SELECT free_from FROM crossref_record WHERE article_id = a.id) AS licence_free_from,
       a.journal_iso,
       (SELECT container_title FROM crossref_record WHERE article_id = a.id)
           AS publisher_journal,
       (SELECT json_group_array(query) FROM (SELECT query FROM query_match
            WHERE article_id = a.id ORDER BY query)) AS queries
FROM article a
LEFT JOIN oa_status o ON o.article_id = a.id
LEFT JOIN coi c ON c.article_id = a.id
"""
NEW_ITEMS = """
WHERE a.id <= :through AND a.first_seen_at >= :since
  AND (:consumer IS NULL OR NOT EXISTS (
       SELECT 1 FROM delivery d WHERE d.consumer = :consumer AND d.article_id = a.id))
"""
# Articles a consumer was given that have since gained a retraction or an expression of
# concern it was not given.
REDELIVERIES = """
WHERE a.id IN (SELECT n.article_id FROM notice n JOIN delivery d
               ON d.article_id = n.article_id AND d.consumer = :consumer
               WHERE n.kind IN ('retraction', 'expression_of_concern') AND NOT EXISTS (
                   SELECT 1 FROM notice_delivery nd
                   WHERE nd.consumer = :consumer AND nd.notice_id = n.id))
"""
# Articles an earlier digest or export covered that gained a notice since `since`.
CHANGED = """
WHERE a.id IN (SELECT n.article_id FROM notice n WHERE n.first_seen_at >= :since
               AND n.article_id <= :covered)
"""
BATCH = 500


def latest_article_id(conn: sqlite3.Connection) -> int:
    """The highest article id now: what a digest or export covers, and where the editorial
    queue starts again after it (ids only grow, unlike first_seen_at, which a run writes
    before it commits)."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM article").fetchone()[0]


def known_queries(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT query FROM query_match UNION SELECT query FROM query_state")}


def load_items(conn: sqlite3.Connection, *, through: int, since: str = "",
               queries: tuple[str, ...] = (), consumer: str | None = None) -> list[Item]:
    """Articles up to id `through`, first seen at or after `since`, matched by any of
    `queries` (all when empty), not yet delivered to `consumer`; oldest id first."""
    return _load(conn, NEW_ITEMS, {"through": through, "since": since, "consumer": consumer},
                 queries)


def load_redeliveries(conn: sqlite3.Connection, consumer: str,
                      queries: tuple[str, ...] = ()) -> list[Item]:
    """Articles `consumer` was given that have gained a retraction or an expression of concern
    since: delivered once more, marked (`redelivery`), with the notices that caused it."""
    items = _load(conn, REDELIVERIES, {"consumer": consumer}, queries)
    given = {r[0] for r in conn.execute(
        "SELECT notice_id FROM notice_delivery WHERE consumer = ?", (consumer,))}
    for item in items:
        serious = [n for n in item.notices if n["type"] in ("retraction", "expression_of_concern")
                   and not given.intersection(n["ids"])]
        item.redelivery = ("retraction" if any(n["type"] == "retraction" for n in serious)
                           else "expression_of_concern")
        item.redelivery_notices = sorted({i for n in serious for i in n["ids"]})
    return items


def load_changed(conn: sqlite3.Connection, since: str, covered: int,
                 queries: tuple[str, ...] = ()) -> list[Item]:
    """Articles up to id `covered` (an earlier digest or export had them) that gained a
    notice since `since`."""
    return _load(conn, CHANGED, {"since": since, "covered": covered}, queries)


def covered_through(conn: sqlite3.Connection) -> int:
    """The highest article id an earlier digest or export covered (0: none yet)."""
    return conn.execute("SELECT coalesce(max(article_id_through), 0) FROM outputs").fetchone()[0]


def last_digest_at(conn: sqlite3.Connection) -> str | None:
    return conn.execute("SELECT max(created_at) FROM outputs WHERE kind = 'digest'").fetchone()[0]


def _load(conn: sqlite3.Connection, where: str, params: dict,
          queries: tuple[str, ...]) -> list[Item]:
    items = []
    for row in conn.execute(SELECT_ITEMS + where + " ORDER BY a.id", params):
        matched = json.loads(row["queries"])
        if queries and not set(queries) & set(matched):
            continue
        values = dict(row)
        values["issns"] = {v for v in (values.pop("issn_print"), values.pop("issn_electronic"))
                           if v}
        values["coi_organizations"] = json.loads(values["coi_organizations"])
        values["queries"] = matched
        items.append(Item(**values))
    _add_children(conn, items)
    return items


def _add_children(conn: sqlite3.Connection, items: list[Item]) -> None:
    by_id = {item.id: item for item in items}
    ids = list(by_id)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT article_id, name FROM article_publication_type "
                              f"WHERE article_id IN ({marks}) ORDER BY article_id, position",
                              chunk):
            by_id[r[0]].publication_types.append(r[1])
        for r in conn.execute(f"SELECT article_id, last_name, fore_name, initials, "
                              f"collective_name FROM article_author WHERE article_id IN "
                              f"({marks}) ORDER BY article_id, position", chunk):
            by_id[r[0]].authors.append({"last": r[1], "fore": r[2], "initials": r[3],
                                        "collective": r[4]})
        for r in conn.execute(f"SELECT article_id, affiliation FROM article_affiliation "
                              f"WHERE article_id IN ({marks}) "
                              f"ORDER BY article_id, author_position, position", chunk):
            by_id[r[0]].affiliations.append(r[1])
        # The same notice from PubMed and Crossref once, as in the articles view.
        for r in conn.execute(
                f"SELECT article_id, kind, max(notice_pmid), max(notice_doi), min(date), "
                f"max(source), min(first_seen_at), group_concat(id) FROM notice "
                f"WHERE article_id IN ({marks}) GROUP BY article_id, kind, "
                f"coalesce('a' || notice_article_id, 'd' || notice_doi, 'p' || notice_pmid, "
                f"'i' || id) "
                f"ORDER BY article_id, min(id)", chunk):
            by_id[r[0]].notices.append({
                "type": r[1], "pmid": r[2], "doi": r[3], "date": r[4], "source": r[5],
                "first_seen_at": r[6], "ids": [int(i) for i in r[7].split(",")]})
        for r in conn.execute(f"SELECT DISTINCT notice_article_id, kind, article_id FROM notice "
                              f"WHERE notice_article_id IN ({marks}) AND article_id IS NOT NULL "
                              f"ORDER BY notice_article_id, article_id", chunk):
            by_id[r[0]].notice_for.append({"type": r[1], "article_id": r[2]})
