"""Open-access status from Unpaywall and Europe PMC, kept current as embargoes end.

`parse_*`, `combine` and `next_check` are pure; `fetch_*` talk to the network; `enrich_oa`
picks the articles that are due, looks them up (Unpaywall a few at a time, Europe PMC in
batches) and records the result: the current state in `oa_status`, every change in
`oa_observation`, Europe PMC's flags in `europepmc_record`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from harvester import db
from harvester.enrich import recheck
from harvester.errors import ConfigError, SourceError
from harvester.http import DeadlineReached, HttpClient, RetryableError, cursor_pages
from harvester.text import iso_date, normalize_doi, searchable_doi

log = logging.getLogger(__name__)

UNPAYWALL_IN_FLIGHT = 4
# Europe PMC's search is a GET: 100 ids OR-ed keep the URL well under common 8 KB limits.
EUROPEPMC_BATCH = 100
EUROPEPMC_PAGE_SIZE = 1000
DEFAULT_LIMIT = 1000
# Unpaywall (since 2025 built on OpenAlex) writes this where it has no value.
NOT_AVAILABLE = "n.a. in OpenAlex"
OPEN_RECHECK = dt.timedelta(days=180)
# Cell Press and other publishers open research papers twelve months after publication.
OPEN_ARCHIVE_DELAY = dt.timedelta(days=366)


class UnpaywallEmailRefused(ConfigError):
    """Unpaywall answered 422: it does not accept the contact address."""


@dataclass(frozen=True)
class OaResult:
    status: str  # gold | hybrid | bronze | green | closed | unknown | what Unpaywall sends
    is_oa: int | None
    url: str | None = None
    pdf_url: str | None = None
    license: str | None = None
    version: str | None = None
    host_type: str | None = None
    journal_is_oa: int | None = None
    source: str = "unpaywall"


UNKNOWN = OaResult("unknown", None, source="unpaywall")


@dataclass(frozen=True)
class EuropePmcRecord:
    pmid: int | None
    doi: str | None
    pmcid: str | None
    in_pmc: bool
    in_epmc: bool
    is_open_access: bool
    has_pdf: bool
    license: str | None

    @property
    def free_full_text(self) -> bool:
        return self.is_open_access or self.in_epmc


# --- pure -----------------------------------------------------------------------------------

def parse_unpaywall(data: dict) -> OaResult:
    """An Unpaywall v2 DOI object, in the 2020 or the 2025 (OpenAlex-backed) shape."""
    best = _clean(data.get("best_oa_location"))
    best = best if isinstance(best, dict) else {}
    is_oa = data.get("is_oa")
    status = _clean(data.get("oa_status")) or ("closed" if is_oa is False else "unknown")
    return OaResult(
        status=str(status),
        is_oa=1 if is_oa is True else 0 if is_oa is False else None,
        url=_clean(best.get("url")) or _clean(best.get("url_for_landing_page")),
        pdf_url=_clean(best.get("url_for_pdf")),
        license=_clean(best.get("license")),
        version=_clean(best.get("version")),
        host_type=_clean(best.get("host_type")),
        journal_is_oa=_flag(data.get("journal_is_oa")),
        source="unpaywall",
    )


def parse_europepmc_result(result: dict) -> EuropePmcRecord:
    """One `resultList.result` entry of a resultType=core search."""
    pmid = result.get("pmid")
    return EuropePmcRecord(
        pmid=int(pmid) if pmid and str(pmid).isdigit() else None,
        doi=normalize_doi(result.get("doi")),
        pmcid=result.get("pmcid"),
        in_pmc=result.get("inPMC") == "Y",
        in_epmc=result.get("inEPMC") == "Y",
        is_open_access=result.get("isOpenAccess") == "Y",
        has_pdf=result.get("hasPDF") == "Y",
        license=result.get("license"),
    )


def combine(unpaywall: OaResult | None, epmc: EuropePmcRecord | None) -> OaResult:
    """Unpaywall's answer first; Europe PMC fills in for articles Unpaywall does not know (or has
    no DOI for), and turns "closed" into "green" when it holds a free full text."""
    if unpaywall is not None and unpaywall.status != "unknown":
        if unpaywall.is_oa == 0 and epmc is not None and epmc.free_full_text:
            return _europepmc_green(epmc, unpaywall.journal_is_oa)
        return unpaywall
    if epmc is not None and epmc.free_full_text:
        return _europepmc_green(epmc, None)
    return OaResult("unknown", None, source="europepmc" if epmc else "unpaywall")


def _europepmc_green(epmc: EuropePmcRecord, journal_is_oa: int | None) -> OaResult:
    url = (f"https://europepmc.org/article/PMC/{epmc.pmcid}" if epmc.pmcid
           else f"https://europepmc.org/article/MED/{epmc.pmid}")
    return OaResult("green", 1, url=url, license=epmc.license, host_type="repository",
                    journal_is_oa=journal_is_oa, source="europepmc")


def next_check(result: OaResult, first_seen: dt.datetime, published: dt.date | None,
               now: dt.datetime) -> dt.datetime:
    """When to look again. Open articles rarely; closed and unknown ones 1, 7, 30 and 90 days
    after first being seen, then just after the twelve-month open-archive date, then yearly."""
    if result.is_oa == 1:
        return now + OPEN_RECHECK
    archive = ([dt.datetime.combine(published, dt.time(), dt.timezone.utc) + OPEN_ARCHIVE_DELAY]
               if published is not None else [])
    return recheck.next_check(first_seen, now, also=archive)


def published_date(epub_date: str | None, pub_date: str | None) -> dt.date | None:
    """The most precise of the electronic and print publication dates (ISO, maybe partial; a
    stored date that is not a real one counts for as much of it as is)."""
    for value in sorted(filter(None, (epub_date, pub_date)), key=len, reverse=True):
        parts = iso_date(*value.split("-")[:3])
        if parts:
            year, month, day = (*map(int, parts.split("-")), 1, 1)[:3]
            return dt.date(year, month, day)
    return None


def europepmc_query(pmids: list[int], dois: list[str]) -> str:
    terms = [f"EXT_ID:{int(p)} AND SRC:MED" for p in pmids]
    terms += [f'DOI:"{d}"' for d in dois if searchable_doi(d)]
    return " OR ".join(f"({t})" for t in terms)


def _clean(value):
    return None if value in (None, "", NOT_AVAILABLE) else value


def _flag(value) -> int | None:
    return 1 if value is True else 0 if value is False else None


# --- network --------------------------------------------------------------------------------

def fetch_unpaywall(http: HttpClient, base_url: str, doi: str, email: str) -> OaResult:
    """One DOI; a 404 means Unpaywall does not know it yet (unknown, look again later)."""
    def handle(response):
        if response.status_code == 404:
            return UNKNOWN
        if response.status_code == 422:
            raise UnpaywallEmailRefused(
                "Unpaywall refused the contact email (HTTP 422); set HARVEST_EMAIL to a real "
                "address you read (placeholder domains such as example.com are refused)")
        try:
            return parse_unpaywall(json.loads(http.body(response)))
        except ValueError:
            raise RetryableError(f"Unpaywall {doi}: not JSON") from None

    url = f"{base_url.rstrip('/')}/{quote(doi, safe='/()')}"
    return http.call("GET", url, handle, params={"email": email}, accept=(404, 422),
                     stream=True, what=f"Unpaywall {doi}")


def fetch_europepmc(http: HttpClient, base_url: str, pmids: list[int],
                    dois: list[str]) -> list[EuropePmcRecord]:
    """Every Europe PMC record for these ids: one search, cursor-paged."""
    query = europepmc_query(pmids, dois)
    if not query:
        return []

    def fetch(cursor: str, number: int) -> tuple[list, str | None]:
        params = {"query": query, "format": "json", "resultType": "core",
                  "pageSize": EUROPEPMC_PAGE_SIZE, "cursorMark": cursor}
        page = http.call("GET", f"{base_url.rstrip('/')}/search",
                         lambda response: _json(http, response), params=params, stream=True,
                         what=f"Europe PMC search ({len(pmids) + len(dois)} ids)")
        return (page.get("resultList") or {}).get("result") or [], page.get("nextCursorMark")

    return [parse_europepmc_result(r) for page in cursor_pages(fetch) for r in page]


def _json(http: HttpClient, response):
    if "json" not in response.headers.get("Content-Type", ""):
        raise RetryableError(f"not JSON ({response.headers.get('Content-Type')})")
    try:
        return json.loads(http.body(response))
    except ValueError:
        raise RetryableError("malformed JSON") from None


# --- orchestration --------------------------------------------------------------------------

@dataclass
class OaSummary:
    checked: int = 0
    changed: int = 0
    open: int = 0
    errors: int = 0


def due_articles(conn: sqlite3.Connection, now: str, limit: int) -> list[sqlite3.Row]:
    """Never-checked articles first, then the oldest due re-checks.

    The candidates come from the queue of unchecked articles (oa_pending) and the next_check_at
    index, so the cost follows what is due, not the size of the database.
    """
    return conn.execute(
        "SELECT a.id, a.pmid, a.doi, a.first_seen_at, a.pub_date, a.epub_date "
        "FROM (SELECT article_id FROM oa_pending "
        "      UNION SELECT article_id FROM oa_status WHERE next_check_at <= ?1) d "
        "JOIN article a ON a.id = d.article_id LEFT JOIN oa_status o ON o.article_id = a.id "
        "WHERE o.article_id IS NULL OR o.next_check_at <= ?1 "
        "ORDER BY o.next_check_at IS NOT NULL, o.next_check_at, a.id LIMIT ?2",
        (now, limit)).fetchall()


def enrich_oa(conn: sqlite3.Connection, http: HttpClient, *, unpaywall_url: str,
              europepmc_url: str, email: str, limit: int = DEFAULT_LIMIT,
              now: dt.datetime | None = None) -> OaSummary:
    """Look up the due articles and store what was found, EUROPEPMC_BATCH at a time."""
    now = now or dt.datetime.now(dt.timezone.utc)
    articles = due_articles(conn, db.now_iso(now), limit)
    summary = OaSummary()
    with ThreadPoolExecutor(UNPAYWALL_IN_FLIGHT, thread_name_prefix="unpaywall") as pool:
        for start in range(0, len(articles), EUROPEPMC_BATCH):
            batch = articles[start:start + EUROPEPMC_BATCH]
            with_doi = [a for a in batch if a["doi"]]
            lookups = {a["id"]: pool.submit(fetch_unpaywall, http, unpaywall_url, a["doi"], email)
                       for a in with_doi}
            try:
                epmc = fetch_europepmc(http, europepmc_url,
                                       [a["pmid"] for a in batch if a["pmid"]],
                                       [a["doi"] for a in batch if a["doi"] and not a["pmid"]])
            except DeadlineReached:
                for other in lookups.values():
                    other.cancel()
                raise  # the whole batch stays due
            except SourceError as e:
                log.warning("Europe PMC: %s; using Unpaywall alone for this batch", e)
                summary.errors += 1
                epmc = None
            by_pmid = {r.pmid: r for r in epmc or () if r.pmid}
            by_doi = {r.doi: r for r in epmc or () if r.doi}
            results = {}
            stopped: DeadlineReached | None = None
            for article_id, future in lookups.items():
                try:
                    results[article_id] = None if stopped else future.result()
                except UnpaywallEmailRefused:
                    for other in lookups.values():
                        other.cancel()
                    raise
                except DeadlineReached as e:  # what was looked up is stored, the rest waits
                    for other in lookups.values():
                        other.cancel()
                    stopped, results[article_id] = e, None
                except SourceError as e:
                    log.warning("%s", e)
                    summary.errors += 1
                    results[article_id] = None  # not checked: stays due
            with db.transaction(conn):
                checked_at = db.now_iso(now)
                for article in batch:
                    unpaywall = results.get(article["id"])
                    if article["doi"] and unpaywall is None:
                        continue  # its lookup failed: still due
                    if not article["doi"] and epmc is None:
                        continue  # Europe PMC was its only source and failed: still due
                    record = by_pmid.get(article["pmid"]) or by_doi.get(article["doi"])
                    result = combine(unpaywall, record)
                    if record is not None:
                        save_europepmc_record(conn, article["id"], record, checked_at)
                    when = next_check(result, db.parse_iso(article["first_seen_at"]),
                                      published_date(article["epub_date"], article["pub_date"]),
                                      now)
                    changed = save_oa_result(conn, article["id"], result, checked_at,
                                             db.now_iso(when))
                    summary.checked += 1
                    summary.changed += changed
                    summary.open += result.is_oa == 1
            if stopped:
                raise stopped
    return summary


SAVE_OA_STATUS = db.upsert(
    "oa_status", ("article_id", "oa_status", "is_oa", "oa_url", "oa_pdf_url", "oa_license",
                  "oa_version", "oa_host_type", "journal_is_oa", "source", "checked_at",
                  "changed_at", "next_check_at"),
    key=("article_id",)) + ", checks = checks + 1"


def save_oa_result(conn: sqlite3.Connection, article_id: int, result: OaResult,
                   checked_at: str, next_check_at: str) -> bool:
    """Store the current state; record an observation when status, licence or URL changed.
    Returns whether it changed."""
    conn.execute("DELETE FROM oa_pending WHERE article_id = ?", (article_id,))
    current = conn.execute("SELECT oa_status, oa_license, oa_url FROM oa_status "
                           "WHERE article_id = ?", (article_id,)).fetchone()
    changed = current is None or tuple(current) != (result.status, result.license, result.url)
    if not changed:
        conn.execute("UPDATE oa_status SET checked_at = ?, next_check_at = ?, checks = checks + 1 "
                     "WHERE article_id = ?", (checked_at, next_check_at, article_id))
        return False
    values = (result.status, result.is_oa, result.url, result.pdf_url, result.license,
              result.version, result.host_type, result.journal_is_oa, result.source)
    conn.execute(SAVE_OA_STATUS, (article_id, *values, checked_at, checked_at, next_check_at))
    conn.execute("INSERT INTO oa_observation (article_id, observed_at, oa_status, is_oa, "
                 "oa_license, oa_url, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (article_id, checked_at, result.status, result.is_oa, result.license,
                  result.url, result.source))
    return True


def save_europepmc_record(conn: sqlite3.Connection, article_id: int, record: EuropePmcRecord,
                          checked_at: str) -> None:
    conn.execute("INSERT OR REPLACE INTO europepmc_record VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (article_id, record.pmcid, int(record.in_pmc), int(record.in_epmc),
                  int(record.is_open_access), int(record.has_pdf), record.license,
                  int(record.free_full_text), checked_at))
