"""No poison (#13): one odd record or merge never corrupts the file, stops a run, or hides an
article. Each test here failed before its fix."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from pathlib import Path

import pytest

from harvester import articles, db, text
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
        # rank = 1: also compare the index with the table it indexes (SQLite 3.40 checks only
        # the index's own structure without it)
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
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
    assert first.out == ("pm: partial, 3 found, 2 new: set aside pubmed record "
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
        "cc: partial, 3 found, 2 new: set aside crossref record "
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
    assert result.out == ("a-cc: failed, 0 found, 0 new: unexpected KeyError: "
                          "'collected_through' (run with -v for the traceback)\n"
                          "b-pm: ok, 1 found, 1 new\n")
    assert rows(DB, "SELECT query, status FROM run_queries ORDER BY query") == [
        {"query": "a-cc", "status": "failed"}, {"query": "b-pm", "status": "ok"}]
    assert rows(DB, "SELECT status FROM runs") == [{"status": "partial"}]


OLD = "2025-01-01T00:00:00Z"  # before any output: only the id can put an article in the queue


def test_ids_only_grow_so_an_article_stored_after_a_merge_reaches_the_queue(workdir, harvest):
    path = workdir / DB
    conn = db.connect(path)
    with db.transaction(conn):
        kept, _ = articles.save_by_doi(conn, "crossref", {"doi": "10.1/a", "title": "A"}, [], OLD)
        dropped, _ = articles.save_by_doi(
            conn, "feed", {"url": "https://journal.example/b", "title": "B"}, [], OLD)
    assert harvest("digest", "--since", "2000-01-01", "-o", "d.md").exit_code == 0
    assert rows(path, "SELECT doi FROM editorial_queue") == []

    with db.transaction(conn):  # the feed entry's DOI turned up: its row folds into A's
        articles.merge_articles(conn, keep=kept, drop=dropped)
        new, _ = articles.save_by_doi(conn, "crossref", {"doi": "10.1/c", "title": "C"}, [], OLD)
    conn.close()
    assert new > dropped
    assert rows(path, "SELECT doi FROM editorial_queue") == [{"doi": "10.1/c"}]


def test_an_older_file_continues_ids_above_every_id_an_output_named(workdir):
    path = workdir / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for number in range(7):
        for statement in db._statements(db.MIGRATIONS[number]):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 7")
    for article_id in (1, 2, 3):
        conn.execute("INSERT INTO article (id, doi, title, first_seen_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?)", (article_id, f"10.1/{article_id}", "T", OLD, OLD))
        conn.execute("INSERT INTO article_fts (rowid, title) VALUES (?, 'T')", (article_id,))
    conn.execute("INSERT INTO outputs (kind, format, articles, article_id_through, created_at) "
                 "VALUES ('digest', 'md', 3, 3, ?)", (OLD,))
    # merged away before the upgrade, by hand with foreign keys off (the sqlite3 shell's
    # default): its queue rows stay behind
    conn.execute("DELETE FROM article WHERE id = 3")
    conn.close()

    conn = db.connect(path)  # upgrades
    with db.transaction(conn):
        new, _ = articles.save_by_doi(conn, "crossref", {"doi": "10.1/4", "title": "D"}, [], OLD)
    assert new == 4
    assert [r[0] for r in conn.execute("PRAGMA foreign_key_check")] == []
    assert rows(path, "SELECT doi FROM editorial_queue") == [{"doi": "10.1/4"}]
    conn.close()


def test_the_deadline_stops_the_enrichment_once_with_one_line(workdir, harvest, fake, oa):
    for i in range(30):
        fake.add_synthetic(40000100 + i, EDAT)
    write_query(workdir / "queries", "pm", term="cancer cell[ta]", start="2025-11-01")
    assert harvest("run", "--no-enrich").exit_code == 0
    # The loopback server answers one request at a time: 30 lookups take 6 s, well beyond the
    # deadline, and Europe PMC's search (asked once the first lookups are under way) is in.
    oa.delay = 0.2

    result = harvest("run", "--deadline", "1.5s")

    assert result.exit_code == 1
    assert result.out == ("open access: stopped at the run's deadline; what was looked up is "
                          "stored, the rest is looked up by the next run\n")
    assert "deadline" not in result.err  # not one warning per article
    checked = rows(DB, "SELECT count(*) AS n FROM oa_status")[0]["n"]
    assert 0 < checked < 30
    oa.delay = 0
    assert harvest("run").exit_code == 0
    assert rows(DB, "SELECT count(*) AS n FROM oa_status") == [{"n": 30}]


def test_a_transaction_sqlite_rolled_back_itself_raises_the_real_error(workdir):
    conn = db.connect(workdir / "t.db")
    with pytest.raises(ValueError, match="^the real error$"):
        with db.transaction(conn):
            conn.execute("INSERT INTO runs (started_at) VALUES ('2025-01-01T00:00:00Z')")
            conn.execute("ROLLBACK")  # as SQLite does by itself on a full disk or an I/O error
            raise ValueError("the real error")
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_a_failed_commit_rolls_back_and_leaves_the_connection_usable(workdir):
    conn = db.connect(workdir / "t.db")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA defer_foreign_keys = ON")  # the violation surfaces at COMMIT
    with pytest.raises(sqlite3.IntegrityError):
        with db.transaction(conn):
            conn.execute("INSERT INTO query_match VALUES (999, 'q', '2025-01-01T00:00:00Z', "
                         "NULL)")
    assert not conn.in_transaction
    with db.transaction(conn):
        conn.execute("INSERT INTO runs (started_at) VALUES ('2025-01-01T00:00:00Z')")
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


QUOTED = '10.1016/j.ccell.2025.11.009" or "1'  # a DOI that would end the quoted term


def test_a_doi_that_would_break_a_search_term_is_left_out_of_searches(workdir, harvest, fake,
                                                                       crossref, oa):
    crossref.add(crossref_work("10.1016/j.ccell.2025.11.001", "Plain", dt.date(2025, 11, 18)))
    crossref.add(crossref_work(QUOTED, "Quoted", dt.date(2025, 11, 18)))
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    assert harvest("run").exit_code == 0
    assert rows(DB, "SELECT doi FROM article ORDER BY doi") == [
        {"doi": "10.1016/j.ccell.2025.11.001"}, {"doi": QUOTED}]  # stored as Crossref gave it
    [lookup] = [c["term"] for c in fake.calls("esearch")]
    assert lookup == '"10.1016/j.ccell.2025.11.001"[doi]'
    [search] = [r["query"] for kind, r in oa.requests if kind == "europepmc"]
    assert search == '(DOI:"10.1016/j.ccell.2025.11.001")'


@pytest.mark.parametrize("doi, searchable", [
    ("10.1016/j.ccell.2025.11.001", True),
    ("10.1002/1097-0142(20010101)91:1<1::aid-cncr1>3.0.co;2-t", True),  # a SICI DOI (Cancer)
    ("10.1016/s0140-6736(24)01234-5", True),
    (QUOTED, False), ("10.1000/a b", False), ("10.1000/a,updates:10.1/b", False),
    ("10.1000/back\\slash", False), ("11.1000/x", False), ("", False), (None, False)])
def test_searchable_doi(doi, searchable):
    assert text.searchable_doi(doi) is searchable


@pytest.fixture
def new_york(monkeypatch):
    """The machine's local time zone, for the length of a test."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def query_with(schedule: str):
    from harvester.queries import Query
    return Query(name="q", path=Path("queries/q.toml"), source="pubmed", term="x",
                 schedule=schedule)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def test_cron_schedules_are_read_in_local_time_like_cron(new_york):
    """'0 0 * * *' is midnight in New York (05:00 UTC in November), not midnight UTC."""
    query = query_with("0 0 * * *")
    last = utc("2025-11-20T04:30:00")  # 23:30 on the 19th in New York
    assert not query.is_due(last, utc("2025-11-20T04:59:00"))  # 23:59 local: not yet
    assert query.is_due(last, utc("2025-11-20T05:01:00"))  # 00:01 local: midnight has passed
    # Read in UTC it would fire at 00:00 UTC, 19:00 the evening before in New York:
    assert query.is_due(utc("2025-11-20T05:30:00"), utc("2025-11-21T04:59:00")) is False
    assert query.is_due(utc("2025-11-20T05:30:00"), utc("2025-11-21T05:00:00")) is True


