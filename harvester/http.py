"""The one polite HTTP client: timeouts, per-host rate limits, bounded retries, redaction."""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from typing import Callable, Iterator
from urllib.parse import quote, urlsplit

import requests

from harvester import __version__
from harvester.errors import SourceError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
MAX_BACKOFF = 60.0
# A Retry-After longer than this is not waited out: the run would look hung to cron.
MAX_RETRY_AFTER = 300.0
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
# Requests reach a server a few ms earlier or later than they leave (thread scheduling,
# connections). Spaced at exactly 1/rate, 4 requests at 3/s arrived within 0.988 s at a server
# that allows 3 in any second, and drew 429s (bench/harvest_run.py); 3% wider spacing (30 ms a
# second) absorbs that, for 3% of the rate.
RATE_SLACK = 0.03
SECRET_PARAM_RE = re.compile(r"((?:api_key|email|mailto)=)[^&\s'\"]+", re.IGNORECASE)


class RetryableError(SourceError):
    """A response that may be right next time (HTML page, truncated body, backend error in a 200)."""


class TooLarge(SourceError):
    """A response body over the size cap: refused, not retried."""


class DeadlineReached(SourceError):
    """The run's --deadline has passed: no more requests."""


class RateLimiter:
    """At most `rate` requests a second, across threads: callers go one at a time, each at
    least 1/rate after the previous one actually went.

    The next slot counts from when the sleeper woke, not from when it meant to: a thread that
    wakes 20 ms late (another thread held the GIL) must not bring its successor 20 ms early.
    Slots counted from the schedule drew 429s from a server that allows no more than 3
    requests in any second (bench/harvest_run.py: 10 refusals in 130 requests).
    """

    def __init__(self, rate: float):
        self.interval = (1.0 + RATE_SLACK) / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:  # held while sleeping: the callers queue here
            delay = self._next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next = time.monotonic() + self.interval


