"""PubMed through NCBI E-utilities: esearch (counts, ids, history) and efetch (records).

`fetch_*` functions talk to the network; parsing of efetch XML lives in pubmed_xml.py and of
esearch XML in `parse_esearch` (pure). Every request is a POST so that long terms and id lists
fit, and so that the API key and email never appear in a URL.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable
from xml.etree import ElementTree as ET

from harvester.http import HttpClient, RetryableError
from harvester.sources.pubmed_xml import Deleted, EfetchError, parse_efetch
from harvester.text import is_html

log = logging.getLogger(__name__)

TOOL = "harvester"
# PubMed's esearch returns at most the first 9,999 ids of any search (retstart+retmax <= 9999).
ESEARCH_CAP = 9999
EFETCH_BATCH = 500
STREAM_CHUNK = 64 * 1024


@dataclass
class SearchResult:
    count: int
    ids: list[int]
    webenv: str | None = None
    query_key: str | None = None
    warnings: list[str] = field(default_factory=list)


class EutilsError(RetryableError):
    """An E-utilities failure inside an HTTP 200: <ERROR>, HTML, broken or truncated XML."""


def parse_esearch(body: bytes) -> SearchResult:
    """An esearch XML body -> SearchResult. Raises EutilsError for anything but a result."""
    if not body.strip():
        raise EutilsError("empty esearch response")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        if is_html(body):
            raise EutilsError("an HTML page instead of esearch XML") from None
        raise EutilsError(f"malformed or truncated esearch XML ({e})") from None
    if root.tag != "eSearchResult":
        raise EutilsError(f"<{root.tag}> instead of <eSearchResult>")
    error = root.find("ERROR")
    if error is not None:
        raise EutilsError(f"E-utilities error: {' '.join((error.text or '').split())}")
    count = root.findtext("Count")
    if count is None or not count.strip().isdigit():
        raise EutilsError("esearch response has no Count")
    warnings = [f"phrase not found: {e.text}" for e in root.iterfind("ErrorList/PhraseNotFound")]
    warnings += [f"field not found: {e.text}" for e in root.iterfind("ErrorList/FieldNotFound")]
    warnings += [f"quoted phrase not found: {e.text}"
                 for e in root.iterfind("WarningList/QuotedPhraseNotFound")]
    warnings += [f"phrase ignored: {e.text}" for e in root.iterfind("WarningList/PhraseIgnored")]
    warnings += [e.text for e in root.iterfind("WarningList/OutputMessage")
                 if e.text and e.text != "No items found."]
    return SearchResult(
        count=int(count),
        ids=[int(i.text) for i in root.iterfind("IdList/Id")],
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        warnings=warnings,
    )


class Eutils:
    """esearch and efetch against `{base_url}/esearch.fcgi` and `/efetch.fcgi`."""

    def __init__(self, http: HttpClient, base_url: str, email: str, api_key: str | None = None):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.identity = {"tool": TOOL, "email": email}
        if api_key:
            self.identity["api_key"] = api_key

    def esearch(self, term: str, datetype: str, mindate: dt.date, maxdate: dt.date,
                retmax: int = ESEARCH_CAP) -> SearchResult:
        data = {
            "db": "pubmed", "term": term, "datetype": datetype,
            "mindate": mindate.strftime("%Y/%m/%d"), "maxdate": maxdate.strftime("%Y/%m/%d"),
            "retmax": retmax, "usehistory": "y", **self.identity,
        }
        result = self.http.call("POST", f"{self.base_url}/esearch.fcgi",
                                lambda r: parse_esearch(self._xml_body(r, "esearch")), data=data,
                                stream=True,
                                what=f"esearch {datetype} {mindate}..{maxdate}")
        if result.count <= retmax and len(result.ids) != min(result.count, retmax):
            raise EutilsError(f"esearch said Count {result.count} but listed {len(result.ids)} ids")
        return result

    def search(self, term: str, retmax: int = 1000) -> SearchResult:
        """A plain esearch without a date window or history (DOI lookups)."""
        data = {"db": "pubmed", "term": term, "retmax": retmax, **self.identity}
        return self.http.call("POST", f"{self.base_url}/esearch.fcgi",
                              lambda r: parse_esearch(self._xml_body(r, "esearch")), data=data,
                              stream=True, what="esearch by DOI")

    def fetch_search(self, result: SearchResult, on_item: Callable[[dict | Deleted], None],
                     batch: int = EFETCH_BATCH) -> None:
        """efetch every record of an esearch result through its history (WebEnv/query_key)."""
        if not result.webenv or not result.query_key:
            self.fetch_ids(result.ids, on_item, batch)
            return
        total = min(result.count, ESEARCH_CAP)
        for start in range(0, total, batch):
            data = {"db": "pubmed", "retmode": "xml", "WebEnv": result.webenv,
                    "query_key": result.query_key, "retstart": start, "retmax": batch,
                    **self.identity}
            self._efetch(data, on_item, f"efetch {start + 1}-{min(start + batch, total)}")

    def fetch_ids(self, pmids: Iterable[int], on_item: Callable[[dict | Deleted], None],
                  batch: int = EFETCH_BATCH) -> None:
        """efetch the given PMIDs, `batch` at a time, ids sent in the POST body."""
        pmids = list(pmids)
        for start in range(0, len(pmids), batch):
            chunk = pmids[start:start + batch]
            data = {"db": "pubmed", "retmode": "xml", "id": ",".join(map(str, chunk)),
                    **self.identity}
            self._efetch(data, on_item, f"efetch {len(chunk)} ids")

    def _xml_body(self, response, what: str) -> bytes:
        _check_xml_response(response, what)
        return self.http.body(response)

    def _efetch(self, data: dict, on_item, what: str) -> None:
        def handle(response):
            _check_xml_response(response, "efetch")
            try:
                for item in parse_efetch(self.http.iter_body(response, STREAM_CHUNK)):
                    on_item(item)
            except EfetchError as e:
                raise EutilsError(str(e)) from None

        self.http.call("POST", f"{self.base_url}/efetch.fcgi", handle, data=data, stream=True,
                       what=what)


def _check_xml_response(response, what: str) -> None:
    kind = response.headers.get("Content-Type", "")
    if is_html(b"", kind):
        raise EutilsError(f"an HTML page ({kind}) instead of {what} XML")



