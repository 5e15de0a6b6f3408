"""`harvest run` with feed queries against loopback feeds: RSS 2.0 and RDF with dc:/prism:,
conditional GET, bot challenges, pages that are not feeds, entries without DOIs."""

from __future__ import annotations

import json
import re
import sqlite3

from tests.conftest import rows, write_query
from tests.fake_crossref import FIXTURES

INPRESS, CURRENT = "inpress.rss", "current.rss"
DOI_A = "10.1016/j.ccell.2025.11.004"  # in press, then in the current issue
DOI_B = "10.1016/j.ccell.2025.10.007"  # DOI only in its doi.org link; registered at Crossref
DOI_D = "10.1016/j.ccell.2025.11.011"  # current issue, dc:identifier only
LINK_C = "https://www.cell.com/cancer-cell/fulltext/S1535-6108(25)00431-4"  # no DOI at all


def feed_query(workdir, feeds, *names, **keys):
    return write_query(workdir / "queries", "cc-feed", source="feed",
                       urls=[feeds.url(n) for n in names], **keys)


def serve_both(feeds):
    feeds.serve(INPRESS, "cancer_cell_inpress.rdf", content_type="application/rdf+xml")
    feeds.serve(CURRENT, "cancer_cell_current.rss", etag=None)


def crossref_fixture() -> dict:
    return json.loads((FIXTURES / "crossref" / "work_cancer_cell.json").read_text())["message"]


def test_two_feeds_give_one_row_per_article(workdir, harvest, fake, crossref, feeds):
    serve_both(feeds)
    crossref.add(crossref_fixture())  # DOI_B is registered; the others are not yet
    feed_query(workdir, feeds, INPRESS, CURRENT)

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert result.out == "cc-feed: ok, 5 found, 4 new\n"
    assert f"cc-feed: entry without a DOI, stored by its link: {LINK_C}" in result.err
    db = workdir / "data" / "harvest.db"
    assert rows(db, "SELECT doi, url, title, abstract, journal, epub_date, metadata_source, "
                    "(SELECT json_group_array(last_name || ' ' || coalesce(initials, '')) FROM "
                    "article_author WHERE article_id = a.id) AS authors, "
                    "(SELECT json_group_array(query) FROM query_match WHERE article_id = a.id) "
                    "AS queries FROM article a ORDER BY id") == [
        {"doi": DOI_A, "url": "https://www.cell.com/cancer-cell/fulltext/S1535-6108(25)00412-0",
         "title": "ERBB2-amplified gastric cancers evade T cells through MHC-I loss",
         "abstract": "Chen et al. show that HER2 blockade restores antigen presentation & T cell "
                     "infiltration.",
         "journal": "Cancer Cell", "epub_date": "2025-11-28", "metadata_source": "feed",
         "authors": '["Chen M","Bakare O","Solberg I","Ruiz-Peña T"]',
         "queries": '["cc-feed"]'},
        {"doi": DOI_B, "url": "https://doi.org/10.1016/j.ccell.2025.10.007",
         "title": "Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in "
                  "early-stage lung adenocarcinoma",
         # Crossref's abstract (fixtures/crossref/work_cancer_cell.json) replaced the feed's
         # summary: Crossref ranks above feeds.
         "abstract": "Clonal hematopoiesis of indeterminate potential (CHIP) is common in "
                     "patients with lung cancer. Using paired blood and tumor sequencing from "
                     "486 patients, we show that TET2-mutant monocytes accumulate in tumors & "
                     "express IL-1\u03b2.",
         "journal": "Cancer Cell", "epub_date": "2025-11-10", "metadata_source": "crossref",
         "authors": '["Ferreira-Lam J","Adeyemi T","Kowalczyk R",null]',
         "queries": '["cc-feed"]'},
        {"doi": None, "url": LINK_C,
         "title": "Tumour-intrinsic STING silencing in HER2-positive breast cancer",
         "abstract": "Preview: epigenetic STING loss", "journal": "Cancer Cell",
         "epub_date": "2025-11-29", "metadata_source": "feed", "authors": '["Duarte A"]',
         "queries": '["cc-feed"]'},
        {"doi": DOI_D, "url": "https://www.cell.com/cancer-cell/fulltext/S1535-6108(25)00440-5",
         "title": "Spatial atlas of the premalignant pancreas",
         "abstract": "Resource: a spatial atlas", "journal": None,
         "epub_date": "2025-12-08", "metadata_source": "feed", "authors": '["Mensah K"]',
         "queries": '["cc-feed"]'},
    ]
    entries = rows(db, "SELECT feed_url, doi, published_at, section FROM feed_entry ORDER BY id")
    assert entries == [
        {"feed_url": feeds.url(INPRESS), "doi": DOI_A, "published_at": "2025-11-28T04:30:00Z",
         "section": "Article"},
        {"feed_url": feeds.url(INPRESS), "doi": DOI_B, "published_at": "2025-11-10T08:00:00Z",
         "section": "Article"},
        {"feed_url": feeds.url(INPRESS), "doi": None, "published_at": "2025-11-29T09:00:00Z",
         "section": "Preview"},
        {"feed_url": feeds.url(CURRENT), "doi": DOI_A, "published_at": "2025-12-08T00:00:00Z",
         "section": "Article"},
        {"feed_url": feeds.url(CURRENT), "doi": DOI_D, "published_at": "2025-12-08T00:00:00Z",
         "section": "Resource"},
    ]
    # Crossref was asked for the three DOIs; two are not registered yet and are kept as they are
    assert sorted(c["doi"].lower() for name, c in crossref.requests if name == "work") == sorted(
        [DOI_A, DOI_B, DOI_D])


