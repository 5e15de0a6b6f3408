"""Crossref and feeds on loopback.

Crossref: GET /crossref/journals/{issn}/works?filter=from-created-date:..,until-created-date:..
&rows=&cursor=&mailto= pages through the works created in the window with opaque cursors (long,
with '+', '/' and '=' in them, so a client that does not URL-encode them breaks), as Crossref
does: the page after the last one is empty. An ISSN it does not key the journal by answers the
plain-text 404 "Resource not found."; so does GET /crossref/works/{doi} for a DOI not registered.
GET /crossref/works?filter=updates:A,updates:B,...&rows=&cursor= lists the works whose
`update-to` names any of the DOIs (the same filter repeated is OR-ed, as Crossref does), with the
same cursors.

Feeds: GET /feeds/{name} -> the body set for that name, with ETag and Last-Modified; a request
with a matching If-None-Match or If-Modified-Since gets 304.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures"
NOT_FOUND = "Resource not found."


def crossref_work(doi: str, title: str, created: dt.date, **changes) -> dict:
    """A work in Crossref's shape, from the Cancer Cell fixture, with another DOI and dates."""
    work = json.loads((FIXTURES / "crossref" / "work_cancer_cell.json").read_text())["message"]
    work = copy.deepcopy(work)
    parts = [created.year, created.month, created.day]
    work.update({"DOI": doi, "title": [title],
                 "created": {"date-parts": [parts], "date-time": f"{created}T09:00:00Z",
                             "timestamp": 0},
                 "published-online": {"date-parts": [parts]}, "URL": f"https://doi.org/{doi}"})
    work.update(changes)
    return work


class FakeCrossref:
    def __init__(self, issns=("1535-6108",)):
        self.issns = set(issns)  # the ISSNs Crossref keys the journal by
        self.works: dict[str, dict] = {}  # lower-case DOI -> work
        self.requests: list[tuple[str, dict]] = []
        self.faults: list[tuple[int, str]] = []  # (status, body) answered before the next ones
        self.repeat_cursor = False  # answer every page with the same next-cursor

    def install(self, httpserver) -> "FakeCrossref":
        httpserver.expect_request(re.compile(r"^/crossref/journals/[^/]+/works$")) \
            .respond_with_handler(self.answer_journal_works)
        httpserver.expect_request(re.compile(r"^/crossref/works/.+")) \
            .respond_with_handler(self.answer_work)
        httpserver.expect_request(re.compile(r"^/crossref/works$")) \
            .respond_with_handler(self.answer_updates)
        return self

    def add(self, work: dict) -> dict:
        self.works[work["DOI"].lower()] = work
        return work

    def answer_journal_works(self, request: Request) -> Response:
        issn = request.path.split("/")[3]
        args = request.args.to_dict()
        self.requests.append(("journal_works", {"issn": issn, **args}))
        if self.faults:
            status, body = self.faults.pop(0)
            return Response(body, status=status)
        if issn not in self.issns:
            return Response(NOT_FOUND, status=404, content_type="text/plain")
        window = dict(f.split(":", 1) for f in args["filter"].split(","))
        first = dt.date.fromisoformat(window["from-created-date"])
        last = dt.date.fromisoformat(window["until-created-date"])
        matching = [w for w in self.works.values()
                    if first <= dt.date(*w["created"]["date-parts"][0]) <= last]
        return self._page(matching, args)

    def answer_updates(self, request: Request) -> Response:
        args = request.args.to_dict()
        self.requests.append(("updates", args))
        if self.faults:
            status, body = self.faults.pop(0)
            return Response(body, status=status)
        names, _, doi = zip(*(f.partition(":") for f in args["filter"].split(",")))
        if set(names) != {"updates"}:
            return Response(json.dumps({"status": "failed", "message-type": "validation-failure",
                                        "message": [{"type": "filter-not-available"}]}),
                            status=400, content_type="application/json")
        wanted = {d.lower() for d in doi}
        matching = [w for w in self.works.values()
                    if wanted & {u["DOI"].lower() for u in w.get("update-to") or []}]
        return self._page(matching, args)

    def _page(self, matching: list[dict], args: dict) -> Response:
        rows = int(args.get("rows", 20))
        cursor = args["cursor"]
        if cursor == "*":
            offset = 0
        else:
            token = re.match(r"^DnF1ZXJ5VGhlbkZldGNo(.+)\+/==$", cursor)
            if token is None:  # a cursor mangled on the way ('+' read as a space)
                return Response(json.dumps({"status": "failed", "message-type": "resource-failure",
                                            "message": [{"type": "cursor-invalid"}]}),
                                status=404, content_type="application/json")
            offset = int(base64.b64decode(token.group(1)))
        items = matching[offset:offset + rows]
        next_offset = offset if self.repeat_cursor else offset + len(items)
        next_cursor = ("DnF1ZXJ5VGhlbkZldGNo" + base64.b64encode(str(next_offset).encode()).decode()
                       + "+/==")
        message = {"facets": {}, "next-cursor": next_cursor, "total-results": len(matching),
                   "items": items, "items-per-page": rows,
                   "query": {"start-index": 0, "search-terms": None}}
        return _json({"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                      "message": message})

    def answer_work(self, request: Request) -> Response:
        doi = unquote(request.path[len("/crossref/works/"):])
        self.requests.append(("work", {"doi": doi, **request.args.to_dict()}))
        work = self.works.get(doi.lower())
        if work is None:
            return Response(NOT_FOUND, status=404, content_type="text/plain")
        return _json({"status": "ok", "message-type": "work", "message-version": "1.0.0",
                      "message": work})


@dataclass
class Feed:
    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=UTF-8"
    etag: str | None = '"v1"'
    last_modified: str | None = "Mon, 01 Dec 2025 06:00:00 GMT"
    headers: dict = field(default_factory=dict)


class FakeFeeds:
    def __init__(self):
        self.feeds: dict[str, Feed] = {}
        self.requests: list[tuple[str, dict]] = []  # (name, request headers of interest)

    def install(self, httpserver) -> "FakeFeeds":
        self.base = httpserver.url_for("/feeds").rstrip("/")
        httpserver.expect_request(re.compile(r"^/feeds/.+")).respond_with_handler(self.answer)
        return self

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def serve(self, name: str, fixture: str | None = None, **options) -> Feed:
        body = (FIXTURES / "feeds" / fixture).read_bytes() if fixture else options.pop("body")
        self.feeds[name] = Feed(body, **options)
        return self.feeds[name]

    def answer(self, request: Request) -> Response:
        name = request.path[len("/feeds/"):]
        self.requests.append((name, {k: request.headers[k] for k in
                                     ("If-None-Match", "If-Modified-Since", "User-Agent")
                                     if k in request.headers}))
        feed = self.feeds.get(name)
        if feed is None:
            return Response("<html><body>Not found</body></html>", status=404,
                            content_type="text/html")
        headers = dict(feed.headers)
        if feed.etag:
            headers["ETag"] = feed.etag
        if feed.last_modified:
            headers["Last-Modified"] = feed.last_modified
        if feed.status == 200 and (
                (feed.etag and request.headers.get("If-None-Match") == feed.etag)
                or (not feed.etag and feed.last_modified
                    and request.headers.get("If-Modified-Since") == feed.last_modified)):
            return Response(status=304, headers=headers)
        return Response(feed.body, status=feed.status, content_type=feed.content_type,
                        headers=headers)


def _json(data: dict) -> Response:
    return Response(json.dumps(data), content_type="application/json")
