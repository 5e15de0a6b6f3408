"""The polite client: rate limit, Retry-After, redaction (with a fake clock, never wall time)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from harvester import http
from tests.conftest import write_query
from tests.fake_eutils import Fault


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(http.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(http.time, "sleep", fake.sleep)
    return fake


def test_rate_limiter_spaces_requests(clock):
    limiter = http.RateLimiter(3.0)
    for _ in range(4):
        limiter.wait()
    # The first goes at once, each next one a third of a second (and the slack) after the
    # previous.
    assert clock.sleeps == [0.343333, 0.343333, 0.343333]
    clock.now += 5  # idle time is not banked: no burst after a pause
    limiter.wait()
    limiter.wait()
    assert clock.sleeps[3:] == [0.343333]


def test_rate_limiter_counts_from_a_late_wake(clock, monkeypatch):
    limiter = http.RateLimiter(3.0)
    limiter.wait()

    def late_sleep(seconds):  # the sleeper wakes 50 ms after its slot
        clock.sleep(seconds)
        clock.now += 0.05
    monkeypatch.setattr(http.time, "sleep", late_sleep)
    limiter.wait()
    monkeypatch.setattr(http.time, "sleep", clock.sleep)
    limiter.wait()
    # The third waits a full interval after the second actually went, not 50 ms less.
    assert clock.sleeps == [0.343333, 0.343333]


def test_retry_after_is_honoured_and_bounded(clock, httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data("slow down", status=429,
                                                              headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/x").respond_with_data("ok")
    client = http.HttpClient(contact="a@b.org", retries=2, backoff=0.5)
    assert client.call("GET", httpserver.url_for("/x"), lambda r: r.text) == "ok"
    assert clock.sleeps == [7.0]

    httpserver.clear()
    httpserver.expect_request("/y").respond_with_data("", status=503,
                                                      headers={"Retry-After": "3600"})
    with pytest.raises(http.SourceError) as error:
        client.call("GET", httpserver.url_for("/y"), lambda r: r.text)
    assert str(error.value) == f"GET {httpserver.url_for('/y')}: HTTP 503; server asks to wait 3600 s"


def test_backoff_grows_and_is_capped(clock, httpserver):
    httpserver.expect_request("/z").respond_with_data("", status=500)
    client = http.HttpClient(contact=None, retries=9, backoff=1.0)
    with pytest.raises(http.SourceError) as error:
        client.call("GET", httpserver.url_for("/z"), lambda r: r.text)
    assert str(error.value).endswith("HTTP 500 (gave up after 10 attempts)")
    ceilings = [min(60.0, 2 ** i) for i in range(9)]
    assert len(clock.sleeps) == 9
    assert all(c / 2 <= s <= c for s, c in zip(clock.sleeps, ceilings))


def test_redaction():
    client = http.HttpClient(contact="editor@newsletter.org",
                             secrets=["s3cr3t-key", "editor@newsletter.org"])
    text = ("POST https://h/efetch.fcgi?api_key=s3cr3t-key&email=editor%40newsletter.org&id=1 "
            "failed for editor@newsletter.org with key s3cr3t-key")
    assert client.redact(text) == ("POST https://h/efetch.fcgi?api_key=***&email=***&id=1 failed "
                                   "for *** with key ***")


def test_the_api_key_and_email_never_reach_output_or_database(workdir, fake, harvest,
                                                              monkeypatch):
    key = "0123456789abcdef0123456789abcdef0123"
    monkeypatch.setenv("NCBI_API_KEY", key)
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    # A server that echoes the request back in its error page, as proxies do.
    fake.fail("esearch", *[Fault(400, f"Bad request: api_key={key}&email=editor@newsletter.org",
                                 {}, "text/plain")])

    result = harvest("run", "--no-enrich", "-v", "--log-file", "harvest.log")

    assert result.exit_code == 1
    assert "api_key=***" in result.out
    everything = result.out + result.err + Path("data/harvest.db").read_bytes().decode("latin-1")
    everything += Path("harvest.log").read_text()
    assert "api_key=***" in Path("harvest.log").read_text()
    conn = sqlite3.connect("data/harvest.db")
    everything += repr(conn.execute("SELECT * FROM runs").fetchall())
    everything += repr(conn.execute("SELECT * FROM run_queries").fetchall())
    everything += repr(conn.execute("SELECT * FROM query_state").fetchall())
    conn.close()
    assert key not in everything
    assert "editor@newsletter.org" not in everything


@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1:9/x", "GET http://127.0.0.1:9/x: connection refused by 127.0.0.1 "
                             "(gave up after 1 attempt)"),
    ("http://no-such-host.invalid/x", "GET http://no-such-host.invalid/x: cannot resolve host "
                                      "no-such-host.invalid (no network or DNS?) (gave up after 1 "
                                      "attempt)"),
])
def test_connection_failures_are_named(url, message, monkeypatch):
    import socket
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # no DNS query leaves the machine
        if host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client = http.HttpClient(contact=None, retries=0)
    with pytest.raises(http.SourceError) as error:
        client.call("GET", url, lambda r: r.text)
    assert str(error.value) == message


def test_connection_reset_is_retried_then_named(clock):
    """A server that accepts, reads the request and resets the connection (RST)."""
    import socket
    import struct
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted = []

    def serve():
        for _ in range(3):
            conn, _ = listener.accept()
            accepted.append(conn.recv(4096))
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = http.HttpClient(contact=None, retries=2, backoff=0.01)
    with pytest.raises(http.SourceError) as error:
        client.call("GET", f"http://127.0.0.1:{port}/x", lambda r: r.text)
    thread.join(timeout=5)
    listener.close()
    assert str(error.value) == (f"GET http://127.0.0.1:{port}/x: connection failed "
                                "(ConnectionError) (gave up after 3 attempts)")
    assert len(accepted) == 3 and all(r.startswith(b"GET /x HTTP/1.1") for r in accepted)


def test_a_server_that_never_answers_times_out_instead_of_hanging(workdir, fake, harvest,
                                                                    monkeypatch):
    monkeypatch.setenv("HARVEST_TIMEOUT", "0.3")
    monkeypatch.setenv("HARVEST_RETRIES", "1")
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.delay = 1.0

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    today = dt.datetime.now(dt.timezone.utc).date()
    assert result.out == (f"her2: failed, 0 found, 0 new: esearch edat "
                          f"2025-01-01..{today}: timed out (gave up after 2 attempts)\n")