def test_the_second_fetch_is_conditional_and_304_is_nothing_new(workdir, harvest, fake,
                                                                 crossref, feeds):
    serve_both(feeds)
    feed_query(workdir, feeds, INPRESS, CURRENT)
    assert harvest("run", "--no-enrich").exit_code == 0
    feeds.requests.clear()

    result = harvest("run", "--no-enrich", "--all")

    assert result.exit_code == 0, result.err
    assert result.out == ""
    assert [(name, {k: v for k, v in h.items() if k != "User-Agent"})
            for name, h in feeds.requests] == [
        (INPRESS, {"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 01 Dec 2025 06:00:00 GMT"}),
        (CURRENT, {"If-Modified-Since": "Mon, 01 Dec 2025 06:00:00 GMT"}),
    ]
    db = workdir / "data" / "harvest.db"
    assert rows(db, "SELECT url, etag, status, http_status, entries, error FROM feed_state "
                    "ORDER BY url") == [
        {"url": feeds.url(CURRENT), "etag": None, "status": "not_modified", "http_status": 304,
         "entries": None, "error": None},
        {"url": feeds.url(INPRESS), "etag": '"v1"', "status": "not_modified", "http_status": 304,
         "entries": None, "error": None},
    ]
    last = rows(db, "SELECT windows FROM run_queries ORDER BY run_id DESC LIMIT 1")[0]
    assert json.loads(last["windows"]) == [
        {"url": feeds.url(INPRESS), "status": "not_modified", "entries": 0, "kept": 0},
        {"url": feeds.url(CURRENT), "status": "not_modified", "entries": 0, "kept": 0}]
    assert rows(db, "SELECT count(*) AS n FROM article") == [{"n": 4}]


