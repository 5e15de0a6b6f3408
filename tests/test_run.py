"""`harvest run` end to end against the loopback E-utilities: windows, updates, the cap, reconcile."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from tests.conftest import rows, write_query
from tests.fake_eutils import Fault

TODAY = dt.datetime.now(dt.timezone.utc).date()
DB = "data/harvest.db"


def ymd(day: dt.date) -> str:
    return day.strftime("%Y/%m/%d")


def test_first_run_stores_what_the_server_holds(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01", term="HER2[tiab]")
    fake.add_synthetic(41000001, TODAY - dt.timedelta(days=3), coi="The authors declare no "
                       "competing interests.")
    fake.add_synthetic(41000002, dt.date(2025, 2, 1))

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert result.out == "her2: ok, 2 found, 2 new\n"
    articles = rows(DB, "SELECT * FROM articles ORDER BY pmid")
    first_seen = articles[0]["first_seen_at"]
    assert first_seen.endswith("Z") and first_seen.startswith(str(TODAY.year))
    assert articles == [
        {
            "pmid": 41000001, "doi": f"10.1016/j.ccell.{TODAY.year}.1", "pmcid": None,
            "title": "Synthetic ERBB2 record 41000001.",
            "abstract": "Synthetic record 41000001 for harvester tests: HER2+ tumours and CD8+ T "
                        "cells.",
            "journal": "Cancer cell", "pub_date": f"{TODAY.year}-11",
            "publication_types": '["Journal Article"]', "authors": '["Rossi MC","Okafor C"]',
            "oa_status": None, "is_oa": None, "oa_url": None, "oa_license": None,
            "coi_status": None, "coi_statement": "The authors declare no competing interests.",
            "coi_source": "pubmed", "coi_organizations": None, "queries": '["her2"]',
            "first_seen_at": first_seen, "updated_at": first_seen, "notices": "[]",
        },
        {
            "pmid": 41000002, "doi": "10.1016/j.ccell.2025.2", "pmcid": None,
            "title": "Synthetic ERBB2 record 41000002.",
            "abstract": "Synthetic record 41000002 for harvester tests: HER2+ tumours and CD8+ T "
                        "cells.",
            "journal": "Cancer cell", "pub_date": "2025-11",
            "publication_types": '["Journal Article"]', "authors": '["Rossi MC","Okafor C"]',
            "oa_status": None, "is_oa": None, "oa_url": None, "oa_license": None,
            "coi_status": None, "coi_statement": None, "coi_source": None,
            "coi_organizations": None, "queries": '["her2"]',
            "first_seen_at": first_seen, "updated_at": first_seen, "notices": "[]",
        },
    ]
    [search] = fake.calls("esearch")
    assert (search["term"], search["datetype"], search["mindate"], search["maxdate"]) == (
        "HER2[tiab]", "edat", "2025/01/01", ymd(TODAY))
    assert search["usehistory"] == "y" and search["email"] == "editor@newsletter.org"
    assert search["tool"] == "harvester"
    [run] = rows(DB, "SELECT status, finished_at IS NOT NULL AS finished FROM runs")
    assert run == {"status": "ok", "finished": 1}
    [ledger] = rows(DB, "SELECT query, status, window_start, window_end, found, fetched, "
                        "new, updated, missing, errors FROM run_queries")
    assert ledger == {"query": "her2", "status": "ok", "window_start": "2025-01-01",
                      "window_end": TODAY.isoformat(), "found": 2, "fetched": 2,
                      "new": 2, "updated": 0, "missing": "[]", "errors": "[]"}


def test_second_run_fetches_only_the_new_window(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    assert harvest("run", "--no-enrich").exit_code == 0
    before = rows(DB, "SELECT pmid, first_seen_at FROM article")

    fake.add_synthetic(41000003, TODAY)
    fake.requests.clear()
    result = harvest("run", "--no-enrich", "--all")

    assert result.exit_code == 0, result.err
    assert result.out == "her2: ok, 1 found, 1 new\n"
    edat, mdat = fake.calls("esearch")
    assert (edat["datetype"], edat["mindate"], edat["maxdate"]) == (
        "edat", ymd(TODAY - dt.timedelta(days=2)), ymd(TODAY))
    assert (mdat["datetype"], mdat["mindate"], mdat["maxdate"]) == (
        "mdat", ymd(TODAY - dt.timedelta(days=2)), ymd(TODAY))
    # Only the new record was fetched; the March one was not asked for again.
    fetched_ids = [p for call in fake.calls("efetch") for p in _ids_of(call, fake)]
    assert fetched_ids == [41000003]
    after = rows(DB, "SELECT pmid, first_seen_at FROM article ORDER BY pmid")
    assert [r["pmid"] for r in after] == [41000001, 41000003]
    assert after[0] == before[0]


def test_due_queries_only_without_all(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01", schedule="daily")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    assert harvest("run", "--no-enrich").exit_code == 0
    fake.requests.clear()

    result = harvest("run", "--no-enrich", "-v")

    assert result.exit_code == 0
    assert fake.requests == []
    assert result.out == ""
    assert result.err.endswith(" INFO no saved query is due (use --all to run them anyway)\n")


def test_mdat_pass_updates_stored_rows(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    fake.add_synthetic(41000002, dt.date(2025, 3, 2))
    assert harvest("run", "--no-enrich").exit_code == 0
    # Stored long ago, so that an update in this run shows as a new updated_at.
    old = "2025-03-02T00:00:00Z"
    conn = sqlite3.connect(DB)
    with conn:
        conn.execute("UPDATE article SET first_seen_at = ?, updated_at = ?", (old, old))
    conn.close()

    # PubMed adds a CoiStatement after first indexing; the record's DateRevised moves to today.
    fake.add_synthetic(41000001, dt.date(2025, 3, 1), mdat=TODAY,
                       coi="<b>Declaration of interests</b> A.B. is a consultant for Roche.")
    # A record modified today that this database never stored is not pulled in by mdat.
    fake.add_synthetic(41000099, dt.date(2024, 1, 5), mdat=TODAY)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = harvest("run", "--no-enrich", "--all")
    finished = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert result.exit_code == 0, result.err
    assert result.out == "her2: ok, 0 found, 0 new, 1 changed\n"
    after = rows(DB, "SELECT pmid, coi_statement, first_seen_at, updated_at FROM articles "
                     "ORDER BY pmid")
    updated_at = after[0]["updated_at"]
    assert started <= updated_at <= finished  # stamped by this run
    assert after == [
        {"pmid": 41000001,
         "coi_statement": "Declaration of interests A.B. is a consultant for Roche.",
         "first_seen_at": old, "updated_at": updated_at},
        {"pmid": 41000002, "coi_statement": None, "first_seen_at": old, "updated_at": old}]
    assert rows(DB, "SELECT count(*) AS n FROM article")[0]["n"] == 2
    mdat_fetch = fake.calls("efetch")[-1]
    assert mdat_fetch["id"] == "41000001"


def test_unchanged_records_in_the_overlap_are_not_rewritten(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, TODAY)
    assert harvest("run", "--no-enrich").exit_code == 0
    [before] = rows(DB, "SELECT * FROM article")

    result = harvest("run", "--no-enrich", "--all")

    assert result.out == ""  # nothing new: cron stays quiet
    assert rows(DB, "SELECT * FROM article") == [before]
    assert rows(DB, "SELECT query FROM query_match") == [{"query": "her2"}]


def test_count_above_the_cap_is_split_into_windows(workdir, fake, harvest):
    write_query(workdir / "queries", "big", start="2025-01-01")
    # 12,000 records over six days: more than esearch's 9,999, so the window must be split.
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=d) for d in range(6)]
    pmid = 41100000
    for day in days:
        for _ in range(2000):
            pmid += 1
            fake.add_synthetic(pmid, day)
    result = harvest("run", "--no-enrich", "--since", "2025-01-01")

    assert result.exit_code == 0, result.err
    assert result.out == "big: ok, 12000 found, 12000 new\n"
    assert rows(DB, "SELECT count(*) AS n, min(pmid) AS lo, max(pmid) AS hi FROM article") == [
        {"n": 12000, "lo": 41100001, "hi": 41112000}]
    [ledger] = rows(DB, "SELECT windows FROM run_queries")
    windows = json.loads(ledger["windows"])
    spans = [(dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"]))
             for w in windows]
    # The windows tile 2025-01-01..today: no gap, no overlap, in order.
    assert spans[0][0] == dt.date(2025, 1, 1) and spans[-1][1] == TODAY
    assert all(start <= end for start, end in spans)
    assert [start for start, _ in spans[1:]] == [end + dt.timedelta(days=1)
                                                 for _, end in spans[:-1]]
    # Each window's count is what the server holds in it (2,000 a day), and none is over the
    # cap: the six days with records were split across more than one window.
    assert [w["count"] for w in windows] == [
        2000 * sum(start <= day <= end for day in days) for start, end in spans]
    assert all(w["count"] <= 9999 for w in windows)
    assert len([w for w in windows if w["count"]]) >= 2
    assert {w["datetype"] for w in windows} == {"edat"}
    searches = [(c["mindate"], c["maxdate"]) for c in fake.calls("esearch")]
    assert searches[0] == ("2025/01/01", ymd(TODAY))
    # Every window the ledger names was searched as such.
    assert {(ymd(start), ymd(end)) for start, end in spans} <= set(searches)


def test_a_single_day_above_the_cap_is_an_error(workdir, fake, harvest):
    write_query(workdir / "queries", "flood", start="2025-01-01")
    for pmid in range(41200001, 41200001 + 10000):
        fake.add_synthetic(pmid, dt.date(2025, 1, 2))

    result = harvest("run", "--no-enrich", "--since", "2025-01-01")

    assert result.exit_code == 1
    message = ("edat 2025-01-02 alone matches 10000 records, more than PubMed's esearch cap of "
               "9999; narrow the term of query 'flood'")
    assert result.out == f"flood: failed, 0 found, 0 new: {message}\n"
    assert rows(DB, "SELECT count(*) AS n FROM article") == [{"n": 0}]
    [state] = rows(DB, "SELECT collected_through, last_status, last_error FROM query_state")
    assert state == {"collected_through": None, "last_status": "failed", "last_error": message}
    assert rows(DB, "SELECT status FROM runs") == [{"status": "failed"}]


def test_pmids_missing_from_efetch_are_asked_again_then_recorded(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    fake.add_synthetic(41000002, dt.date(2025, 3, 2))
    fake.withheld = {41000002}

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0
    assert result.out == "her2: ok, 2 found, 1 new, 1 missing\n"
    retry = fake.calls("efetch")[-1]
    assert retry["id"] == "41000002"
    assert rows(DB, "SELECT missing FROM run_queries") == [{"missing": "[41000002]"}]
    assert rows(DB, "SELECT pmid, query, attempts FROM missing_pmid") == [
        {"pmid": 41000002, "query": "her2", "attempts": 1}]

    # Next run, PubMed returns it: it is stored and no longer missing.
    fake.withheld = set()
    result = harvest("run", "--no-enrich", "--all")
    assert result.out == "her2: ok, 0 found, 1 new\n"
    assert [r["pmid"] for r in rows(DB, "SELECT pmid FROM articles ORDER BY pmid")] == [
        41000001, 41000002]
    assert rows(DB, "SELECT * FROM missing_pmid") == []


def test_one_failing_query_does_not_stop_the_others(workdir, fake, harvest):
    write_query(workdir / "queries", "a-good", start="2025-01-01", term="good")
    write_query(workdir / "queries", "b-bad", start="2025-01-01", term="bad")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1), terms={"good"})
    fake.broken_terms["bad"] = Fault(body=ESEARCH_BACKEND_ERROR)

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    lines = result.out.splitlines()
    assert lines[0] == "a-good: ok, 1 found, 1 new"
    assert lines[1] == ("b-bad: failed, 0 found, 0 new: esearch edat "
                        f"2025-01-01..{TODAY}: E-utilities error: Search Backend failed: "
                        "timeout (gave up after 4 attempts)")
    assert len([c for c in fake.calls("esearch") if c["term"] == "bad"]) == 4
    assert rows(DB, "SELECT query, status FROM run_queries ORDER BY query") == [
        {"query": "a-good", "status": "ok"}, {"query": "b-bad", "status": "failed"}]
    assert rows(DB, "SELECT status FROM runs") == [{"status": "partial"}]
    assert rows(DB, "SELECT queries FROM articles") == [{"queries": '["a-good"]'}]


ESEARCH_BACKEND_ERROR = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD '
    'esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
    "<eSearchResult><ERROR>Search Backend failed: timeout</ERROR></eSearchResult>\n")


def _ids_of(call: dict, fake) -> list[int]:
    if "id" in call:
        return [int(p) for p in call["id"].split(",")]
    ids = fake.webenvs[call["WebEnv"]]
    start = int(call["retstart"])
    return ids[start:start + int(call["retmax"])]


def test_raw_xml_is_kept_compressed_and_rebuilds_the_row(workdir, fake, harvest):
    import zlib
    from harvester.sources.pubmed_xml import parse_efetch
    from tests.fake_eutils import FIXTURES
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_file(FIXTURES / "pubmed" / "structured_markup.xml")
    assert harvest("run", "--no-enrich").exit_code == 0

    [row] = rows(DB, "SELECT pubmed_xml, title, coi_statement FROM article")
    raw = zlib.decompress(row["pubmed_xml"])
    assert raw in (FIXTURES / "pubmed" / "structured_markup.xml").read_bytes()
    [rebuilt] = parse_efetch([b"<PubmedArticleSet>" + raw + b"</PubmedArticleSet>"])
    assert (rebuilt["title"], rebuilt["coi_statement"]) == (row["title"], row["coi_statement"])


def test_full_text_index_follows_inserts_and_updates(workdir, fake, harvest):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1),
                       title="Trastuzumab resistance in gastric cancer.")
    fake.add_synthetic(41000002, dt.date(2025, 3, 2), title="Pembrolizumab in melanoma.")
    assert harvest("run", "--no-enrich").exit_code == 0
    match = ("SELECT a.pmid FROM article_fts JOIN article a ON a.id = article_fts.rowid "
             "WHERE article_fts MATCH ? ORDER BY a.pmid")
    assert rows(DB, match, ("trastuzumab",)) == [{"pmid": 41000001}]
    assert rows(DB, match, ("tumour",)) == [{"pmid": 41000001}, {"pmid": 41000002}]  # stemmed

    fake.add_synthetic(41000001, dt.date(2025, 3, 1), mdat=TODAY,
                       title="Zanidatamab resistance in gastric cancer.")
    assert harvest("run", "--no-enrich", "--all").exit_code == 0
    assert rows(DB, match, ("trastuzumab",)) == []
    assert rows(DB, match, ("zanidatamab",)) == [{"pmid": 41000001}]
    # FTS5's own check of the index against the article table raises if they disagree.
    conn = sqlite3.connect(DB)
    conn.execute("INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()


def test_a_record_efetch_was_not_asked_for_is_left_out(workdir, fake, harvest):
    from tests.fake_eutils import PUBMED_DOCTYPE, synthetic_article
    write_query(workdir / "queries", "her2", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    stray = synthetic_article(41999999, dt.date(2025, 3, 1))
    fake.fail("efetch", Fault(200, f"{PUBMED_DOCTYPE}<PubmedArticleSet>"
                                   f"{fake.records[41000001].xml}{stray}</PubmedArticleSet>"))

    result = harvest("run", "--no-enrich")

    assert result.out == "her2: ok, 1 found, 1 new\n"
    assert "her2: efetch returned PMID 41999999, which was not asked for; left out" in result.err
    assert rows(DB, "SELECT pmid FROM articles") == [{"pmid": 41000001}]
