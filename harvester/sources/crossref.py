"""Crossref REST API: a journal's works by cursor paging, single works by DOI, the notices
(corrections, retractions, expressions of concern) of many DOIs at once, and the pure
`work_to_record` that turns one work object (from `/works/{doi}` or a `/journals/{issn}/works` or
`/works?filter=updates:...` page's `items`) into the fields harvester stores.

Polite pool: every request carries `mailto` and a User-Agent naming the contact (HttpClient).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree as ET

from harvester.errors import SourceError
from harvester.http import HttpClient, RetryableError, cursor_pages
from harvester.text import TAG, first_text, is_html, iso_date, normalize_doi, searchable_doi

log = logging.getLogger(__name__)

# Works per page: a Cancer Cell page of 200 with abstracts is about 1 MB.
ROWS = 200
# Only the fields we store: references and relations would make pages ten times larger.
# `update-to` (on a notice) and `updated-by` (on the original) are selectable: both are in the
# list of select values the API itself answers an unknown select with (copied into client docs,
# e.g. Perl REST::Client::CrossRef's works_from_doi, "Fields that may be used for selection",
# October 2018).
SELECT = ",".join((
    "DOI", "title", "container-title", "short-container-title", "ISSN", "issn-type", "type",
    "publisher", "volume", "issue", "page", "published-online", "published-print", "issued",
    "created", "URL", "author", "license", "abstract", "update-to", "updated-by"))
# Crossmark update types (`update-to[].type`, `updated-by[].type`) -> harvester's four notice
# kinds. NLM files partial retractions and addenda as errata, and so do we; a withdrawal (an
# article in press taken back) and a removal (taken down for legal reasons) leave the paper as
# unusable as a retraction does. A type not listed is kept as "update": something changed.
UPDATE_TYPES = {
    "retraction": "retraction",
    "withdrawal": "retraction",
    "removal": "retraction",
    "partial_retraction": "correction",
    "correction": "correction",
    "corrigendum": "correction",
    "erratum": "correction",
    "addendum": "correction",
    "clarification": "correction",
    "expression_of_concern": "expression_of_concern",
    "new_version": "update",
    "new_edition": "update",
}
# Licences that make a work free to read (Elsevier's open archive and Creative Commons).
OPEN_LICENSE = re.compile(r"creativecommons\.org|elsevier\.com/open-access/userlicense",
                          re.IGNORECASE)


# The notice look-up (`updates`): one request asks for the notices of a batch of DOIs,
# `filter=updates:A,updates:B,...` ("specifying the same filter multiple times will result in OR
# semantics", Crossref REST API docs, "Multiple filters"). A batch holds up to 50 DOIs and as many
# as fit in 4000 characters of URL-encoded filter: Crossref's Jetty refuses a request line plus
# headers over 8 KB, and the rest of the URL takes up to 2 KB (a next-cursor is up to 1,512
# characters, select about 300). 50 typical DOIs (27-45 characters, about 55 encoded with their
# "updates:" and comma) take about 2,800; the budget keeps at least 20 DOIs in a request as long
# as they average under 200 encoded characters.
UPDATES_BATCH = 50
UPDATES_FILTER_BUDGET = 4000
# Notices per page: most DOIs have none, so one page almost always answers a batch.
UPDATES_ROWS = 100

# Statuses whose body says what went wrong (a validation failure, a bad cursor, not found).
ANSWERED = (400, 404)


class NotFound(SourceError):
    """Crossref's plain-text 404 "Resource not found.": an ISSN it does not key the journal by,
    or a DOI not registered yet."""


@dataclass
class Page:
    total: int
    items: list[dict]


class Crossref:
    """`{base_url}/journals/{issn}/works`, `{base_url}/works/{doi}` and
    `{base_url}/works?filter=updates:...`."""

    def __init__(self, http: HttpClient, base_url: str, mailto: str):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.mailto = mailto

    def journal_works(self, issn: str, start: dt.date, end: dt.date,
                      on_page: Callable[[Page], None], rows: int | None = None) -> int:
        """Every work of the journal registered (created) from `start` through `end`, a page at a
        time, by deep paging with cursors. Returns how many works Crossref counted. Raises
        NotFound if Crossref does not know the journal by this ISSN."""
        url = f"{self.base_url}/journals/{quote(issn)}/works"
        total = 0

        def fetch(cursor: str, number: int) -> tuple[list, str | None]:
            nonlocal total
            params = {"filter": f"from-created-date:{start},until-created-date:{end}",
                      "rows": rows or ROWS, "select": SELECT, "cursor": cursor, "mailto": self.mailto}
            message = self.http.call("GET", url, self._handler("work-list", issn),
                                     params=params, stream=True, accept=ANSWERED,
                                     what=f"Crossref journal {issn} works, page {number}")
            total = message.get("total-results") or 0
            return message.get("items") or [], message.get("next-cursor")

        for items in cursor_pages(fetch):
            on_page(Page(total, items))
        return total

    def _handler(self, kind: str, subject: str):
        return lambda response: parse_message(response.status_code, self.http.body(response),
                                              kind, subject)

    def work(self, doi: str) -> dict | None:
        """One work, or None when Crossref does not know the DOI (yet)."""
        url = f"{self.base_url}/works/{quote(doi, safe='')}"
        try:
            return self.http.call("GET", url, self._handler("work", doi),
                                  params={"mailto": self.mailto}, stream=True, accept=ANSWERED,
                                  what=f"Crossref work {doi}")
        except NotFound:
            return None


    def updates(self, dois: list[str], rows: int | None = None) -> list[dict]:
        """The notices Crossref knows for these DOIs: every work whose `update-to` names one of
        them (corrections, retractions, expressions of concern, new versions, from publishers or
        Retraction Watch), as work_to_record records, each notice once.

        DOIs are asked in batches (update_batches) of several OR-ed `updates:` filters, a page
        at a time by cursor; a DOI the filter cannot take (doi_for_filter) is not asked about.
        """
        wanted: list[str] = []
        skipped = 0
        for doi in dois:
            clean = doi_for_filter(doi)
            if clean is None:
                skipped += 1
            elif clean not in wanted:
                wanted.append(clean)
        if skipped:
            log.warning("Crossref notices: %d malformed DOI(s) not looked up", skipped)
        records: list[dict] = []
        found: set[str] = set()
        for number, batch in enumerate(update_batches(wanted), 1):
            for work in self._notices(batch, number, rows or UPDATES_ROWS):
                record = work_to_record(work)
                if record["doi"] and record["doi"] not in found:
                    found.add(record["doi"])
                    records.append(record)
        return records

    def _notices(self, batch: list[str], number: int, rows: int) -> list[dict]:
        url = f"{self.base_url}/works"
        filters = ",".join(f"updates:{doi}" for doi in batch)
        items_seen = 0

        def fetch(cursor: str, page_number: int) -> tuple[list, str | None]:
            nonlocal items_seen
            params = {"filter": filters, "rows": rows, "select": SELECT, "cursor": cursor,
                      "mailto": self.mailto}
            message = self.http.call(
                "GET", url, self._handler("work-list", f"notices of {len(batch)} DOIs"),
                params=params, stream=True, accept=ANSWERED,
                what=f"Crossref notices, batch {number} ({len(batch)} DOIs), page {page_number}")
            items = message.get("items") or []
            items_seen += len(items)
            # Stop on a short page too: asking for the empty page after the last would double
            # the requests, since one page answers nearly every batch.
            last = len(items) < rows or items_seen >= (message.get("total-results") or 0)
            return items, None if last else message.get("next-cursor")

        return [work for page in cursor_pages(fetch) for work in page]


def doi_for_filter(doi: str | None) -> str | None:
    """The DOI normalised (lower case, no resolver prefix), or None when it is not one the
    `updates:` filter can carry."""
    clean = normalize_doi(doi)
    return clean if searchable_doi(clean) else None


def update_batches(dois: list[str], size: int = UPDATES_BATCH,
                   budget: int = UPDATES_FILTER_BUDGET) -> list[list[str]]:
    """DOIs in order, cut into batches of at most `size` whose URL-encoded filter
    (`updates:A,updates:B`) stays within `budget` characters; a DOI too long for any batch goes
    alone."""
    batches: list[list[str]] = []
    batch: list[str] = []
    length = 0
    for doi in dois:
        cost = len(quote_plus(f"updates:{doi}")) + (len(quote_plus(",")) if batch else 0)
        if batch and (len(batch) == size or length + cost > budget):
            batches.append(batch)
            batch, length = [], 0
            cost = len(quote_plus(f"updates:{doi}"))
        batch.append(doi)
        length += cost
    if batch:
        batches.append(batch)
    return batches


def parse_message(status: int, body: bytes, kind: str, subject: str) -> dict:
    """The `message` of a Crossref JSON body of the expected type; NotFound on its 404."""
    if status >= 400:
        try:
            detail = json.loads(body)
        except ValueError:
            detail = None
        if status == 404 and detail is None:  # the plain-text "Resource not found."
            raise NotFound(f"Crossref does not know {subject} (HTTP 404 "
                           f"{body[:60].decode('utf-8', 'replace').strip()!r})")
        raise SourceError(f"Crossref refused the request for {subject}: "
                          f"{_failure(detail)} (HTTP {status})")
    try:
        data = json.loads(body)
    except ValueError:
        if is_html(body):
            raise RetryableError("an HTML page instead of Crossref JSON") from None
        raise RetryableError("malformed or truncated Crossref JSON") from None
    if not isinstance(data, dict) or data.get("status") != "ok" \
            or data.get("message-type") != kind or not isinstance(data.get("message"), dict):
        raise SourceError(f"Crossref answered {_failure(data)} instead of a {kind}")
    return data["message"]


def _failure(data) -> str:
    if not isinstance(data, dict):
        return "something else"
    message = data.get("message")
    if isinstance(message, list) and message and isinstance(message[0], dict):
        first = message[0]
        return f"{data.get('message-type', 'failure')}: {first.get('message') or first.get('type')}"
    return str(data.get("message-type") or data.get("status") or "an unexpected body")


def open_licence_start(licenses: list[dict]) -> str | None:
    """The first day the version of record is free to read under an open licence (Elsevier's
    open archive: a user licence starting a year after publication)."""
    starts = [item["start"] for item in licenses
              if item["start"] and OPEN_LICENSE.search(item["url"] or "")
              and item["content_version"] in ("vor", None)]
    return min(starts) if starts else None

JATS_NAMESPACES = ('xmlns:jats="http://www.ncbi.nlm.nih.gov/JATS1" '
                   'xmlns:mml="http://www.w3.org/1998/Math/MathML" '
                   'xmlns:xlink="http://www.w3.org/1999/xlink"')
JATS = "{http://www.ncbi.nlm.nih.gov/JATS1}"
ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


def work_to_record(work: dict) -> dict:
    """One Crossref work -> a flat record (DOI normalised, markup flattened, dates ISO)."""
    issns = {i.get("type"): i.get("value") for i in work.get("issn-type") or []}
    return {
        "doi": normalize_doi(work.get("DOI")),
        "title": first_text(work.get("title")),
        "journal": first_text(work.get("container-title")),
        "journal_short": first_text(work.get("short-container-title")),
        "issn_print": issns.get("print"),
        "issn_electronic": issns.get("electronic"),
        "type": work.get("type"),
        "publisher": work.get("publisher"),
        "volume": work.get("volume"),
        "issue": work.get("issue"),
        "pages": work.get("page"),
        "published_online": date_parts(work.get("published-online")),
        "published_print": date_parts(work.get("published-print")),
        "issued": date_parts(work.get("issued")),
        "created_at": (work.get("created") or {}).get("date-time"),
        "url": work.get("URL"),
        "authors": [author_to_record(a) for a in work.get("author") or []],
        "licenses": [license_to_record(item) for item in work.get("license") or []],
        "abstract": flatten_jats(work.get("abstract")),
        "update_to": parse_updates(work.get("update-to")),
        "updated_by": parse_updates(work.get("updated-by")),
    }


def parse_updates(updates: list[dict] | None) -> list[dict]:
    """Crossmark updates -> [{"type", "update_type", "doi", "date", "source", "label"}].

    `update-to` on a notice names the works it updates; `updated-by` on a work names its
    notices. `type` is one of UPDATE_TYPES' four kinds, `update_type` Crossref's own word,
    `date` the ISO (possibly partial) day the update was published, `source` "publisher" or
    "retraction-watch" (Crossref adds Retraction Watch's records, with its own `record-id`, next
    to what publishers deposit, so one notice can appear once from each). Entries without a DOI
    cannot be linked and are left out; exact repeats are listed once.
    """
    out: list[dict] = []
    for update in updates or []:
        doi = normalize_doi(update.get("DOI"))
        if not doi:
            continue
        raw_type = update.get("type")
        updated = update.get("updated") or {}
        entry = {
            "type": UPDATE_TYPES.get((raw_type or "").lower(), "update"),
            "update_type": raw_type,
            "doi": doi,
            "date": date_parts(updated) or _day(updated.get("date-time")),
            "source": update.get("source"),
            "label": update.get("label"),
        }
        if entry not in out:
            out.append(entry)
    return out


def _day(date_time: str | None) -> str | None:
    """"2010-02-06T00:00:00Z" -> "2010-02-06"."""
    return date_time[:10] if date_time and len(date_time) >= 10 else None


def author_to_record(author: dict) -> dict:
    """Crossref author: given/family for people, `name` for organisations (consortia)."""
    orcid = ORCID.search(author.get("ORCID") or "")
    return {
        "given": author.get("given"),
        "family": author.get("family"),
        "name": author.get("name"),
        "orcid": orcid.group(1).upper() if orcid else None,
        "orcid_authenticated": bool(author.get("authenticated-orcid")),
        "affiliations": [a["name"] for a in author.get("affiliation") or [] if a.get("name")],
        "sequence": author.get("sequence"),
    }


def license_to_record(item: dict) -> dict:
    """A licence entry: when it starts applying and after how many days (Elsevier's open
    archive shows up as a user licence starting a year after publication)."""
    return {
        "url": item.get("URL"),
        "start": date_parts(item.get("start")),
        "delay_in_days": item.get("delay-in-days"),
        "content_version": item.get("content-version"),
    }


def date_parts(value: dict | None) -> str | None:
    """{"date-parts": [[2012, 3]]} -> "2012-03"; missing or [[null]] -> None."""
    parts = ((value or {}).get("date-parts") or [[None]])
    parts = parts[0] if isinstance(parts, list) and isinstance(parts[0], list) else []
    return iso_date(*(parts[:3] or [None]))


def flatten_jats(abstract: str | None) -> str | None:
    """Crossref's JATS abstract string -> text: sections "Title: text", one per line; a lone
    "Abstract" heading dropped."""
    if not abstract or not abstract.strip():
        return None
    try:
        root = ET.fromstring(f"<root {JATS_NAMESPACES}>{abstract}</root>")
    except ET.ParseError:  # HTML entities or broken markup: fall back to tag stripping
        text = html.unescape(TAG.sub(" ", abstract))
        return " ".join(text.split()) or None
    lines = []
    for block in _blocks(root):
        title = block.find(f"{JATS}title")
        heading = _text(title) if title is not None else ""
        paragraphs = [_text(p) for p in block.iter(f"{JATS}p")] or (
            [] if block.tag == f"{JATS}sec" else [_text(block)])
        body = " ".join(p for p in paragraphs if p)
        if heading and heading.lower() != "abstract" and body:
            lines.append(f"{heading}: {body}")
        elif body:
            lines.append(body)
    return "\n".join(lines) or None


def _blocks(root: ET.Element) -> list[ET.Element]:
    """Innermost sections when there are any, else the paragraphs, else the whole text."""
    sections = [s for s in root.iter(f"{JATS}sec") if s.find(f"{JATS}sec") is None]
    if sections:
        return sections
    paragraphs = [p for p in root if p.tag == f"{JATS}p"]
    return paragraphs or [root]


def _text(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())