def test_a_bot_challenge_is_blocked_not_empty(workdir, harvest, fake, crossref, feeds):
    challenge = (FIXTURES / "feeds" / "challenge.html").read_bytes()
    feeds.serve("as403", body=challenge, status=403, content_type="text/html; charset=UTF-8",
                etag=None, last_modified=None, headers={"cf-mitigated": "challenge"})
    feeds.serve("as200", body=challenge, status=200, content_type="text/html; charset=UTF-8",
                etag=None, last_modified=None)
    feeds.serve(CURRENT, "cancer_cell_current.rss")
    feed_query(workdir, feeds, "as403", CURRENT, "as200")

    result = harvest("run", "--no-enrich")

    blocked = ("blocked by a bot challenge (HTTP {}, a 'Just a moment...' page): the site refuses "
               "automated clients; a crossref query can cover this journal instead")
    assert result.exit_code == 1
    assert result.out == (
        f"cc-feed: failed, 2 found, 2 new: {feeds.url('as403')}: "
        f"{blocked.format(403)}; {feeds.url('as200')}: {blocked.format(200)}\n")
    assert "Traceback" not in result.err
    db = workdir / "data" / "harvest.db"
    assert rows(db, "SELECT url, status, error FROM feed_state ORDER BY url") == [
        {"url": feeds.url("as200"), "status": "blocked",
         "error": f"{feeds.url('as200')}: {blocked.format(200)}"},
        {"url": feeds.url("as403"), "status": "blocked",
         "error": f"{feeds.url('as403')}: {blocked.format(403)}"},
        {"url": feeds.url(CURRENT), "status": "ok", "error": None},
    ]
    # the feed that answered is stored all the same
    assert rows(db, "SELECT count(*) AS n FROM article") == [{"n": 2}]
    [ledger] = rows(db, "SELECT status, windows FROM run_queries")
    assert ledger["status"] == "failed"
    assert [w["status"] for w in json.loads(ledger["windows"])] == ["blocked", "ok", "blocked"]
    # challenges are not retried: one request each
    assert [name for name, _ in feeds.requests] == ["as403", CURRENT, "as200"]


def test_responses_that_are_not_feeds_are_errors(workdir, harvest, fake, crossref, feeds):
    feeds.serve("html", body=b"<!DOCTYPE html><html><body>Moved</body></html>",
                content_type="text/html")
    feeds.serve("broken", body=b"<?xml version='1.0'?><rss version='2.0'><channel><item><title>x",
                content_type="application/xml")
    feed_query(workdir, feeds, "html", "broken", "missing")

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 1
    html = f"{feeds.url('html')}: an HTML page (HTTP 200), not a feed; check the feed address"
    missing = (f"{feeds.url('missing')}: an HTML page (HTTP 404), not a feed; check the feed "
               "address")
    broken = (rf"{re.escape(feeds.url('broken'))}: malformed or truncated feed XML \(.+\) \(gave up after 4 attempts\)")
    assert re.fullmatch(rf"cc-feed: failed, 0 found, 0 new: {re.escape(html)}; "
                        rf"{broken}; {re.escape(missing)}\n", result.out), result.out
    assert rows(workdir / "data" / "harvest.db", "SELECT count(*) AS n FROM article") == [{"n": 0}]


def test_a_feed_with_a_glitch_is_read_with_a_warning(workdir, harvest, fake, crossref, feeds):
    body = (FIXTURES / "feeds" / "cancer_cell_current.rss").read_bytes().replace(
        b"Volume 43, Issue 12", b"Volume 43&nbsp;Issue 12")  # an HTML entity XML does not know
    assert b"&nbsp;" in body  # the glitch is really there
    feeds.serve(CURRENT, body=body)
    feed_query(workdir, feeds, CURRENT)

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert result.out == "cc-feed: ok, 2 found, 2 new\n"
    [ledger] = rows(workdir / "data" / "harvest.db", "SELECT warnings FROM run_queries")
    [warning] = json.loads(ledger["warnings"])
    assert warning.startswith(f"{feeds.url(CURRENT)}: feed has a glitch but was read (")


def test_keywords_keep_only_matching_entries(workdir, harvest, fake, crossref, feeds):
    serve_both(feeds)
    feed_query(workdir, feeds, INPRESS, CURRENT, keywords=["HER2", "pancreas"])

    result = harvest("run", "--no-enrich")

    assert result.exit_code == 0, result.err
    assert sorted((r["doi"] or r["url"]) for r in rows(
        workdir / "data" / "harvest.db", "SELECT doi, url FROM article")) == [
        DOI_A, DOI_D, LINK_C]


