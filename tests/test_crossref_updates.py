"""The periodic notice look-up, `Crossref.updates`: batches of OR-ed `updates:` filters, against
the loopback Crossref (tests/fake_crossref.py)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from harvester.errors import SourceError
from harvester.http import HttpClient
from harvester.sources.crossref import (SELECT, Crossref, doi_for_filter, update_batches,
                                        work_to_record)
from tests.conftest import EMAIL

CROSSREF = Path(__file__).parent / "fixtures" / "crossref"


def load(name: str) -> dict:
    return json.loads((CROSSREF / name).read_text())["message"]


@pytest.fixture
def client(crossref, httpserver) -> Crossref:
    http = HttpClient(contact=EMAIL, retries=1, backoff=0.0)
    return Crossref(http, httpserver.url_for("/crossref"), EMAIL)


def cancer_cell_dois(n: int) -> list[str]:
    return [f"10.1016/j.ccell.2025.{i // 100:02d}.{i % 100:03d}" for i in range(n)]


def notice(doi: str, *originals: str) -> dict:
    """A publisher's correction notice for the originals, in the shape of notice_publisher.json."""
    work = load("notice_publisher.json")
    work.update({"DOI": doi, "URL": f"https://doi.org/{doi}",
                 "title": [f"Correction to {', '.join(originals)}"],
                 "update-to": [{"updated": {"date-parts": [[2025, 11, 28]],
                                            "date-time": "2025-11-28T00:00:00Z",
                                            "timestamp": 1764288000000},
                                "DOI": original, "type": "correction", "source": "publisher",
                                "label": "Correction"} for original in originals]})
    return work


def filters(requests) -> list[list[str]]:
    return [args["filter"].split(",") for kind, args in requests if kind == "updates"]


def test_120_dois_take_three_requests_and_each_notice_comes_once(client, crossref):
    dois = cancer_cell_dois(120)
    retraction = crossref.add(load("notice_publisher.json"))       # updates none of them
    crossref.add(notice("10.1016/j.ccell.2025.12.901", dois[3]))
    # One notice for two originals in different batches: listed by both, returned once.
    crossref.add(notice("10.1016/j.ccell.2025.12.902", dois[75], dois[110]))
    crossref.add(notice("10.1016/j.ccell.2025.12.903", "10.9999/someone-else"))

    records = client.updates(dois)

    assert records == [work_to_record(notice("10.1016/j.ccell.2025.12.901", dois[3])),
                       work_to_record(notice("10.1016/j.ccell.2025.12.902", dois[75], dois[110]))]
    assert records[0]["update_to"] == [
        {"type": "correction", "update_type": "correction", "doi": dois[3], "date": "2025-11-28",
         "source": "publisher", "label": "Correction"}]
    # 50 + 50 + 20: one request per batch, no empty page asked for after a short one.
    assert filters(crossref.requests) == [[f"updates:{d}" for d in dois[:50]],
                                          [f"updates:{d}" for d in dois[50:100]],
                                          [f"updates:{d}" for d in dois[100:]]]
    assert [args for _, args in crossref.requests][0] == {
        "filter": ",".join(f"updates:{d}" for d in dois[:50]), "rows": "100", "select": SELECT,
        "cursor": "*", "mailto": EMAIL}
    assert retraction["DOI"] not in {r["doi"] for r in records}


def test_45_dois_are_one_request(client, crossref):
    crossref.add(load("notice_publisher.json"))
    records = client.updates(cancer_cell_dois(44) + ["10.1016/J.CCELL.2023.12.005"])
    assert [r["doi"] for r in records] == ["10.1016/j.ccell.2025.11.002"]
    assert len(crossref.requests) == 1
    assert filters(crossref.requests)[0][-1] == "updates:10.1016/j.ccell.2023.12.005"


