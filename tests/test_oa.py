"""Open-access status: Unpaywall (2020 and 2025 shapes) and Europe PMC over loopback, the
history of changes, the re-check schedule with a frozen clock, and the per-run bound."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from harvester import db
from harvester.config import load_settings
from harvester.enrich import oa as oa_module
from harvester.enrich.oa import (EuropePmcRecord, OaResult, combine, enrich_oa, next_check,
                                 parse_unpaywall, published_date)
from harvester.http import HttpClient
from tests.conftest import rows, write_query
from tests.fake_eutils import FIXTURES, Fault

DB = "data/harvest.db"
UNPAYWALL = FIXTURES / "unpaywall"
UTC = dt.timezone.utc


def load(name: str) -> dict:
    return json.loads((UNPAYWALL / name).read_text())


# --- pure ----------------------------------------------------------------------------------

def test_unpaywall_2025_closed_record_has_no_best_location_key():
    data = load("closed_2025.json")
    assert "best_oa_location" not in data
    assert data["journal_is_oa"] is False
    assert parse_unpaywall(data) == OaResult("closed", 0, journal_is_oa=0)


def test_unpaywall_2020_closed_record_has_null_best_location():
    data = load("closed_2020.json")
    assert data["best_oa_location"] is None
    assert parse_unpaywall(data) == OaResult("closed", 0, journal_is_oa=0)


def test_unpaywall_gold_2020():
    pdf = "https://www.mdpi.com/2072-6694/17/6/987/pdf?version=1741951230"
    assert parse_unpaywall(load("gold_2020.json")) == OaResult(
        "gold", 1, url=pdf, pdf_url=pdf, license="cc-by", version="publishedVersion",
        host_type="publisher", journal_is_oa=1)


def test_unpaywall_bronze_2025_reads_through_openalex_placeholders():
    data = load("bronze_cellpress_2025.json")
    result = parse_unpaywall(data)
    assert (result.status, result.is_oa, result.license, result.host_type, result.pdf_url) == (
        "bronze", 1, "publisher-specific-oa", "publisher", None)
    assert result.url == "http://www.cell.com/article/S1535610825001124/fulltext"
    assert "n.a. in OpenAlex" not in json.dumps(result.__dict__)


def test_a_status_unpaywall_invented_later_is_kept_as_sent():
    assert parse_unpaywall(load("diamond_2025.json")).status == "diamond"


def test_combine():
    closed = OaResult("closed", 0, journal_is_oa=0)
    in_pmc = EuropePmcRecord(41, None, "PMC7", True, True, False, False, None)
    not_free = EuropePmcRecord(41, None, None, False, False, False, False, None)
    assert combine(closed, not_free) == closed
    assert combine(closed, in_pmc) == OaResult(
        "green", 1, url="https://europepmc.org/article/PMC/PMC7", host_type="repository",
        journal_is_oa=0, source="europepmc")
    assert combine(None, not_free) == OaResult("unknown", None, source="europepmc")
    assert combine(oa_module.UNKNOWN, None) == OaResult("unknown", None, source="unpaywall")


FIRST_SEEN = dt.datetime(2025, 3, 10, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("now, published, is_oa, expected", [
    (FIRST_SEEN, None, 0, FIRST_SEEN + dt.timedelta(days=1)),
    (FIRST_SEEN + dt.timedelta(days=2), None, 0, FIRST_SEEN + dt.timedelta(days=7)),
    (FIRST_SEEN + dt.timedelta(days=8), None, None, FIRST_SEEN + dt.timedelta(days=30)),
    (FIRST_SEEN + dt.timedelta(days=31), dt.date(2025, 3, 1), 0, FIRST_SEEN + dt.timedelta(days=90)),
    # After 90 days: just after the open-archive date (12 months after publication).
    (FIRST_SEEN + dt.timedelta(days=91), dt.date(2025, 3, 1), 0,
     dt.datetime(2026, 3, 2, tzinfo=UTC)),
    # Past all of those: yearly.
    (dt.datetime(2026, 6, 1, tzinfo=UTC), dt.date(2025, 3, 1), 0,
     dt.datetime(2027, 6, 1, tzinfo=UTC)),
    # Open: rarely.
    (FIRST_SEEN, None, 1, FIRST_SEEN + dt.timedelta(days=180)),
])
def test_recheck_schedule(now, published, is_oa, expected):
    assert next_check(OaResult("x", is_oa), FIRST_SEEN, published, now) == expected


def test_published_date():
    assert published_date("2025-04-14", "2025-06") == dt.date(2025, 4, 14)
    assert published_date(None, "2025-06") == dt.date(2025, 6, 1)
    assert published_date(None, "2024") == dt.date(2024, 1, 1)
    assert published_date(None, None) is None


# --- over loopback ---------------------------------------------------------------------------

PUBMED = FIXTURES / "pubmed"


@pytest.fixture
def stored(workdir, fake, oa, harvest):
    """Nine PubMed articles from the fixtures, harvested without OA lookups."""
    write_query(workdir / "queries", "all", start="2025-01-01")
    for name in ("structured_markup.xml", "cell_press_two.xml", "collective.xml",
                 "erratum.xml", "dates_odd.xml", "delete_citation.xml"):
        fake.add_file(PUBMED / name)
    assert harvest("run", "--no-enrich").exit_code == 0
    return oa


def test_every_article_gets_the_status_the_servers_hold(stored, harvest):
    for name in ("gold_2020.json", "bronze_cellpress_2025.json", "closed_2025.json",
                 "closed_2020.json", "green_2020.json", "hybrid_2025.json", "diamond_2025.json"):
        stored.add_unpaywall(name)
    # Unknown to Unpaywall but free in Europe PMC: green. The MedlineDate record (10.1188/...)
    # is known to neither: unknown.
    stored.add_europepmc(pmid="41004127", doi="10.3389/fonc.2024.1498127", pmcid="PMC11760142",
                         isOpenAccess="Y", inEPMC="Y", inPMC="Y", license="cc by")

    result = harvest("enrich", "oa")

    assert result.exit_code == 0, result.err
    assert result.out == "open access: 9 checked, 9 changed, 6 open\n"
    got = {r["doi"]: (r["oa_status"], r["is_oa"], r["oa_license"])
           for r in rows(DB, "SELECT doi, oa_status, is_oa, oa_license FROM articles")}
    # (oa_status, is_oa, best_oa_location.license) as each fixture file holds them.
    assert got == {
        "10.3390/cancers17060987": ("gold", 1, "cc-by"),                    # gold_2020
        "10.1016/j.ccell.2025.03.011": ("bronze", 1, "publisher-specific-oa"),  # bronze_cellpress
        "10.1016/j.ccell.2025.10.007": ("closed", 0, None),                 # closed_2025
        "10.1016/j.semcancer.2025.02.004": ("closed", 0, None),             # closed_2020
        "10.1200/jco-25-00412": ("green", 1, None),                         # green_2020
        "10.1158/0008-5472.can-25-3107": ("hybrid", 1, "cc-by-nc-nd"),      # hybrid_2025
        "10.31486/toj.24.0087": ("diamond", 1, "cc-by"),                    # diamond_2025
        "10.3389/fonc.2024.1498127": ("green", 1, "cc by"),                 # Europe PMC
        "10.1188/24.cjon.612-619": ("unknown", None, None),                 # known to neither
    }
    # One Europe PMC search for the nine articles; one Unpaywall call per DOI.
    assert len(stored.calls("europepmc")) == 1
    assert len(stored.calls("unpaywall")) == 9
    assert {c["email"] for c in stored.calls("unpaywall")} == {"editor@newsletter.org"}


def test_unknown_doi_is_looked_at_again_the_next_day(stored, harvest):
    assert harvest("enrich", "oa").exit_code == 0
    [row] = rows(DB, "SELECT o.oa_status, o.next_check_at, a.first_seen_at FROM oa_status o "
                     "JOIN article a ON a.id = o.article_id WHERE a.pmid = 41066351")
    first_seen = dt.datetime.fromisoformat(row["first_seen_at"].replace("Z", "+00:00"))
    assert row["oa_status"] == "unknown"
    assert row["next_check_at"] == db.now_iso(first_seen + dt.timedelta(days=1))
    # Nothing is due now: a second run asks nobody.
    before = len(stored.requests)
    assert harvest("enrich", "oa").out == ""
    assert len(stored.requests) == before


def test_a_refused_email_stops_oa_enrichment(stored, harvest):
    stored.fail("unpaywall", Fault(422, json.dumps({"HTTP_status_code": 422, "error": True,
                                                    "message": "Please use a real email"}),
                                   {}, "application/json"))
    result = harvest("enrich", "oa")
    assert result.exit_code == 2
    assert result.err == ("Error: Unpaywall refused the contact email (HTTP 422); set "
                          "HARVEST_EMAIL to a real address you read (placeholder domains such "
                          "as example.com are refused)\n")
    assert rows(DB, "SELECT count(*) AS n FROM oa_status") == [{"n": 0}]


def test_429_then_success(stored, harvest):
    stored.add_unpaywall("bronze_cellpress_2025.json")
    stored.fail("unpaywall", Fault(429, "", {"Retry-After": "0"}, "text/plain"))
    result = harvest("enrich", "oa")
    assert result.exit_code == 0
    assert rows(DB, "SELECT oa_status FROM articles WHERE pmid = 41066351") == [
        {"oa_status": "bronze"}]
    assert len(stored.calls("unpaywall")) == 10


def test_history_closed_then_bronze(stored, monkeypatch):
    stored.add_unpaywall("closed_2025.json", doi="10.1016/j.ccell.2025.03.011")
    settings = load_settings()
    conn = db.connect(Path(DB))
    http = HttpClient(contact="editor@newsletter.org", retries=1, backoff=0.01)
    start = dt.datetime.now(UTC)

    def enrich(now):
        return enrich_oa(conn, http, unpaywall_url=settings.unpaywall_url,
                         europepmc_url=settings.europepmc_url, email="editor@newsletter.org",
                         now=now)

    assert enrich(start).checked == 9
    # Same answer two days later: only the checked time moves.
    assert enrich(start + dt.timedelta(days=2)).changed == 0
    # The open archive opens: bronze from now on.
    stored.add_unpaywall("bronze_cellpress_2025.json")
    later = start + dt.timedelta(days=8)
    summary = enrich(later)
    assert summary.changed == 1
    history = rows(DB, "SELECT o.oa_status, o.oa_license, o.observed_at, o.source FROM "
                       "oa_observation o JOIN article a ON a.id = o.article_id "
                       "WHERE a.pmid = 41066351 ORDER BY o.id")
    assert [(h["oa_status"], h["oa_license"], h["source"]) for h in history] == [
        ("closed", None, "unpaywall"), ("bronze", "publisher-specific-oa", "unpaywall")]
    assert history[1]["observed_at"] == db.now_iso(later)
    [state] = rows(DB, "SELECT checks, changed_at, checked_at FROM oa_status o JOIN article a "
                       "ON a.id = o.article_id WHERE a.pmid = 41066351")
    assert state == {"checks": 3, "changed_at": db.now_iso(later), "checked_at": db.now_iso(later)}
    conn.close()


def test_each_run_checks_a_bounded_number_oldest_due_first(stored, harvest, monkeypatch):
    monkeypatch.setenv("HARVEST_OA_LIMIT", "4")
    assert harvest("enrich", "oa").out == "open access: 4 checked, 4 changed, 0 open\n"
    assert harvest("enrich", "oa", "--limit", "3").out == (
        "open access: 3 checked, 3 changed, 0 open\n")
    assert harvest("enrich", "oa").out == "open access: 2 checked, 2 changed, 0 open\n"
    assert rows(DB, "SELECT count(*) AS n FROM oa_status") == [{"n": 9}]


def test_europepmc_cursor_paging(stored, harvest):
    stored.page_size = 2
    for pmid in ("41066351", "41212658", "41028430", "41109874", "41187320"):
        stored.add_europepmc(pmid=pmid, inEPMC="Y", inPMC="Y", pmcid=f"PMC{pmid}")
    assert harvest("enrich", "oa").exit_code == 0
    cursors = [c["cursorMark"] for c in stored.calls("europepmc")]
    assert cursors == ["*", "AoE-2", "AoE-4"]
    assert rows(DB, "SELECT count(*) AS n FROM europepmc_record WHERE in_epmc = 1") == [{"n": 5}]
    assert rows(DB, "SELECT count(*) AS n FROM articles WHERE oa_status = 'green'") == [{"n": 5}]


@pytest.mark.parametrize("last_page", ["search_page2.json", "search_page2_last_no_cursor.json"])
def test_europepmc_pages_in_the_real_shape(httpserver, last_page):
    """Page 1 names a next cursor; the last page repeats it or leaves it out: both end paging."""
    folder = FIXTURES / "europepmc"
    httpserver.expect_ordered_request("/rest/search").respond_with_data(
        (folder / "search_page1.json").read_text(), content_type="application/json")
    httpserver.expect_ordered_request("/rest/search").respond_with_data(
        (folder / last_page).read_text(), content_type="application/json;charset=UTF-8")
    http = HttpClient(contact="editor@newsletter.org", retries=0)

    records = oa_module.fetch_europepmc(http, httpserver.url_for("/rest"),
                                        [41047712, 41212658, 41162947], [])

    assert records == [
        EuropePmcRecord(41047712, "10.3390/cancers17060987", "PMC11940217", True, True, True,
                        True, "cc by"),
        EuropePmcRecord(41212658, "10.1016/j.ccell.2025.10.007", None, False, False, False,
                        False, None),
        EuropePmcRecord(41162947, "10.1172/jci.insight.189342", "PMC12418862", True, True, False,
                        True, None),
    ]
    cursors = [r.args["cursorMark"] for r, _ in httpserver.log]
    assert cursors == ["*", json.loads((FIXTURES / "europepmc" / "search_page1.json")
                                       .read_text())["nextCursorMark"]]


def test_europepmc_no_results(httpserver):
    httpserver.expect_request("/rest/search").respond_with_data(
        (FIXTURES / "europepmc" / "search_no_results.json").read_text(),
        content_type="application/json")
    http = HttpClient(contact="editor@newsletter.org", retries=0)
    assert oa_module.fetch_europepmc(http, httpserver.url_for("/rest"), [41999990], []) == []
    assert len(httpserver.log) == 1


def test_an_article_without_doi_gets_its_status_from_europepmc_alone(workdir, fake, oa, harvest):
    write_query(workdir / "queries", "books", start="2025-01-01")
    fake.add_file(PUBMED / "book.xml")  # a GeneReviews-style chapter: PMID, no DOI
    assert harvest("run", "--no-enrich").exit_code == 0

    oa.fail("europepmc", Fault(503, "", {}, "text/plain"), *[Fault(503, "", {}, "text/plain")] * 3)
    failed = harvest("enrich", "oa")
    assert failed.exit_code == 1
    assert failed.out == "open access: 0 checked, 0 changed, 0 open, 1 errors\n"
    assert rows(DB, "SELECT count(*) AS n FROM oa_status") == [{"n": 0}]  # still due

    oa.add_europepmc(pmid="41148203", inEPMC="Y", inPMC="Y", pmcid=None, isOpenAccess="N")
    result = harvest("enrich", "oa")
    assert result.out == "open access: 1 checked, 1 changed, 1 open\n"
    assert oa.calls("unpaywall") == []
    assert rows(DB, "SELECT pmid, oa_status, is_oa, oa_url FROM articles") == [
        {"pmid": 41148203, "oa_status": "green", "is_oa": 1,
         "oa_url": "https://europepmc.org/article/MED/41148203"}]
    assert rows(DB, "SELECT source FROM oa_status") == [{"source": "europepmc"}]


def test_malformed_json_and_html_in_a_200_are_retried(stored, harvest):
    stored.add_unpaywall("bronze_cellpress_2025.json")
    stored.fail("unpaywall", Fault(200, '{"doi": "10.1016/j.ccell.2025.03.011", "is_oa": tr',
                                   {}, "application/json"))
    stored.fail("europepmc", Fault(200, "<html><body>Service maintenance</body></html>", {},
                                   "text/html"))
    result = harvest("enrich", "oa")
    assert result.exit_code == 0, result.err
    assert rows(DB, "SELECT oa_status FROM articles WHERE pmid = 41066351") == [
        {"oa_status": "bronze"}]
    assert len(stored.calls("europepmc")) == 2
