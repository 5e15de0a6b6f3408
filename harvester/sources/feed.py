"""RSS/Atom/RDF feeds: a conditional GET through the project's HTTP client, feedparser on the
bytes, and entries turned into records.

A response that is not a feed is an error, never "0 new entries": a bot challenge (Cell Press
answers automated clients with Cloudflare's 403 "Just a moment..." page), any HTML page whatever
its status, 4xx, or XML feedparser cannot read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import feedparser

from harvester.errors import SourceError
from harvester.http import HttpClient, RetryableError
from harvester.text import ROOT_TAG, is_html, normalize_doi, plain_text, utc_iso

DOI_IN_TEXT = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>]+)")
# Cloudflare's interstitial: the page title, its script names and the header it sets.
CHALLENGE_MARKERS = (b"<title>just a moment...</title>", b"cf-chl", b"challenge-platform",
                     b"cf_chl_opt", b"attention required! | cloudflare")
STATUSES_READ = (401, 403, 404, 410, 451)
END_TAG = re.compile(rb"</([A-Za-z_][\w:.-]*)\s*>\s*$")


class FeedError(SourceError):
    """The URL did not answer with a feed."""


class FeedBlocked(FeedError):
    """The site answered with a bot challenge instead of the feed."""


@dataclass
class FeedFetch:
    status: str  # "ok" | "not_modified"
    http_status: int
    entries: list[dict] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    warnings: list[str] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)  # {"key", "raw" (JSON), "error"}


def fetch_feed(http: HttpClient, url: str, etag: str | None = None,
               last_modified: str | None = None) -> FeedFetch:
    """GET the feed, conditionally when a validator from the last fetch is known."""
    headers = {"Accept": "application/rss+xml, application/rdf+xml, application/atom+xml, "
                         "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    def handle(response) -> FeedFetch:
        if response.status_code == 304:
            return FeedFetch("not_modified", 304, etag=etag, last_modified=last_modified)
        body = http.body(response)
        kind = response.headers.get("Content-Type", "")
        return parse_feed_response(response.status_code, kind, body,
                                   response.headers.get("cf-mitigated"),
                                   etag=response.headers.get("ETag"),
                                   last_modified=response.headers.get("Last-Modified"))

    return http.call("GET", url, handle, headers=headers, stream=True, accept=STATUSES_READ,
                     what=url)


def parse_feed_response(status: int, content_type: str, body: bytes, mitigated: str | None = None,
                        *, etag: str | None = None, last_modified: str | None = None) -> FeedFetch:
    """One response -> FeedFetch, or FeedBlocked/FeedError naming what came instead."""
    head = body[:4096].lower()
    if (mitigated or "").lower() == "challenge" or any(m in head for m in CHALLENGE_MARKERS):
        raise FeedBlocked(f"blocked by a bot challenge (HTTP {status}, a 'Just a moment...' "
                          "page): the site refuses automated clients; a crossref query can "
                          "cover this journal instead")
    if is_html(body, content_type):
        raise FeedError(f"an HTML page (HTTP {status}), not a feed; check the feed address")
    if status >= 400:
        raise FeedError(f"HTTP {status}; check the feed address")
    if not body.strip():
        raise RetryableError("an empty response instead of a feed")
    parsed = feedparser.parse(body, response_headers={"content-type": content_type})
    warnings = []
    if parsed.bozo:
        problem = " ".join(str(parsed.get("bozo_exception", "not well-formed")).split())
        if not parsed.version and not parsed.entries or not _complete(body):
            # feedparser's lenient parser reads what it can of a cut-off body: entries would
            # silently go missing, so a truncated feed is fetched again, not read
            raise RetryableError(f"malformed or truncated feed XML ({problem})")
        warnings.append(f"feed has a glitch but was read ({problem})")
    elif not parsed.version:
        raise FeedError("XML that is not RSS, RDF or Atom")
    # Not the channel's title: "Cancer Cell: In Press" or "pubmed: her2" name no journal.
    journal = plain_text(parsed.feed.get("prism_publicationname"))
    entries, unreadable = [], []
    for entry in parsed.entries:
        try:
            entries.append(entry_to_record(entry, journal))
        except Exception as e:  # one entry's problem stays with that entry
            raw = json.dumps(entry, default=str, sort_keys=True, ensure_ascii=False)
            unreadable.append({"key": str(entry.get("id") or entry.get("link") or
                                          f"sha1:{hashlib.sha1(raw.encode()).hexdigest()}"),
                               "raw": raw, "error": f"{type(e).__name__}: {e}"})
    return FeedFetch("ok", status, entries, etag, last_modified, warnings, unreadable)


def _complete(body: bytes) -> bool:
    """Whether the document ends with the end tag of its root element."""
    root = ROOT_TAG.search(body)
    end = END_TAG.search(body)
    return bool(root and end and root.group(1) == end.group(1))


def entry_to_record(entry: dict, journal: str | None = None) -> dict:
    """One feedparser entry -> the fields harvester stores."""
    link = entry.get("link") or None
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    section = entry.get("prism_section") or next(
        (t.get("term") for t in entry.get("tags") or [] if t.get("term")), None)
    return {
        "key": entry.get("id") or link,
        "doi": entry_doi(entry),
        "title": plain_text(entry.get("title")),
        "link": link,
        "authors": entry_authors(entry),
        "published_at": utc_iso(published) if published else None,
        "section": plain_text(section),
        "summary": plain_text(entry.get("summary")),
        "journal": plain_text(entry.get("prism_publicationname") or entry.get("dc_source")) or journal,
    }


def entry_doi(entry: dict) -> str | None:
    """prism:doi, then dc:identifier, then a DOI inside the id or link."""
    for value in (entry.get("prism_doi"), entry.get("dc_identifier")):
        doi = normalize_doi(value)
        if doi and doi.startswith("10."):
            return doi
    for value in (entry.get("id"), entry.get("link")):
        found = DOI_IN_TEXT.search(value or "")
        if found:
            return normalize_doi(found.group(1).rstrip(".,;)"))
    return None


def entry_authors(entry: dict) -> list[str]:
    """Author names. A single dc:creator often lists everyone: "A. Doe, B. Roe and C. Poe"."""
    names = [plain_text(a.get("name")) for a in entry.get("authors") or []]
    names = [n for n in names if n]
    if len(names) == 1 and ("," in names[0] or " and " in names[0]):
        parts = [p.strip() for p in re.split(r",|;|\band\b", names[0])]
        if all(" " in p for p in parts if p):  # "Doe, Jane" is one person, not two
            names = [p for p in parts if p]
    return names

