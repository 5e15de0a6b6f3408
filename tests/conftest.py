"""Every test runs in its own folder with its own database, queries and a loopback E-utilities."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
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
                "HARVEST_EUROPEPMC_URL", "HARVEST_OA_LIMIT", "HARVEST_ENRICH_LIMIT", "HARVEST_MAX_RESPONSE_MB",
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


@pytest.fixture
def editorial(workdir, fake, oa, harvest, tmp_path_factory) -> Path:
    """A database built by real runs against the loopback services, for the digest, export,
    search and views: two saved queries; articles with OA and COI checked, and two stored by
    a later `run --no-enrich` that have neither yet. Built once per session and copied (the
    loopback services are set up every time, for tests that run again)."""
    pubmed = Path(__file__).parent / "fixtures" / "pubmed"
    write_query(workdir / "queries", "her2", start="2025-01-01")
    write_query(workdir / "queries", "trials", start="2025-01-01")
    fake.add_file(pubmed / "structured_markup.xml", terms={"her2[tiab]"})
    fake.add_file(pubmed / "cell_press_two.xml", terms={"her2[tiab]", "trials[tiab]"})
    fake.add_file(pubmed / "collective.xml", terms={"trials[tiab]"})
    fake.add_file(pubmed / "dates_odd.xml", terms={"trials[tiab]"})
    oa.add_unpaywall("bronze_cellpress_2025.json")                     # 41066351
    oa.add_unpaywall("closed_2025.json", doi="10.1016/j.ccell.2025.10.007")  # 41212658
    oa.add_europepmc(pmid="41004127", doi="10.3389/fonc.2024.1498127", pmcid="PMC11760142",
                     isOpenAccess="Y", inEPMC="Y", inPMC="Y", license="cc by")
    path = workdir / "data" / "harvest.db"
    built = tmp_path_factory.getbasetemp() / "editorial.db"
    if built.exists():
        path.parent.mkdir()
        _copy_database(built, path)
        _add_unchecked(fake)
        return path
    result = harvest("run")
    assert result.exit_code == 0, result.err
    _add_unchecked(fake)
    result = harvest("run", "--all", "--no-enrich")
    assert result.exit_code == 0, result.err
    _copy_database(path, built)
    return path


def _add_unchecked(fake) -> None:
    """Two articles the second run stores without OA or COI lookups."""
    today = dt.datetime.now(dt.timezone.utc).date()
    fake.add_synthetic(41000001, today, terms={"her2[tiab]"},
                       title="Trastuzumab deruxtecan &amp; HER2-low <i>ERBB2</i> tumours")
    fake.add_synthetic(41000002, today, terms={"her2[tiab]"})


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy, WAL included."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture
def chromium():
    """The path of a Chromium on PATH for playwright, which never downloads its own browser
    here. .ci/run installs Debian's chromium and sets HARVEST_REQUIRE_BROWSER: then a missing
    one fails the test instead of skipping it."""
    pytest.importorskip("playwright.sync_api")
    for name in ("chromium", "chromium-browser", "google-chrome", "chromium-headless-shell"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("HARVEST_REQUIRE_BROWSER"):
        pytest.fail("HARVEST_REQUIRE_BROWSER is set but no Chromium is on PATH")
    pytest.skip("no Chromium on PATH (apt-get install chromium); playwright's own browser "
                "download is not used")


@contextlib.contextmanager
def browser_page(path: Path, chromium: str):
    """The page at `path` rendered by headless Chromium (the chromium fixture's)."""
    from playwright import sync_api
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            yield page
        finally:
            browser.close()