def test_a_retraction_watch_notice_is_found_by_its_original(client, crossref):
    crossref.add(load("notice_retraction_watch.json"))
    [record] = client.updates(["10.1016/S1470-2045(24)00512-7"])
    assert record == work_to_record(load("notice_retraction_watch.json"))
    assert [u["source"] for u in record["update_to"]] == ["publisher", "retraction-watch"]


def test_malformed_dois_are_not_put_into_the_filter(client, crossref):
    records = client.updates([
        "https://doi.org/10.1016/J.CCELL.2023.12.005",
        "10.1016/j.ccell.2023.12.005",          # the same, once normalised
        "10.1016/j.ccell.2023.12.005,updates:10.1/x",  # a comma would add a filter
        "10.1016/j.ccell 2023",                 # whitespace
        "10.12/too-short-a-registrant",
        "ccell.2023.12.005",
        "",
        "doi: 10.1002/(SICI)1097-4636(199812)43:4<450::AID-JBM13>3.0.CO;2-Z",
    ])
    assert records == []
    assert filters(crossref.requests) == [[
        "updates:10.1016/j.ccell.2023.12.005",
        "updates:10.1002/(sici)1097-4636(199812)43:4<450::aid-jbm13>3.0.co;2-z"]]


def test_nothing_to_look_up_asks_nothing(client, crossref):
    assert client.updates(["", "not a doi"]) == []
    assert client.updates([]) == []
    assert crossref.requests == []


@pytest.mark.parametrize("notices, requests", [(5, 3), (4, 2), (1, 1)])
def test_many_notices_page_by_cursor(client, crossref, notices, requests):
    original = "10.1016/j.ccell.2023.12.005"
    for i in range(notices):
        crossref.add(notice(f"10.1016/j.ccell.2025.12.{900 + i}", original))
    records = client.updates([original], rows=2)
    assert [r["doi"] for r in records] == [f"10.1016/j.ccell.2025.12.{900 + i}"
                                          for i in range(notices)]
    assert [args["cursor"][:20] for _, args in crossref.requests] == (
        ["*"] + ["DnF1ZXJ5VGhlbkZldGNo"] * (requests - 1))


def test_a_refused_filter_is_an_error_naming_crossrefs_reason(client, crossref):
    crossref.faults.append((400, json.dumps({
        "status": "failed", "message-type": "validation-failure",
        "message": [{"type": "filter-not-available", "message": "Filter updates specified but "
                     "there is no such filter for this route."}]})))
    with pytest.raises(SourceError) as error:
        client.updates(["10.1016/j.ccell.2023.12.005"])
    assert str(error.value) == (
        "Crossref refused the request for notices of 1 DOIs: validation-failure: Filter updates "
        "specified but there is no such filter for this route. (HTTP 400)")


def test_batches_stay_within_the_url_budget():
    typical = cancer_cell_dois(101)
    assert [len(b) for b in update_batches(typical)] == [50, 50, 1]
    # 180-character DOIs (195 encoded with "updates:" and a comma): the encoded filter, not the
    # count, closes a batch, and every batch still holds at least 20.
    long = [f"10.5555/{i:03d}-" + "x" * 168 for i in range(45)]
    batches = update_batches(long)
    assert [len(b) for b in batches] == [20, 20, 5]
    assert all(len(quote_plus(",".join(f"updates:{d}" for d in b))) <= 4000 for b in batches)
    # One DOI longer than the whole budget still gets asked, alone.
    assert update_batches(["10.5555/" + "y" * 5000, "10.5555/z"]) == [
        ["10.5555/" + "y" * 5000], ["10.5555/z"]]
    assert update_batches([]) == []


def test_doi_for_filter():
    assert doi_for_filter("https://dx.doi.org/10.1016/S0140-6736(10)60175-4") == (
        "10.1016/s0140-6736(10)60175-4")
    assert doi_for_filter("10.1038/s41586-019-1339-6") == "10.1038/s41586-019-1339-6"
    assert doi_for_filter("10.1016/a,b") is None
    assert doi_for_filter("10.123/abc") is None
    assert doi_for_filter(None) is None
