"""One article per DOI, whichever source sees it first: Crossref, a feed, PubMed."""

from __future__ import annotations

import datetime as dt
import sqlite3

from tests.conftest import rows, write_query
from tests.fake_crossref import crossref_work

EDAT = dt.date(2025, 11, 20)
PMID = 40000004
DOI = "10.1016/j.ccell.2025.4"  # the synthetic PubMed record's DOI (tests/fake_eutils.py)
PUBMED_TITLE = f"Synthetic ERBB2 record {PMID}."


def queries(workdir, *kinds):
    folder = workdir / "queries"
    if "pubmed" in kinds:
        write_query(folder, "pm", term="cancer cell[ta]", start="2025-11-01")
    if "crossref" in kinds:
        write_query(folder, "cc", source="crossref", issn="1535-6108", start="2025-11-01")


def the_article(workdir) -> dict:
    [row] = rows(workdir / "data" / "harvest.db",
                 "SELECT a.pmid, a.doi, a.title, a.metadata_source, a.first_seen_at, v.queries, "
                 "v.authors, (SELECT count(*) FROM crossref_record) AS crossref_records "
                 "FROM article a JOIN articles v ON v.doi = a.doi")
    return row


def test_crossref_first_then_pubmed(workdir, harvest, fake, crossref):
    crossref.add(crossref_work(DOI.upper(), "Crossref's title", dt.date(2025, 11, 18)))
    queries(workdir, "crossref")
    assert harvest("run", "--no-enrich").exit_code == 0
    first = the_article(workdir)
    assert (first["pmid"], first["metadata_source"]) == (None, "crossref")

    fake.add_synthetic(PMID, EDAT)
    queries(workdir, "pubmed")
    result = harvest("run", "--no-enrich", "--query", "pm")

    assert result.exit_code == 0, result.err
    assert result.out == "pm: ok, 1 found, 0 new, 1 already stored\n"
    assert the_article(workdir) == {
        "pmid": PMID, "doi": DOI, "title": PUBMED_TITLE, "metadata_source": "pubmed",
        "first_seen_at": first["first_seen_at"], "queries": '["cc","pm"]',
        "authors": '["Rossi MC","Okafor C"]', "crossref_records": 1}


def test_pubmed_first_then_crossref(workdir, harvest, fake, crossref):
    fake.add_synthetic(PMID, EDAT)
    queries(workdir, "pubmed")
    assert harvest("run", "--no-enrich").exit_code == 0
    first = the_article(workdir)

    crossref.add(crossref_work(DOI.upper(), "Crossref's title", dt.date(2025, 11, 18)))
    queries(workdir, "crossref")
    result = harvest("run", "--no-enrich", "--query", "cc")

    assert result.exit_code == 0, result.err
    # PubMed's fields win; Crossref only adds what PubMed lacks (the landing-page URL)
    assert result.out == "cc: ok, 1 found, 0 new, 1 already stored\n"
    assert the_article(workdir) == {
        "pmid": PMID, "doi": DOI, "title": PUBMED_TITLE, "metadata_source": "pubmed",
        "first_seen_at": first["first_seen_at"], "queries": '["cc","pm"]',
        "authors": '["Rossi MC","Okafor C"]', "crossref_records": 1}


