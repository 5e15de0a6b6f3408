"""Loopback services for the benches: E-utilities, Unpaywall, Europe PMC, Crossref and feeds,
each on its own port.

The answers come from the test fakes (tests/fake_eutils.py, tests/fake_oa.py,
tests/fake_crossref.py); this module adds
what a bench measures against: a fixed latency before every answer, a rate limit per service
enforced the strict way (more than `rate` requests arriving within any one second get HTTP 429
with Retry-After: 1, and count against the window too, as NCBI counts them), and counters of the
requests each service received, by kind.

Each service has its own port because harvester's rate limits are per host:port, as they are
per host on the internet.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug import Request, Response
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py`: the test fakes live in tests/
    sys.path.insert(0, str(ROOT))

from tests.fake_crossref import FakeCrossref, FakeFeeds  # noqa: E402
from tests.fake_eutils import FakePubmed  # noqa: E402
from tests.fake_oa import FakeOa  # noqa: E402

# The limits harvester's client keeps to (harvester/config.py); E-utilities' is NCBI's own.
EUTILS_RATE = 3.0
UNPAYWALL_RATE = 20.0
EUROPEPMC_RATE = 10.0
CROSSREF_RATE = 3.0


@dataclass
class Counts:
    requests: collections.Counter = field(default_factory=collections.Counter)  # kind -> n
    refused: int = 0  # 429s sent

    @property
    def total(self) -> int:
        return sum(self.requests.values())


class Service:
    """A WSGI app: route by path, wait `latency`, refuse what is over `rate`, count."""

    def __init__(self, name: str, routes, *, latency: float, rate: float | None):
        self.name = name
        self.routes = routes  # [(path predicate, kind, handler(Request) -> Response)]
        self.latency = latency
        self.rate = rate
        self.counts = Counts()
        self._arrivals: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._server = None

    def __call__(self, environ, start_response):
        arrived = time.monotonic()
        request = Request(environ)
        kind, handler = next(((k, h) for match, k, h in self.routes if match(request.path)),
                             ("unknown", None))
        with self._lock:
            self.counts.requests[kind] += 1
            while self._arrivals and arrived - self._arrivals[0] >= 1.0:
                self._arrivals.popleft()
            over = self.rate is not None and len(self._arrivals) >= self.rate
            self._arrivals.append(arrived)
            if over:
                self.counts.refused += 1
        time.sleep(self.latency)
        if over:
            response = Response("Too Many Requests", status=429, headers={"Retry-After": "1"})
        elif handler is None:
            response = Response("not found", status=404)
        else:
            response = handler(request)
        return response(environ, start_response)

    def start(self) -> str:
        """Serve on a free loopback port; returns the base URL."""
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.counts = Counts()
            self._arrivals.clear()


class Loopback:
    """The services over the test fakes; env() points harvester at them."""

    def __init__(self, *, latency: float = 0.1, eutils_rate: float | None = EUTILS_RATE,
                 unpaywall_rate: float | None = UNPAYWALL_RATE,
                 europepmc_rate: float | None = EUROPEPMC_RATE,
                 crossref_rate: float | None = CROSSREF_RATE):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.pubmed = FakePubmed()
        self.oa = FakeOa()
        self.crossref = FakeCrossref()
        self.feeds = FakeFeeds()
        self.eutils = Service("E-utilities", [
            (lambda p: p.endswith("/esearch.fcgi"), "esearch", self.pubmed.esearch),
            (lambda p: p.endswith("/efetch.fcgi"), "efetch", self.pubmed.efetch),
        ], latency=latency, rate=eutils_rate)
        self.unpaywall = Service("Unpaywall", [
            (lambda p: p.startswith("/unpaywall/"), "lookup", self.oa.answer_unpaywall),
        ], latency=latency, rate=unpaywall_rate)
        self.europepmc = Service("Europe PMC", [
            (lambda p: p == "/europepmc/search", "search", self.oa.answer_europepmc),
            (lambda p: p.endswith("/fullTextXML"), "fulltext", self.oa.answer_full_text),
        ], latency=latency, rate=europepmc_rate)
        self.crossref_service = Service("Crossref", [
            (lambda p: p.startswith("/crossref/works/"), "work", self.crossref.answer_work),
            (lambda p: p.startswith("/crossref/journals/"), "journal_works",
             self.crossref.answer_journal_works),
        ], latency=latency, rate=crossref_rate)
        self.feed_service = Service("Feeds", [
            (lambda p: p.startswith("/feeds/"), "feed", self.feeds.answer),
        ], latency=latency, rate=None)
        self.services = (self.eutils, self.unpaywall, self.europepmc, self.crossref_service,
                         self.feed_service)
        self.urls: dict[str, str] = {}

    def __enter__(self) -> "Loopback":
        self.urls = {s.name: s.start() for s in self.services}
        self.feeds.base = self.urls["Feeds"] + "/feeds"
        return self

    def __exit__(self, *exc) -> None:
        for service in self.services:
            service.stop()

    def env(self) -> dict[str, str]:
        return {"HARVEST_EUTILS_URL": self.urls["E-utilities"],
                "HARVEST_UNPAYWALL_URL": self.urls["Unpaywall"] + "/unpaywall",
                "HARVEST_EUROPEPMC_URL": self.urls["Europe PMC"] + "/europepmc",
                "HARVEST_CROSSREF_URL": self.urls["Crossref"] + "/crossref"}

    def reset(self) -> None:
        for service in self.services:
            service.reset()
        self.pubmed.requests.clear()
        self.oa.requests.clear()
        self.crossref.requests.clear()
        self.feeds.requests.clear()

    def refused(self) -> int:
        return sum(s.counts.refused for s in self.services)
