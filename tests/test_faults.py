"""What E-utilities sends when things go wrong, served over loopback: each is retried or fails
the query with a clear reason, and never becomes "0 results" or a half-written window."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import rows, write_query
from tests.fake_eutils import PUBMED_DOCTYPE, Fault, synthetic_article

DB = "data/harvest.db"
TODAY = dt.datetime.now(dt.timezone.utc).date()
MAINTENANCE_PAGE = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>NCBI "
                    "- Maintenance</title></head><body><h1>This service is temporarily "
                    "unavailable</h1><p>Please try again later.</p></body></html>")
BACKEND_FAILED = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
                  '"-//NLM//DTD esearch 20060628//EN" '
                  '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
                  "<eSearchResult><ERROR>Search Backend failed: Couldn't resolve #tr_ssv_ut_1, "
                  "the address table is empty.</ERROR></eSearchResult>\n")
RATE_LIMITED = '{"error":"API rate limit exceeded","api-key":"127.0.0.1","count":"4","limit":"3"}\n'


def truncated_efetch() -> str:
    body = (f"{PUBMED_DOCTYPE}<PubmedArticleSet>\n"
            f"{synthetic_article(41000001, dt.date(2025, 3, 1))}\n"
            f"{synthetic_article(41000002, dt.date(2025, 3, 2))}\n</PubmedArticleSet>")
    return body[: len(body) * 2 // 3]


@pytest.fixture
def two_records(workdir, fake):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    fake.add_synthetic(41000002, dt.date(2025, 3, 2))
    return fake


TRANSIENT = {
    "429 with Retry-After": ("esearch", Fault(429, RATE_LIMITED, {"Retry-After": "0"},
                                              "application/json")),
    "429 without Retry-After": ("efetch", Fault(429, RATE_LIMITED, {}, "application/json")),
    "500": ("efetch", Fault(500, "Internal Server Error", {}, "text/plain")),
    "502": ("esearch", Fault(502, "<html><body>Bad Gateway</body></html>", {}, "text/html")),
    "503": ("efetch", Fault(503, "", {"Retry-After": "0"}, "text/plain")),
    "504": ("esearch", Fault(504, "Gateway Timeout", {}, "text/plain")),
    "ERROR in a 200": ("esearch", Fault(200, BACKEND_FAILED)),
    "HTML page in a 200": ("efetch", Fault(200, MAINTENANCE_PAGE, {}, "text/html; charset=utf-8")),
    "HTML page labelled XML": ("efetch", Fault(200, MAINTENANCE_PAGE)),
    "truncated XML": ("efetch", Fault(200, truncated_efetch())),
    "empty body": ("esearch", Fault(200, "")),
    "malformed esearch": ("esearch", Fault(200, "<eSearchResult><Count>2</Count><IdList>")),
}


@pytest.mark.parametrize("endpoint, fault", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_a_fault_then_success_loses_nothing(two_records, harvest, endpoint, fault):
    two_records.fail(endpoint, fault)

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert result.out == "her2: ok, 2 found, 2 new\n"
    assert [r["pmid"] for r in rows(DB, "SELECT pmid FROM articles ORDER BY pmid")] == [
        41000001, 41000002]
    assert "retry 1/3" in result.err
    assert len(two_records.calls(endpoint)) == 2


PERSISTENT = {
    "ERROR in a 200": ("esearch", Fault(200, BACKEND_FAILED),
                       f"esearch edat 2025-01-01..{TODAY}: E-utilities error: Search Backend "
                       "failed: Couldn't resolve #tr_ssv_ut_1, the address table is empty."),
    "HTML page in a 200": ("efetch", Fault(200, MAINTENANCE_PAGE, {}, "text/html"),
                           "efetch 1-2: an HTML page (text/html) instead of efetch XML"),
    "truncated XML": ("efetch", Fault(200, truncated_efetch()),
                      "efetch 1-2: truncated XML: the body ends before </PubmedArticleSet>"),
    "503": ("efetch", Fault(503, "", {}, "text/plain"), "efetch 1-2: HTTP 503"),
}


@pytest.mark.parametrize("endpoint, fault, reason", PERSISTENT.values(), ids=PERSISTENT.keys())
def test_a_fault_that_persists_fails_the_query_and_writes_nothing(two_records, harvest, endpoint,
                                                                  fault, reason):
    two_records.fail(endpoint, *[fault] * 4)

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    message = f"{reason} (gave up after 4 attempts)"
    assert result.out == f"her2: failed, 0 found, 0 new: {message}\n"
    assert rows(DB, "SELECT count(*) AS n FROM article") == [{"n": 0}]
    assert rows(DB, "SELECT count(*) AS n FROM query_match") == [{"n": 0}]
    assert rows(DB, "SELECT collected_through, last_status, last_error FROM query_state") == [
        {"collected_through": None, "last_status": "failed", "last_error": message}]
    assert [(r["status"], json.loads(r["errors"])) for r in rows(
        DB, "SELECT status, errors FROM run_queries")] == [("failed", [message])]
    # The four faults were all served: one per attempt at the failing endpoint.
    assert two_records.faults[endpoint] == []
    assert len(two_records.calls(endpoint)) == 4

    # The next run retries the same window and gets everything.
    two_records.faults[endpoint].clear()
    result = harvest("run", "--no-enrich")
    assert result.exit_code == 0
    assert result.out == "her2: ok, 2 found, 2 new\n"


def test_a_4xx_is_not_retried(two_records, harvest):
    two_records.fail("esearch", Fault(400, "Bad Request", {}, "text/plain"))

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    assert result.out == (f"her2: failed, 0 found, 0 new: esearch edat "
                          f"2025-01-01..{TODAY}: HTTP 400 Bad Request\n")
    assert len(two_records.calls("esearch")) == 1


def test_phrase_not_found_is_a_warning(two_records, harvest):
    two_records.fail("esearch", Fault(200, (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>0</Count><RetMax>0'
        "</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_1</WebEnv><IdList/>"
        "<TranslationSet/><QueryTranslation>(qqzzx[All Fields])</QueryTranslation><ErrorList>"
        "<PhraseNotFound>qqzzx</PhraseNotFound></ErrorList><WarningList><OutputMessage>No items "
        "found.</OutputMessage></WarningList></eSearchResult>")))

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0
    assert result.out == ""  # nothing new, nothing failed
    assert "WARNING her2: phrase not found: qqzzx" in result.err
    assert rows(DB, "SELECT warnings FROM run_queries") == [
        {"warnings": '["phrase not found: qqzzx"]'}]
    check = harvest("queries", "check")
    assert check.exit_code == 0
    assert "warn   her2: phrase not found: qqzzx" in check.out.splitlines()


def test_a_response_over_the_size_cap_is_refused(two_records, harvest, monkeypatch):
    monkeypatch.setenv("HARVEST_MAX_RESPONSE_MB", "1")
    huge = f"{PUBMED_DOCTYPE}<PubmedArticleSet>" + " " * (2 * 2**20) + "</PubmedArticleSet>"
    two_records.fail("efetch", Fault(200, huge))

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    assert result.out == ("her2: failed, 0 found, 0 new: efetch 1-2: response of "
                          f"{len(huge.encode()):,} bytes is over the 1,048,576-byte cap\n")
    assert len(two_records.calls("efetch")) == 1  # not retried
    assert rows(DB, "SELECT count(*) AS n FROM article") == [{"n": 0}]
