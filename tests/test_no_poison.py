"""No poison (#13): one odd record or merge never corrupts the file, stops a run, or hides an
article. Each test here failed before its fix."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from tests.conftest import rows, write_query
from tests.fake_crossref import crossref_work
from tests.fake_eutils import synthetic_article

EDAT = dt.date(2025, 11, 20)
PMID = 40000004
DOI = "10.1016/j.ccell.2025.4"  # the synthetic PubMed record's DOI (tests/fake_eutils.py)
DB = "data/harvest.db"


def fts_ok(path, table: str) -> bool:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def without_abstract(xml: str) -> str:
    return re.sub(r"<Abstract>.*?</Abstract>", "", xml)


def test_a_pubmed_record_without_abstract_keeps_the_index_in_step(workdir, harvest, fake,
                                                                  crossref):
    """Crossref gave the abstract; PubMed's record has none: the stored abstract stays and the
    full-text index holds what is stored, so a later revision of the record updates cleanly."""
    crossref.add(crossref_work(DOI, "Crossref's title", dt.date(2025, 11, 18),
                               abstract="<jats:p>Crossref's abstract on ERBB2.</jats:p>"))
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    assert harvest("run", "--no-enrich").exit_code == 0

    fake.add(without_abstract(synthetic_article(PMID, EDAT)))
    write_query(workdir / "queries", "pm", term="cancer cell[ta]", start="2025-11-01")
    assert harvest("run", "--no-enrich", "--query", "pm").exit_code == 0
    assert rows(DB, "SELECT pmid, abstract FROM article") == [
        {"pmid": PMID, "abstract": "Crossref's abstract on ERBB2."}]
    assert fts_ok(DB, "article_fts")
    assert rows(DB, "SELECT rowid FROM article_fts WHERE article_fts MATCH 'crossref'") == [
        {"rowid": 1}]

    # PubMed revises the record (a new title): the old index entry must come out cleanly.
    fake.add(without_abstract(synthetic_article(PMID, EDAT, mdat=EDAT + dt.timedelta(days=3),
                                                title="Revised ERBB2 title.")))
    result = harvest("run", "--no-enrich", "--all", "--since", "2025-11-01")
    assert result.exit_code == 0, result.err
    assert fts_ok(DB, "article_fts")
    assert rows(DB, "SELECT title, abstract FROM article") == [
        {"title": "Revised ERBB2 title.", "abstract": "Crossref's abstract on ERBB2."}]
    assert rows(DB, "SELECT rowid FROM article_fts WHERE article_fts MATCH 'revised'") == [
        {"rowid": 1}]


def without_article(xml: str) -> str:
    """A record PubMed could send but no field can be read from: no <Article> element."""
    return re.sub(r"<Article PubModel.*?</Article>", "", xml, flags=re.S)


def test_a_record_that_cannot_be_read_is_set_aside_and_retried_when_it_changes(
        workdir, harvest, fake):
    fake.add_synthetic(40000001, EDAT)
    fake.add(without_article(synthetic_article(40000002, EDAT)))
    fake.add_synthetic(40000003, EDAT)
    write_query(workdir / "queries", "pm", term="cancer cell[ta]", start="2025-11-01")

    first = harvest("run", "--no-enrich")
    assert first.exit_code == 1
    assert first.out == ("pm: partial, 3 found, 2 new, 0 updated: set aside pubmed record "
                         "40000002: AttributeError: 'NoneType' object has no attribute 'find'\n")
    assert "Traceback" not in first.err
    assert rows(DB, "SELECT pmid FROM article ORDER BY pmid") == [{"pmid": 40000001},
                                                                   {"pmid": 40000003}]
    [rejected] = rows(DB, "SELECT source, record_id, query, error, attempts, raw "
                          "FROM rejected_record")
    assert rejected.pop("raw") == without_article(synthetic_article(40000002, EDAT)).encode()
    assert rejected == {"source": "pubmed", "record_id": "40000002", "query": "pm",
                        "error": "AttributeError: 'NoneType' object has no attribute 'find'",
                        "attempts": 1}
    assert rows(DB, "SELECT status FROM runs") == [{"status": "partial"}]
    assert rows(DB, "SELECT status FROM run_queries") == [{"status": "partial"}]
    assert rows(DB, "SELECT count(*) AS n FROM missing_pmid") == [{"n": 0}]
    status = harvest("status")
    assert ("records set aside (could not be read or stored; tried again when they change): "
            "1 pubmed; see table rejected_record\n") in status.out

    # The same record again, unchanged: skipped without a new error, the run is ok.
    again = harvest("run", "--no-enrich", "--all", "--since", "2025-11-01")
    assert (again.exit_code, again.out) == (0, "")
    assert rows(DB, "SELECT attempts FROM rejected_record") == [{"attempts": 1}]

    # PubMed revises it into a readable record: the update pass fetches and stores it.
    fake.add_synthetic(40000002, EDAT, mdat=dt.datetime.now(dt.timezone.utc).date())
    fixed = harvest("run", "--no-enrich", "--all")
    assert fixed.exit_code == 0, fixed.out + fixed.err
    assert rows(DB, "SELECT pmid FROM article ORDER BY pmid") == [
        {"pmid": 40000001}, {"pmid": 40000002}, {"pmid": 40000003}]
    assert rows(DB, "SELECT count(*) AS n FROM rejected_record") == [{"n": 0}]


def test_a_crossref_work_that_cannot_be_stored_is_set_aside(workdir, harvest, fake, crossref):
    crossref.add(crossref_work("10.1016/j.ccell.2025.11.001", "Good one", dt.date(2025, 11, 18)))
    bad = crossref_work("10.1016/j.ccell.2025.11.002", "Bad one", dt.date(2025, 11, 18))
    crossref.add({**bad, "title": [{"not": "a string"}]})
    crossref.add(crossref_work("10.1016/j.ccell.2025.11.003", "Odd dates", dt.date(2025, 11, 18),
                               **{"published-print": {"date-parts": [[2025, "12", "3", None]]},
                                  "published-online": {"date-parts": [[2025, 2, 30]]}}))
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    result = harvest("run", "--no-enrich")
    assert result.exit_code == 1
    assert result.out == (
        "cc: partial, 3 found, 2 new, 0 updated: set aside crossref record "
        "10.1016/j.ccell.2025.11.002: TypeError: expected string or bytes-like object, got "
        "'dict'\n")
    assert rows(DB, "SELECT doi, title, pub_date, epub_date FROM article ORDER BY doi") == [
        # the fixture's published-print is [[2025, 11]]
        {"doi": "10.1016/j.ccell.2025.11.001", "title": "Good one", "pub_date": "2025-11",
         "epub_date": "2025-11-18"},
        # date parts written as strings count; an impossible day is dropped, not the record
        {"doi": "10.1016/j.ccell.2025.11.003", "title": "Odd dates", "pub_date": "2025-12-03",
         "epub_date": "2025-02"}]


def test_any_error_in_one_query_fails_that_query_alone(workdir, harvest, fake, monkeypatch):
    """A bug met on one query's data (not a record's) fails the query with one line; the
    ledger row is closed and the next query runs."""
    from harvester.harvest import crossref as crossref_harvest

    def broken(self, since):
        raise KeyError("collected_through")

    monkeypatch.setattr(crossref_harvest.CrossrefHarvest, "run", broken)
    fake.add_synthetic(40000001, EDAT)
    write_query(workdir / "queries", "a-cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    write_query(workdir / "queries", "b-pm", term="cancer cell[ta]", start="2025-11-01")
    result = harvest("run", "--no-enrich")
    assert result.exit_code == 1
    assert result.out == ("a-cc: failed, 0 found, 0 new, 0 updated: unexpected KeyError: "
                          "'collected_through' (run with -v for the traceback)\n"
                          "b-pm: ok, 1 found, 1 new, 0 updated\n")
    assert rows(DB, "SELECT query, status FROM run_queries ORDER BY query") == [
        {"query": "a-cc", "status": "failed"}, {"query": "b-pm", "status": "ok"}]
    assert rows(DB, "SELECT status FROM runs") == [{"status": "partial"}]
