"""Load and validate saved queries (queries/*.toml) into frozen dataclasses."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from croniter import croniter

from harvester.errors import ConfigError

SOURCES = ("pubmed", "crossref", "feed")
SCHEDULES = {"hourly": dt.timedelta(hours=1), "daily": dt.timedelta(days=1),
             "weekly": dt.timedelta(weeks=1)}
COMMON_KEYS = ("name", "source", "start", "schedule", "enabled", "description")
# The keys each source understands, on top of the common ones.
SOURCE_KEYS = {"pubmed": ("term",), "crossref": ("issn",), "feed": ("urls", "keywords")}
ISSN_RE = re.compile(r"^\d{4}-\d{3}[\dX]$")
DEFAULT_LOOKBACK = dt.timedelta(days=30)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Query:
    name: str
    source: str
    path: Path
    term: str = ""  # pubmed
    issns: tuple[str, ...] = ()  # crossref: the journal's ISSNs, tried in turn
    urls: tuple[str, ...] = ()  # feed
    keywords: tuple[str, ...] = ()  # feed: only entries mentioning one (none: every entry)
    start: dt.date | None = None
    schedule: str = "daily"
    enabled: bool = True
    description: str = ""

    def first_date(self, today: dt.date) -> dt.date:
        return self.start or today - DEFAULT_LOOKBACK

    def is_due(self, last_success: dt.datetime | None, now: dt.datetime) -> bool:
        """Due when it never succeeded, or its schedule has fired since the last success.

        A cron expression is read in the machine's local time, as cron itself reads it
        ("0 6 * * 1-5" is 06:00 where the machine is); both times are aware, so comparing them
        is exact across time zones and daylight-saving changes."""
        if last_success is None:
            return True
        interval = SCHEDULES.get(self.schedule)
        if interval is not None:
            # A little slack so that a daily cron job at the same minute is never one second early.
            return now - last_success >= interval - dt.timedelta(minutes=5)
        return croniter(self.schedule, last_success.astimezone()).get_next(dt.datetime) <= now


@dataclass(frozen=True)
class QueryProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def load_queries(folder: Path) -> tuple[list[Query], list[QueryProblem]]:
    """Every *.toml in `folder`, sorted by file name: the valid queries and one problem per bad file."""
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: saved-query folder not found; create it or point HARVEST_QUERIES (--queries) at it"
        )
    queries: list[Query] = []
    problems: list[QueryProblem] = []
    by_name: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            query = load_query(path)
        except ConfigError as e:
            problems.append(QueryProblem(path, str(e)))
            continue
        if query.name in by_name:
            problems.append(QueryProblem(
                path, f"name {query.name!r} is already used by {by_name[query.name]}; "
                      "give one of them another name"))
            continue
        by_name[query.name] = path
        queries.append(query)
    return queries, problems


def load_query(path: Path) -> Query:
    """Parse one saved-query file; ConfigError names the key and the fix (not the path)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML: {e}; fix the syntax") from None
    source = data.get("source", "pubmed")
    if source not in SOURCES:
        raise ConfigError(f"source {source!r} is not supported; use one of: {', '.join(SOURCES)}")
    keys = COMMON_KEYS + SOURCE_KEYS[source]
    unknown = [k for k in data if k not in keys]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} for source {source!r}; allowed keys: "
                          f"{', '.join(keys)}")

    name = data.get("name", path.stem)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(
            f"name {name!r} is not a valid query name; use letters, digits, '-', '_' or '.'")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"enabled = {enabled!r} is not true or false")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ConfigError("key 'description' must be a string")
    common = dict(name=name, source=source, path=path, start=_start(data.get("start")),
                  schedule=_schedule(data.get("schedule", "daily")), enabled=enabled,
                  description=description)
    if source == "crossref":
        return Query(**common, issns=_issns(data.get("issn")))
    if source == "feed":
        return Query(**common, urls=_urls(data.get("urls")),
                     keywords=_strings(data.get("keywords", []), "keywords", required=False))
    term = data.get("term")
    if term is None:
        raise ConfigError("missing key 'term'; add the PubMed search term, e.g. term = 'ERBB2[tiab]'")
    if not isinstance(term, str) or not term.strip():
        raise ConfigError("key 'term' is empty; give a PubMed search term")
    return Query(**common, term=term.strip())


def _strings(value: object, key: str, *, required: bool = True) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"key {key!r} must be a list of non-empty strings, e.g. {key} = [\"...\"]")
    if required and not value:
        raise ConfigError(f"key {key!r} is empty; give at least one")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _issns(value: object) -> tuple[str, ...]:
    if value is None:
        raise ConfigError("missing key 'issn'; add the journal's ISSNs, e.g. "
                          "issn = [\"1535-6108\", \"1878-3686\"]")
    issns = tuple(v.upper() for v in _strings(value, "issn"))
    for issn in issns:
        if not ISSN_RE.match(issn):
            raise ConfigError(f"issn {issn!r} is not an ISSN; write it as 1535-6108")
    return issns


def _urls(value: object) -> tuple[str, ...]:
    if value is None:
        raise ConfigError("missing key 'urls'; add the feed addresses, e.g. "
                          "urls = [\"https://example.org/feed.rss\"]")
    urls = _strings(value, "urls")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"urls: {url!r} is not an http(s) address; feeds are fetched over "
                              "http or https only")
    return urls


def _start(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise ConfigError(f"start = {value} has a time; give a date like 2025-01-01")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"start = {value!r} is not a date; write it as 2025-01-01 (no quotes)")


def _schedule(value: object) -> str:
    if isinstance(value, str):
        value = value.strip()
        if value in SCHEDULES:
            return value
        if len(value.split()) == 5 and croniter.is_valid(value):
            return value
    raise ConfigError(
        f"schedule = {value!r} is not valid; use hourly, daily, weekly or a 5-field cron "
        "expression like '0 6 * * 1-5'")
