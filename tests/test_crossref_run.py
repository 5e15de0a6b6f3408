"""`harvest run` with a Crossref query against a loopback Crossref: paging, the ISSN Crossref
does not key the journal by, the window of the next run, failures."""

from __future__ import annotations

import datetime as dt
import json

from harvester.sources import crossref as crossref_module
from tests.conftest import EMAIL, rows, write_query
from tests.fake_crossref import crossref_work

FIXTURE_DOI = "10.1016/j.ccell.2025.10.007"


def cancer_cell_query(workdir, **keys):
    return write_query(workdir / "queries", "cancer-cell", source="crossref",
                       issn=["1535-6108", "1878-3686"], start="2025-11-01", **keys)


def article_rows(db):
    found = rows(db, "SELECT * FROM articles ORDER BY doi")
    for row in found:
        assert row.pop("first_seen_at") <= row.pop("updated_at")
    return found


def test_crossref_query_stores_the_journal_works(workdir, harvest, fake, crossref):
    fixture = json.loads((crossref_module_path() / "work_cancer_cell.json").read_text())["message"]
    crossref.add(fixture)
    crossref.add(crossref_work("10.1016/j.ccell.2025.11.020", "A second <i>Cancer Cell</i> paper",
                               dt.date(2025, 11, 20), author=[], license=[],
                               abstract=None, **{"published-print": None}))
    crossref.add(crossref_work("10.1016/j.ccell.2024.01.001", "Registered before the window",
                               dt.date(2024, 1, 5)))
    cancer_cell_query(workdir)

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert result.out == "cancer-cell: ok, 2 found, 2 new\n"
    assert "cancer-cell: ISSN 1878-3686: Crossref does not key the journal by this ISSN " \
           "(HTTP 404); skipped" in result.err
    db = workdir / "data" / "harvest.db"
    assert article_rows(db) == [
        {"pmid": None, "doi": FIXTURE_DOI, "pmcid": None,
         "title": "Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in "
                  "early-stage lung adenocarcinoma",
         "abstract": FIXTURE_ABSTRACT, "journal": "Cancer Cell", "pub_date": "2025-11",
         "publication_types": "[]",
         "authors": '["Ferreira-Lam J","Adeyemi T","Kowalczyk R","LUNG-CHIP Consortium"]',
         "oa_status": None, "is_oa": None, "oa_url": None, "oa_license": None,
         "coi_status": None, "coi_statement": None, "coi_source": None,
         "coi_organizations": None, "queries": '["cancer-cell"]', "notices": "[]"},
        {"pmid": None, "doi": "10.1016/j.ccell.2025.11.020", "pmcid": None,
         "title": "A second Cancer Cell paper", "abstract": None, "journal": "Cancer Cell",
         "pub_date": "2025-11", "publication_types": "[]", "authors": "[]",
         "oa_status": None, "is_oa": None, "oa_url": None, "oa_license": None,
         "coi_status": None, "coi_statement": None, "coi_source": None,
         "coi_organizations": None, "queries": '["cancer-cell"]', "notices": "[]"},
    ]
    [record] = rows(db, "SELECT * FROM crossref_record WHERE doi = ?", (FIXTURE_DOI,))
    assert record.pop("fetched_at")
    assert record.pop("article_id")
    assert record == {
        "doi": FIXTURE_DOI, "type": "journal-article", "publisher": "Elsevier BV",
        "created_at": "2025-11-10T16:21:09Z", "published_online": "2025-11-10",
        "published_print": "2025-11", "issued": "2025-11",
        "licenses": json.dumps([
            {"url": "https://www.elsevier.com/tdm/userlicense/1.0/", "start": "2025-11-10",
             "delay_in_days": 0, "content_version": "tdm"},
            {"url": "http://www.elsevier.com/open-access/userlicense/1.0/", "start": "2026-11-10",
             "delay_in_days": 365, "content_version": "vor"},
            {"url": "https://doi.org/10.15223/policy-017", "start": "2025-11-10",
             "delay_in_days": 0, "content_version": "stm-asf"}]),
        "free_from": "2026-11-10", "container_title": "Cancer Cell"}
    assert rows(db, "SELECT a.position, a.last_name, a.fore_name, a.initials, a.orcid, "
                    "a.collective_name, (SELECT json_group_array(affiliation) FROM "
                    "article_affiliation f WHERE f.article_id = a.article_id AND "
                    "f.author_position = a.position) AS affiliations FROM article_author a "
                    "JOIN article r ON r.id = a.article_id WHERE r.doi = ? ORDER BY position",
                (FIXTURE_DOI,)) == [
        {"position": 1, "last_name": "Ferreira-Lam", "fore_name": "Joana", "initials": "J",
         "orcid": "0000-0001-8842-3071", "collective_name": None,
         "affiliations": '["Department of Thoracic Oncology, Harbourview Cancer Center, '
                         'Seattle, WA 98109, USA"]'},
        {"position": 2, "last_name": "Adeyemi", "fore_name": "Tolu", "initials": "T",
         "orcid": None, "collective_name": None,
         "affiliations": '["Department of Thoracic Oncology, Harbourview Cancer Center, '
                         'Seattle, WA 98109, USA","Institute for Systems Immunology, Cascade '
                         'University, Seattle, WA 98195, USA"]'},
        {"position": 3, "last_name": "Kowalczyk", "fore_name": "Radoslaw", "initials": "R",
         "orcid": "0000-0002-5519-660X", "collective_name": None, "affiliations": "[]"},
        {"position": 4, "last_name": None, "fore_name": None, "initials": None, "orcid": None,
         "collective_name": "LUNG-CHIP Consortium", "affiliations": "[]"},
    ]
    # The polite pool: mailto on every request, the contact in the User-Agent (not checked
    # here), the window as created dates, and the electronic ISSN tried and skipped.
    calls = crossref.requests
    assert [(c["issn"], c["cursor"][:1]) for _, c in calls] == [
        ("1535-6108", "*"), ("1535-6108", "D"), ("1878-3686", "*")]
    assert {c["mailto"] for _, c in calls} == {EMAIL}
    today = dt.datetime.now(dt.timezone.utc).date()
    assert {c["filter"] for _, c in calls} == {
        f"from-created-date:2025-11-01,until-created-date:{today}"}
    [ledger] = rows(db, "SELECT status, found, new, windows, warnings FROM run_queries")
    assert ledger == {
        "status": "ok", "found": 2, "new": 2,
        "windows": json.dumps([{"issn": "1535-6108", "start": "2025-11-01",
                                "end": today.isoformat(), "count": 2}]),
        "warnings": json.dumps(["ISSN 1878-3686: Crossref does not key the journal by this ISSN "
                                "(HTTP 404); skipped"])}