def test_feed_first_then_crossref_then_pubmed_by_doi(workdir, harvest, fake, crossref, feeds):
    feeds.serve("f", body=f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel>
<title>t</title><link>https://x.org</link><description>d</description>
<item><title>The feed's title</title><link>https://x.org/a</link>
<prism:doi>https://doi.org/{DOI.upper()}</prism:doi><pubDate>Tue, 18 Nov 2025 10:00:00 GMT</pubDate>
</item></channel></rss>""".encode())
    write_query(workdir / "queries", "f", source="feed", urls=[feeds.url("f")])
    assert harvest("run", "--no-enrich").exit_code == 0
    first = the_article(workdir)
    assert (first["pmid"], first["title"], first["metadata_source"]) == (
        None, "The feed's title", "feed")

    # Crossref registers it: the next run of the feed query fills it in (the feed answers 304).
    crossref.add(crossref_work(DOI, "Crossref's title", dt.date(2025, 11, 18)))
    assert harvest("run", "--no-enrich", "--all").exit_code == 0
    assert the_article(workdir)["title"] == "Crossref's title"

    # PubMed indexes it: found by DOI on the next run, without any PubMed query.
    fake.add_synthetic(PMID, EDAT)
    result = harvest("run", "--no-enrich", "--all")

    assert result.exit_code == 0, result.err
    assert result.out == "PubMed: 1 articles seen first through Crossref or a feed are now indexed\n"
    assert the_article(workdir) == {
        "pmid": PMID, "doi": DOI, "title": PUBMED_TITLE, "metadata_source": "pubmed",
        "first_seen_at": first["first_seen_at"], "queries": '["f"]',
        "authors": '["Rossi MC","Okafor C"]', "crossref_records": 1}
    # looked up once a run, until found
    assert [c["term"] for c in fake.calls("esearch")] == [f'"{DOI}"[doi]'] * 3


def test_pubmed_lookups_by_doi_stop_after_90_days(workdir, harvest, fake, crossref):
    crossref.add(crossref_work(DOI, "Crossref's title", dt.date(2025, 11, 18)))
    queries(workdir, "crossref")
    assert harvest("run", "--no-enrich").exit_code == 0
    assert [c["term"] for c in fake.calls("esearch")] == [f'"{DOI}"[doi]']
    conn = sqlite3.connect(workdir / "data" / "harvest.db")
    with conn:
        conn.execute("UPDATE article SET first_seen_at = ?",
                     ((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=91))
                      .strftime("%Y-%m-%dT%H:%M:%SZ"),))
    conn.close()
    fake.requests.clear()
    fake.add_synthetic(PMID, EDAT)

    assert harvest("run", "--no-enrich", "--all").exit_code == 0
    assert fake.calls("esearch") == []
    assert the_article(workdir)["pmid"] is None


def test_many_dois_go_in_one_lookup_and_only_matching_records_join(workdir, harvest, fake,
                                                                   crossref):
    dois = [f"10.1016/j.ccell.2025.{n}" for n in (4, 5, 6)]
    for n, doi in enumerate(dois):
        crossref.add(crossref_work(doi, f"Paper {n}", dt.date(2025, 11, 18)))
    fake.add_synthetic(40000005, EDAT)  # DOI 10.1016/j.ccell.2025.5
    queries(workdir, "crossref")

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    [lookup] = fake.calls("esearch")
    assert lookup["term"] == " OR ".join(f'"{d}"[doi]' for d in dois)
    assert rows(workdir / "data" / "harvest.db", "SELECT pmid, doi FROM article ORDER BY doi") == [
        {"pmid": None, "doi": dois[0]}, {"pmid": 40000005, "doi": dois[1]},
        {"pmid": None, "doi": dois[2]}]


def test_articles_without_pmid_are_enriched(workdir, harvest, fake, crossref, oa):
    crossref.add(crossref_work(DOI, "Crossref's title", dt.date(2025, 11, 18)))
    oa.add_unpaywall("bronze_cellpress_2025.json", doi=DOI)
    queries(workdir, "crossref")

    result = harvest("run")

    assert result.exit_code == 0, (result.out, result.err)
    # Unpaywall by DOI; no PubMed statement and no PMC full text: not found (re-checked later)
    [row] = rows(workdir / "data" / "harvest.db",
                 "SELECT pmid, doi, oa_status, coi_status FROM articles")
    assert row == {"pmid": None, "doi": DOI, "oa_status": "bronze", "coi_status": "not_found"}
    assert [c["doi"] for name, c in oa.requests if name == "unpaywall"] == [DOI]


def test_a_pubmed_revision_that_gains_a_doi_folds_the_crossref_article_in(workdir, harvest,
                                                                          fake, crossref):
    """Found by the property test (seed 5): PubMed first sends the record without its DOI, so
    it is an article of its own; the revision brings the DOI a Crossref article has."""
    import re
    from tests.fake_eutils import synthetic_article
    today = dt.datetime.now(dt.timezone.utc).date()
    without_doi = re.sub(r'<ELocationID EIdType="doi"[^<]*</ELocationID>|<ArticleId IdType="doi">'
                         r'[^<]*</ArticleId>', "", synthetic_article(PMID, EDAT))
    fake.add(without_doi)
    crossref.add(crossref_work(DOI, "Crossref's title", dt.date(2025, 11, 18)))
    queries(workdir, "pubmed", "crossref")
    assert harvest("run", "--no-enrich").exit_code == 0
    assert rows(workdir / "data" / "harvest.db", "SELECT count(*) AS n FROM article") == [
        {"n": 2}]

    fake.add_synthetic(PMID, EDAT, mdat=today)  # the revision, with its DOI
    assert harvest("run", "--no-enrich", "--all").exit_code == 0
    assert rows(workdir / "data" / "harvest.db",
                "SELECT pmid, doi, title, metadata_source, "
                "(SELECT count(*) FROM crossref_record) AS crossref_records, "
                "(SELECT json_group_array(query) FROM query_match) AS queries FROM article") == [
        {"pmid": PMID, "doi": DOI, "title": PUBMED_TITLE, "metadata_source": "pubmed",
         "crossref_records": 1, "queries": '["cc","pm"]'}]