class HttpClient:
    """requests.Session with the project's policy. One per run; limits are per host."""

    def __init__(self, *, contact: str | None, secrets: list[str] = (), timeout: float = 60.0,
                 retries: int = 5, backoff: float = 1.0, rates: dict[str, float] | None = None,
                 deadline: float | None = None, max_bytes: int = 256 * 2**20):
        self.session = requests.Session()
        agent = f"harvester/{__version__} (literature harvester"
        agent += f"; mailto:{contact})" if contact else ")"
        self.session.headers["User-Agent"] = agent
        self.timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        self.retries = retries
        self.backoff = backoff
        self.secrets = [s for s in secrets if s]
        self._limiters = {host: RateLimiter(rate) for host, rate in (rates or {}).items()}
        self.requests_made = 0
        self.deadline = deadline  # time.monotonic() after which no request starts
        self.max_bytes = max_bytes  # larger bodies are refused (a broken or hostile server)

    def close(self) -> None:
        self.session.close()

    def redact(self, text: str) -> str:
        text = SECRET_PARAM_RE.sub(r"\1***", text)
        for secret in self.secrets:
            for form in {secret, quote(secret, safe=""), quote(secret)}:
                text = text.replace(form, "***")
        return text

    def call(self, method: str, url: str, handle, *, params=None, data=None, headers=None,
             stream=False, what: str | None = None, accept: tuple[int, ...] = ()):
        """Send a request and pass the response to `handle`, retrying both together.

        `handle(response)` turns a response into a result; it raises RetryableError when the body
        is not what was asked for (so a truncated stream is fetched again). Other 4xx statuses
        raise SourceError unless listed in `accept` (then `handle` sees them). HTTP 408/429/5xx and
        connection errors are retried with exponential backoff and jitter, honouring Retry-After.
        """
        what = what or f"{method} {_without_query(url)}"
        limiter = self._limiters.get(urlsplit(url).netloc)
        attempt = 0
        while True:
            attempt += 1
            if limiter:
                limiter.wait()
            timeout = self._timeout(what)
            delay = None
            try:
                self.requests_made += 1
                with self.session.request(method, url, params=params, data=data,
                                          headers=headers, stream=stream,
                                          timeout=timeout) as response:
                    if response.status_code in RETRY_STATUSES:
                        problem = f"HTTP {response.status_code}"
                        delay = _retry_after(response.headers.get("Retry-After"))
                    elif response.status_code >= 400 and response.status_code not in accept:
                        raise SourceError(self.redact(
                            f"{what}: HTTP {response.status_code} {_snippet(response)}".rstrip()))
                    else:
                        return handle(response)
            except TooLarge as e:
                raise SourceError(f"{what}: {e}") from None
            except RetryableError as e:
                problem = str(e)
            except requests.exceptions.Timeout:
                problem = "timed out"
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as e:
                problem = _connection_problem(e, url)
            except requests.exceptions.RequestException as e:
                raise SourceError(self.redact(f"{what}: {e}")) from None
            problem = self.redact(problem)
            if attempt > self.retries:
                tries = f"{attempt} attempt" + ("s" if attempt != 1 else "")
                raise SourceError(f"{what}: {problem} (gave up after {tries})")
            if delay is not None and delay > MAX_RETRY_AFTER:
                raise SourceError(f"{what}: {problem}; server asks to wait {delay:.0f} s")
            wait = self._backoff(attempt) if delay is None else delay
            if self.deadline is not None and time.monotonic() + wait >= self.deadline:
                raise DeadlineReached(f"{what}: {problem}; the run's deadline comes before "
                                      "another try")
            log.warning("%s: %s; retry %d/%d in %.1f s", what, problem, attempt, self.retries, wait)
            time.sleep(wait)

    def iter_body(self, response: requests.Response, chunk: int = 64 * 1024):
        """The body in chunks, stopping with TooLarge past max_bytes."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"response of {int(declared):,} bytes is over the "
                           f"{self.max_bytes:,}-byte cap")
        seen = 0
        for piece in response.iter_content(chunk):
            seen += len(piece)
            if seen > self.max_bytes:
                raise TooLarge(f"response is over the {self.max_bytes:,}-byte cap")
            yield piece

    def body(self, response: requests.Response) -> bytes:
        return b"".join(self.iter_body(response))

    def _timeout(self, what: str) -> tuple[float, float]:
        """The usual timeouts, cut short so that no request outlives the deadline."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached(f"{what}: not sent, the run's deadline has passed")
        return (min(self.timeout[0], left), min(self.timeout[1], left))

    def _backoff(self, attempt: int) -> float:
        ceiling = min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def cursor_pages(fetch_page: Callable[[str, int], tuple[list, str | None]],
                 first: str = "*") -> Iterator[list]:
    """Deep paging by cursor (Crossref's `cursor`, Europe PMC's `cursorMark`):
    fetch_page(cursor, page number) -> (items, next cursor). Yields each page's items until a
    page is empty, has no next cursor, or repeats a cursor (the last page may point to itself).
    """
    cursor, seen, number = first, set(), 0
    while True:
        number += 1
        items, next_cursor = fetch_page(cursor, number)
        if items:
            yield items
        seen.add(cursor)
        if not items or not next_cursor or next_cursor in seen:
            return
        cursor = next_cursor


def _connection_problem(error: Exception, url: str) -> str:
    """Say which connection failure it was, without requests' URL-and-all message."""
    text = repr(error)
    host = urlsplit(url).hostname
    if "NameResolutionError" in text or "Name or service not known" in text \
            or "Temporary failure in name resolution" in text:
        return f"cannot resolve host {host} (no network or DNS?)"
    if "Connection refused" in text:
        return f"connection refused by {host}"
    if "IncompleteRead" in text or isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the response was cut off"
    return f"connection failed ({type(error).__name__})"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _snippet(response: requests.Response) -> str:
    try:  # the first KiB only: an error page can be as large as anything else
        text = next(response.iter_content(1024), b"").decode("utf-8", "replace")
    except Exception:  # an unreadable error body is not worth a second error
        return ""
    return " ".join(text.split())[:120]


def host_of(url: str) -> str:
    return urlsplit(url).netloc