def test_an_entry_without_doi_is_linked_when_its_doi_appears(workdir, harvest, fake, crossref,
                                                             feeds):
    rdf = (FIXTURES / "feeds" / "cancer_cell_inpress.rdf").read_text()
    feeds.serve(INPRESS, body=rdf.encode(), etag='"v1"')
    feeds.serve(CURRENT, "cancer_cell_current.rss", etag='"c1"')
    feed_query(workdir, feeds, INPRESS, CURRENT)
    assert harvest("run", "--no-enrich").exit_code == 0
    db = workdir / "data" / "harvest.db"
    [before] = rows(db, "SELECT id, first_seen_at FROM article WHERE url = ?", (LINK_C,))

    # The in-press entry now carries a DOI, and the current issue lists the same article too.
    doi_c = "10.1016/j.ccell.2025.11.031"
    with_doi = rdf.replace("<prism:section>Preview</prism:section>",
                           f"<prism:section>Preview</prism:section><prism:doi>{doi_c}</prism:doi>")
    assert with_doi.count(doi_c) == 1  # the entry really gained its DOI
    feeds.serve(INPRESS, body=with_doi.encode(), etag='"v2"')
    result = harvest("run", "--no-enrich", "--all")

    assert result.exit_code == 0, result.err
    assert rows(db, "SELECT id, doi, url, first_seen_at FROM article WHERE url = ?",
                (LINK_C,)) == [{"id": before["id"], "doi": doi_c, "url": LINK_C,
                                "first_seen_at": before["first_seen_at"]}]
    assert rows(db, "SELECT count(*) AS n FROM article") == [{"n": 4}]


def test_a_doi_less_entry_folds_into_the_article_that_has_its_doi(workdir, harvest, fake,
                                                                  crossref, feeds):
    rdf = (FIXTURES / "feeds" / "cancer_cell_inpress.rdf").read_text()
    feeds.serve(INPRESS, body=rdf.encode(), etag='"v1"')
    feed_query(workdir, feeds, INPRESS)
    assert harvest("run", "--no-enrich").exit_code == 0
    db = workdir / "data" / "harvest.db"
    conn = sqlite3.connect(db)
    with conn:  # seen a while ago, so that "the earliest sighting" is not a tie
        conn.execute("UPDATE article SET first_seen_at = '2025-11-29T10:00:00Z' WHERE url = ?",
                     (LINK_C,))
    conn.close()
    [link_row] = rows(db, "SELECT id, first_seen_at FROM article WHERE url = ?", (LINK_C,))

    # Another query's feed lists the same article under another link, with its DOI.
    doi_c = "10.1016/j.ccell.2025.11.031"
    feeds.serve("other", body=f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel>
<title>t</title><link>https://x.org</link><description>d</description>
<item><title>STING silencing</title><link>https://x.org/sting</link>
<prism:doi>{doi_c}</prism:doi></item></channel></rss>""".encode())
    write_query(workdir / "queries", "other", source="feed", urls=[feeds.url("other")])
    assert harvest("run", "--no-enrich", "--query", "other").exit_code == 0
    [doi_row] = rows(db, "SELECT id FROM article WHERE doi = ?", (doi_c,))

    # Then the in-press entry gets the DOI: one article, both queries, the earliest sighting.
    with_doi = rdf.replace("<prism:section>Preview</prism:section>",
                           f"<prism:section>Preview</prism:section><prism:doi>{doi_c}</prism:doi>")
    assert with_doi.count(doi_c) == 1  # the entry really gained its DOI
    feeds.serve(INPRESS, body=with_doi.encode(), etag='"v2"')
    assert harvest("run", "--no-enrich", "--query", "cc-feed").exit_code == 0

    assert rows(db, "SELECT a.id, a.doi, a.first_seen_at, v.queries FROM article a "
                    "JOIN articles v ON v.doi = a.doi WHERE a.doi = ?", (doi_c,)) == [
        {"id": doi_row["id"], "doi": doi_c, "first_seen_at": "2025-11-29T10:00:00Z",
         "queries": '["cc-feed","other"]'}]
    assert rows(db, "SELECT count(*) AS n FROM article WHERE id = ?", (link_row["id"],)) == [
        {"n": 0}]
    assert rows(db, "SELECT count(*) AS n FROM feed_entry WHERE article_id = ?",
                (doi_row["id"],)) == [{"n": 2}]
