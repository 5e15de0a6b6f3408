"""Every test runs in its own folder with its own database, queries and a loopback E-utilities."""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harvester import cli
from tests.fake_crossref import FakeCrossref, FakeFeeds
from tests.fake_eutils import FakePubmed
from tests.fake_oa import FakeOa

EMAIL = "editor@newsletter.org"


@dataclass
class Result:
    exit_code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    """A clean folder and environment: nothing from the developer's shell leaks in."""
    for var in ("HARVEST_DB", "HARVEST_QUERIES", "HARVEST_EMAIL", "NCBI_API_KEY",
                "HARVEST_EUTILS_URL", "HARVEST_CONFIG", "HARVEST_EUTILS_RATE", "HARVEST_TIMEOUT",
                "HARVEST_RETRIES", "HARVEST_BACKOFF", "HARVEST_UNPAYWALL_URL",
                "HARVEST_EUROPEPMC_URL", "HARVEST_OA_LIMIT", "HARVEST_MAX_RESPONSE_MB",
                "HARVEST_LOG", "HARVEST_CROSSREF_URL"):
        monkeypatch.delenv(var, raising=False)
    # Nothing may reach the internet: a service a test did not set up is a closed local port.
    for var in ("HARVEST_EUTILS_URL", "HARVEST_UNPAYWALL_URL", "HARVEST_EUROPEPMC_URL",
                "HARVEST_CROSSREF_URL"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "queries").mkdir()
    return tmp_path


@pytest.fixture
def fake(httpserver, monkeypatch) -> FakePubmed:
    """A loopback E-utilities the harvester is pointed at, with test-sized timeouts and backoff."""
    server = FakePubmed().install(httpserver)
    monkeypatch.setenv("HARVEST_EUTILS_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("HARVEST_EMAIL", EMAIL)
    # NCBI's 3 requests/s would make the suite slow; the limiter itself is tested separately.
    monkeypatch.setenv("HARVEST_EUTILS_RATE", "1000")
    monkeypatch.setenv("HARVEST_BACKOFF", "0.01")
    monkeypatch.setenv("HARVEST_RETRIES", "3")
    monkeypatch.setenv("HARVEST_TIMEOUT", "5")
    return server


@pytest.fixture
def oa(httpserver, monkeypatch) -> FakeOa:
    """Loopback Unpaywall and Europe PMC."""
    server = FakeOa().install(httpserver)
    monkeypatch.setenv("HARVEST_UNPAYWALL_URL", httpserver.url_for("/unpaywall"))
    monkeypatch.setenv("HARVEST_EUROPEPMC_URL", httpserver.url_for("/europepmc"))
    return server


@pytest.fixture
def crossref(httpserver, monkeypatch) -> FakeCrossref:
    """Loopback Crossref keying the journal by its print ISSN only, as Crossref does for some."""
    server = FakeCrossref().install(httpserver)
    monkeypatch.setenv("HARVEST_CROSSREF_URL", httpserver.url_for("/crossref"))
    return server


@pytest.fixture
def feeds(httpserver) -> FakeFeeds:
    return FakeFeeds().install(httpserver)


@pytest.fixture
def harvest(capsys, monkeypatch):
    """Run the `harvest` command in-process through its real entry point."""
    def invoke(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["harvest", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        captured = capsys.readouterr()
        return Result(exit_info.value.code, captured.out, captured.err)
    return invoke


def write_query(folder: Path, name: str, **keys) -> Path:
    """A saved-query file; values are written as TOML literals."""
    if keys.get("source", "pubmed") == "pubmed":
        keys.setdefault("term", f"{name}[tiab]")
    lines = []
    for key, value in keys.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, (list, tuple)) or isinstance(value, str) and key != "start":
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        else:
            lines.append(f"{key} = {value}")
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(db_path: Path, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