def crossref_module_path():
    from tests.fake_crossref import FIXTURES
    return FIXTURES / "crossref"


# The JATS abstract of fixtures/crossref/work_cancer_cell.json, read by eye: the "Summary"
# title dropped, <jats:italic> flattened, &amp; and &#x3b2; decoded.
FIXTURE_ABSTRACT = (
    "Clonal hematopoiesis of indeterminate potential (CHIP) is common in patients with lung "
    "cancer. Using paired blood and tumor sequencing from 486 patients, we show that TET2-mutant "
    "monocytes accumulate in tumors & express IL-1\u03b2.")


def add_works(crossref, n: int, created: dt.date = dt.date(2025, 11, 12)) -> list[str]:
    dois = [f"10.1016/j.ccell.2025.11.{100 + i}" for i in range(n)]
    for doi in dois:
        crossref.add(crossref_work(doi, f"Paper {doi}", created))
    return dois


def test_deep_paging_follows_url_encoded_cursors(workdir, harvest, fake, crossref, monkeypatch):
    monkeypatch.setattr(crossref_module, "ROWS", 2)
    dois = add_works(crossref, 5)
    write_query(workdir / "queries", "cc", source="crossref", issn=["1535-6108"],
                start="2025-11-01")

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert result.out == "cc: ok, 5 found, 5 new\n"
    # 3 pages of 2, 2 and 1, then the empty page that ends the listing
    assert [(c["rows"], len(c["cursor"]) > 1) for _, c in crossref.requests] == [
        ("2", False), ("2", True), ("2", True), ("2", True)]
    assert [r["doi"] for r in rows(workdir / "data" / "harvest.db",
                                   "SELECT doi FROM article ORDER BY doi")] == dois


def test_a_cursor_that_repeats_ends_the_listing(workdir, harvest, fake, crossref, monkeypatch):
    monkeypatch.setattr(crossref_module, "ROWS", 2)
    add_works(crossref, 5)
    crossref.repeat_cursor = True
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    # '*', then the next cursor, which answers with itself as the next one again: stop there
    # rather than loop for ever.
    cursors = [c["cursor"] for _, c in crossref.requests]
    assert len(cursors) == 2 and cursors[0] == "*"
    assert rows(workdir / "data" / "harvest.db", "SELECT count(*) AS n FROM article") == [
        {"n": 2}]


def test_the_next_run_starts_two_days_before_the_last_one_ended(workdir, harvest, fake, crossref):
    add_works(crossref, 1)
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    assert harvest("run", "--no-enrich").exit_code == 0
    crossref.requests.clear()

    result = harvest("run", "--no-enrich", "--all")

    assert result.exit_code == 0, result.err
    assert result.out == ""  # nothing new
    today = dt.datetime.now(dt.timezone.utc).date()
    assert [c["filter"] for _, c in crossref.requests] == [
        f"from-created-date:{today - dt.timedelta(days=2)},until-created-date:{today}"]


def test_no_issn_known_to_crossref_fails_the_query(workdir, harvest, fake, crossref):
    path = write_query(workdir / "queries", "cc", source="crossref", issn=["0000-0000"])

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    assert result.out == (f"cc: failed, 0 found, 0 new: Crossref knows the journal by "
                          f"none of the ISSNs 0000-0000; check `issn` in {path.relative_to(workdir)}"
                          "\n")
    assert "Traceback" not in result.err
    assert rows(workdir / "data" / "harvest.db",
                "SELECT last_status, collected_through FROM query_state") == [
        {"last_status": "failed", "collected_through": None}]


def test_server_errors_are_retried_and_a_validation_failure_is_named(workdir, harvest, fake,
                                                                    crossref):
    add_works(crossref, 1)
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    crossref.faults = [(503, "busy")]
    assert harvest("run", "--no-enrich").out == "cc: ok, 1 found, 1 new\n"

    crossref.faults = [(400, json.dumps({
        "status": "failed", "message-type": "validation-failure",
        "message": [{"type": "parameter-not-allowed", "value": "select",
                     "message": "This route does not support select"}]}))]
    result = harvest("run", "--no-enrich", "--all")
    assert result.exit_code == 1
    assert result.out == ("cc: failed, 0 found, 0 new: Crossref refused the request "
                          "for 1535-6108: validation-failure: This route does not support select "
                          "(HTTP 400)\n")