def test_the_earliest_of_two_partial_dates_keeps_the_precise_one(workdir):
    conn = db.connect(workdir / "t.db")
    with db.transaction(conn):
        fields = {"doi": "10.1/a", "title": "A", "epub_date": "2025-11"}
        article_id, _ = articles.save_by_doi(conn, "crossref", fields, [], OLD)
        articles.save_by_doi(conn, "feed", {**fields, "epub_date": "2025-11-28"}, [], OLD)
    assert conn.execute("SELECT epub_date FROM article").fetchone()[0] == "2025-11-28"
    with db.transaction(conn):
        articles.save_by_doi(conn, "feed", {**fields, "epub_date": "2025-10-30"}, [], OLD)
    assert conn.execute("SELECT epub_date FROM article").fetchone()[0] == "2025-10-30"
    assert [text.earliest_date(a, b) for a, b in (("2025", "2025-03-04"), ("2025-03", "2024"),
                                                  (None, "2025-01"), ("2025-02", None))] == [
        "2025-03-04", "2024", "2025-01", "2025-02"]


def test_an_unexpected_error_in_an_enrichment_step_is_one_line(workdir, harvest, fake, oa,
                                                                 monkeypatch):
    """The collected articles and the open-access results stay; the step says what failed."""
    from harvester.enrich import coi

    def broken(text, authors=None):
        raise ValueError("a statement no rule expected")

    monkeypatch.setattr(coi, "classify", broken)
    fake.add_synthetic(40000001, EDAT, coi="The authors declare no competing interests.")
    write_query(workdir / "queries", "pm", term="cancer cell[ta]", start="2025-11-01")
    result = harvest("run")
    assert result.exit_code == 1
    assert result.out.splitlines()[-1] == (
        "conflicts of interest: failed: unexpected ValueError: a statement no rule expected "
        "(run with -v for the traceback)")
    assert "Traceback" not in result.err
    assert rows(DB, "SELECT count(*) AS n FROM oa_status") == [{"n": 1}]
    assert rows(DB, "SELECT count(*) AS n FROM coi_pending") == [{"n": 1}]  # due next run
