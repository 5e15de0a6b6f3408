"""Unpaywall and Europe PMC on loopback: answers built from the JSON fixtures in their shapes.

Unpaywall: GET /unpaywall/{doi}?email=... -> the DOI's fixture object, 404 (with Unpaywall's own
JSON error body) for DOIs it does not hold, or a queued fault. Europe PMC: GET /europepmc/search
-> the records whose PMID or DOI the query names, paged with cursorMark as Europe PMC does.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import unquote

from werkzeug import Request, Response

from tests.fake_eutils import Fault

FIXTURES = Path(__file__).parent / "fixtures"


class FakeOa:
    def __init__(self):
        self.unpaywall: dict[str, dict] = {}
        self.europepmc: list[dict] = []
        self.faults: dict[str, list[Fault]] = {"unpaywall": [], "europepmc": []}
        self.requests: list[tuple[str, dict]] = []
        self.page_size: int | None = None  # None: the pageSize asked for
        self.full_texts: dict[str, bytes] = {}  # PMCID -> JATS
        self.delay = 0.0  # seconds before each Unpaywall answer: a slow service

    def install(self, httpserver) -> "FakeOa":
        httpserver.expect_request(re.compile(r"^/unpaywall/.+")).respond_with_handler(
            self.answer_unpaywall)
        httpserver.expect_request("/europepmc/search").respond_with_handler(self.answer_europepmc)
        httpserver.expect_request(re.compile(r"^/europepmc/PMC\d+/fullTextXML$")) \
            .respond_with_handler(self.answer_full_text)
        return self

    def answer_full_text(self, request: Request) -> Response:
        pmcid = request.path.split("/")[2]
        self.requests.append(("fulltext", {"pmcid": pmcid}))
        if pmcid not in self.full_texts:
            return Response("", status=404, content_type="text/plain")
        return Response(self.full_texts[pmcid], content_type="application/xml")

    def add_unpaywall(self, name: str, **changes) -> dict:
        data = json.loads((FIXTURES / "unpaywall" / name).read_text())
        data.update(changes)
        self.unpaywall[data["doi"].lower()] = data
        return data

    def add_europepmc(self, **fields) -> dict:
        record = {"id": str(fields.get("pmid", "")), "source": "MED", "isOpenAccess": "N",
                  "inEPMC": "N", "inPMC": "N", "hasPDF": "N", **fields}
        self.europepmc.append(record)
        return record

    def fail(self, service: str, *faults: Fault) -> None:
        self.faults[service].extend(faults)

    def calls(self, service: str) -> list[dict]:
        return [params for name, params in self.requests if name == service]

    def answer_unpaywall(self, request: Request) -> Response:
        doi = unquote(request.path[len("/unpaywall/"):]).lower()
        self.requests.append(("unpaywall", {"doi": doi, **request.args.to_dict()}))
        time.sleep(self.delay)
        if self.faults["unpaywall"]:
            fault = self.faults["unpaywall"].pop(0)
            return Response(fault.body, status=fault.status, headers=fault.headers,
                            content_type=fault.content_type)
        if doi not in self.unpaywall:
            body = {"HTTP_status_code": 404, "error": True,
                    "message": f"'{doi}' is an invalid doi.  See http://doi.org/{doi}"}
            return Response(json.dumps(body), status=404, content_type="application/json")
        return Response(json.dumps(self.unpaywall[doi]), content_type="application/json")

    def answer_europepmc(self, request: Request) -> Response:
        params = request.args.to_dict()
        self.requests.append(("europepmc", params))
        if self.faults["europepmc"]:
            fault = self.faults["europepmc"].pop(0)
            return Response(fault.body, status=fault.status, headers=fault.headers,
                            content_type=fault.content_type)
        query = params["query"]
        pmids = set(re.findall(r"EXT_ID:(\d+)", query))
        dois = {d.lower() for d in re.findall(r'DOI:"([^"]+)"', query)}
        hits = [r for r in self.europepmc
                if str(r.get("pmid")) in pmids or (r.get("doi") or "").lower() in dois]
        size = self.page_size or int(params.get("pageSize", 25))
        cursor = params.get("cursorMark", "*")
        start = 0 if cursor == "*" else int(cursor.split("-")[1])
        page = hits[start:start + size]
        body = {"version": "6.9", "hitCount": len(hits),
                "request": {"queryString": query, "resultType": params.get("resultType"),
                            "cursorMark": cursor, "pageSize": size, "sort": "",
                            "synonym": False},
                "resultList": {"result": page}}
        if start + size < len(hits):
            # Europe PMC leaves nextCursorMark out on the last page (and on no hits).
            body["nextCursorMark"] = f"AoE-{start + size}"
        return Response(json.dumps(body), content_type="application/json;charset=UTF-8")
