"""Notices (#15): every retraction, correction, expression of concern and update is linked to
its original in either arrival order, once; a notice that arrives later reaches the run line,
the status, the digest's "Changed since you covered it" and a consumer export, once."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3

import pytest

from tests.conftest import browser_page, rows, write_query
from tests.fake_crossref import FIXTURES as CROSSREF_FIXTURES, crossref_work
from tests.fake_eutils import FIXTURES

DB = "data/harvest.db"
PUBMED = FIXTURES / "pubmed"
TODAY = dt.datetime.now(dt.timezone.utc).date()
LINKS = ("SELECT kind, original_pmid, notice_pmid, source, detail, "
         "(SELECT pmid FROM article WHERE id = n.article_id) AS original_article, "
         "(SELECT pmid FROM article WHERE id = n.notice_article_id) AS notice_article "
         "FROM notice n ORDER BY kind, original_pmid, notice_pmid")


def harvest_in_order(workdir, harvest, fake, fixture: str, order: list[int]) -> list[dict]:
    """Each PMID of the fixture in a run of its own, in this order; the links stored then."""
    records = {r.pmid: r for r in fake.add_file(PUBMED / fixture)}
    fake.records.clear()
    write_query(workdir / "queries", "all", start="2000-01-01")
    for pmid in order:
        fake.records[pmid] = records[pmid]
        result = harvest("run", "--no-enrich", "--all", "--since", "2000-01-01")
        assert result.exit_code == 0, result.out + result.err
    return rows(DB, LINKS)


PUBMED_CASES = {
    # notice record, original record, what the link is: one row whichever came first
    "retraction": ("retraction_pair.xml", 41250331, 41013377, [
        {"kind": "retraction", "original_pmid": 41013377, "notice_pmid": 41250331,
         "source": "pubmed", "original_article": 41013377, "notice_article": 41250331}]),
    "expression of concern": ("erratum_concern.xml", 41170288, 41066904, [
        {"kind": "expression_of_concern", "original_pmid": 41066904, "notice_pmid": 41170288,
         "source": "pubmed", "original_article": 41066904, "notice_article": 41170288}]),
    "update": ("update_republished.xml", 41201764, 41031870, [
        {"kind": "update", "original_pmid": 41031870, "notice_pmid": 41201764,
         "source": "pubmed", "original_article": 41031870, "notice_article": 41201764}]),
    "retracted and republished": ("update_republished.xml", 41158831, 41052219, [
        {"kind": "retraction", "original_pmid": 41052219, "notice_pmid": 41158831,
         "source": "pubmed", "original_article": 41052219, "notice_article": 41158831}]),
}


@pytest.mark.parametrize("notice_first", [True, False], ids=["notice first", "original first"])
@pytest.mark.parametrize("case", PUBMED_CASES.values(), ids=PUBMED_CASES.keys())
def test_pubmed_links_in_either_order(workdir, harvest, fake, case, notice_first):
    fixture, notice, original, expected = case
    order = [notice, original] if notice_first else [original, notice]
    links = harvest_in_order(workdir, harvest, fake, fixture, order)
    # the pair's own link, without the detail (which RefType stated it depends on the order)
    got = [{k: v for k, v in link.items() if k != "detail"} for link in links
           if {link["original_pmid"], link["notice_pmid"]} == {notice, original}]
    assert got == expected


def test_errata_without_their_own_record_are_listed_from_the_original(workdir, harvest, fake):
    links = harvest_in_order(workdir, harvest, fake, "erratum_concern.xml", [41066904])
    [row] = rows(DB, "SELECT notices FROM articles WHERE pmid = 41066904")
    notices = json.loads(row["notices"])
    assert [(n["type"], n["pmid"], n["source"]) for n in notices] == [
        ("correction", 41095512, "pubmed"), ("correction", None, "pubmed"),
        ("expression_of_concern", 41170288, "pubmed")]
    assert len(links) == 3


def test_the_same_link_read_from_both_records_is_one_row(workdir, harvest, fake):
    harvest_in_order(workdir, harvest, fake, "retraction_pair.xml", [41013377, 41250331])
    assert harvest("run", "--no-enrich", "--all", "--since", "2000-01-01").exit_code == 0
    assert rows(DB, "SELECT count(*) AS n FROM notice WHERE kind = 'retraction'") == [{"n": 1}]
    [row] = rows(DB, "SELECT notices FROM articles WHERE pmid = 41013377")
    assert json.loads(row["notices"]) == [
        {"type": "retraction", "pmid": 41250331, "doi": rows(
            DB, "SELECT doi FROM article WHERE pmid = 41250331")[0]["doi"],
         "date": None, "source": "pubmed"}]


def crossref_notice() -> dict:
    return json.loads((CROSSREF_FIXTURES / "crossref" / "notice_publisher.json").read_text())[
        "message"]


@pytest.mark.parametrize("notice_first", [True, False], ids=["notice first", "original first"])
def test_crossref_update_to_links_in_either_order(workdir, harvest, fake, crossref,
                                                  notice_first):
    notice = crossref_notice()
    original = crossref_work("10.1016/j.ccell.2023.12.005", "The retracted original",
                             dt.date(2025, 11, 18))
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    for work in ([notice, original] if notice_first else [original, notice]):
        crossref.add(work)
        assert harvest("run", "--no-enrich", "--all", "--since", "2025-11-01").exit_code == 0
    assert rows(DB, "SELECT kind, original_doi, notice_doi, date, source, detail, "
                    "(SELECT title FROM article WHERE id = n.article_id) AS original, "
                    "(SELECT doi FROM article WHERE id = n.notice_article_id) AS notice "
                    "FROM notice n") == [
        {"kind": "retraction", "original_doi": "10.1016/j.ccell.2023.12.005",
         "notice_doi": "10.1016/j.ccell.2025.11.002", "date": "2025-11-21",
         "source": "crossref", "detail": "retraction / publisher",
         "original": "The retracted original", "notice": "10.1016/j.ccell.2025.11.002"}]


def before_the_retraction(xml: str) -> str:
    """The original as PubMed had it before the retraction: no RetractionIn, not typed
    Retracted Publication."""
    xml = re.sub(r'<CommentsCorrections RefType="RetractionIn">.*?</CommentsCorrections>', "",
                 xml)
    return xml.replace('<PublicationType UI="D016441">Retracted Publication</PublicationType>', "")


def covered_then_retracted(workdir, harvest, fake):
    """The original harvested, put in a digest and exported to consumer "news"; then PubMed
    revises it with its RetractionIn and indexes the retraction notice. Returns the second
    run's result."""
    records = {r.pmid: r for r in fake.add_file(PUBMED / "retraction_pair.xml")}
    fake.records.clear()
    fake.add(before_the_retraction(records[41013377].xml))
    write_query(workdir / "queries", "sclc", start="2000-01-01")
    assert harvest("run", "--no-enrich").exit_code == 0
    assert harvest("digest", "--since", "2000-01-01", "-o", "d1.md").exit_code == 0
    assert "MYC-driven enhancer hijacking" in (workdir / "d1.md").read_text()
    assert harvest("export", "--consumer", "news", "-o", "e1.jsonl").exit_code == 0
    fake.add(records[41013377].xml)
    fake.add(records[41250331].xml)
    result = harvest("run", "--no-enrich", "--all", "--since", "2000-01-01")
    assert result.exit_code == 0, result.err
    return result


def test_a_retraction_that_arrives_after_the_article_was_covered(workdir, harvest, fake):
    result = covered_then_retracted(workdir, harvest, fake)
    assert result.out.splitlines()[-1] == "notices: 1 retraction for articles already stored"
    assert ("articles with notices: 1 retraction (the notices column of `articles`)\n"
            in harvest("status").out)

    assert harvest("digest", "--since", "2000-01-01", "-o", "d2.md").exit_code == 0
    digest = (workdir / "d2.md").read_text()
    changed = digest.split("## Changed since you covered it (1)\n\n")[1]
    assert changed.startswith(
        "### MYC-driven enhancer hijacking sustains ferroptosis escape in small cell lung "
        "cancer.\n\n*Cancer Cell* · 2024-01-08 · research  \n**Retraction**: "
        "[https://doi.org/10.1016/j.ccell.2025.11.002](<https://doi.org/10.1016/j.ccell.2025.11."
        "002>)  \n")
    # neither the retracted article nor the notice's own record is listed as new research
    assert "Nothing new." in digest and "Retraction Notice to" not in digest
    assert ("2 retracted articles or notice records left out of the new research." in digest)

    assert harvest("export", "--consumer", "news", "-o", "e2.jsonl").exit_code == 0
    records_out = [json.loads(line) for line in (workdir / "e2.jsonl").read_text().splitlines()]
    assert [(r["pmid"], r["redelivery"]) for r in records_out] == [
        (41250331, None), (41013377, "retraction")]
    assert records_out[1]["notices"] == [
        {"type": "retraction", "pmid": 41250331, "doi": "10.1016/j.ccell.2025.11.002",
         "date": None, "source": "pubmed"}]
    assert harvest("export", "--consumer", "news", "-o", "e3.jsonl").exit_code == 0
    assert (workdir / "e3.jsonl").read_text() == ""  # each once, and once again, no more


def test_crossref_only_articles_are_asked_for_notices_in_batches(workdir, harvest, fake,
                                                                  crossref):
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    originals = [crossref_work(f"10.1016/j.ccell.2025.11.{100 + i}", f"Article {i}",
                               dt.date(2025, 11, 18)) for i in range(45)]
    for work in originals:
        crossref.add(work)
    assert harvest("run", "--no-enrich").exit_code == 0
    assert [kind for kind, _ in crossref.requests].count("updates") == 0  # not due yet

    notice = crossref_notice()
    notice["update-to"][0]["DOI"] = "10.1016/j.ccell.2025.11.107"
    notice["created"] = {"date-parts": [[2025, 10, 1]]}  # outside the journal's window
    crossref.add(notice)
    # a week later: every article is due for its look-up
    conn = sqlite3.connect(DB)
    conn.execute("UPDATE notice_check SET next_check_at = '2000-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    result = harvest("run", "--no-enrich", "--all")
    assert result.exit_code == 0, result.err
    asked = [args["filter"] for kind, args in crossref.requests if kind == "updates"]
    assert len(asked) == 1 and asked[0].count("updates:") == 45  # one request for 45 articles
    assert result.out.splitlines()[-1] == "notices: 1 retraction for articles already stored"
    [row] = rows(DB, "SELECT notices FROM articles WHERE doi = '10.1016/j.ccell.2025.11.107'")
    assert json.loads(row["notices"]) == [
        {"type": "retraction", "pmid": None, "doi": "10.1016/j.ccell.2025.11.002",
         "date": "2025-11-21", "source": "crossref"}]
    next_checks = rows(DB, "SELECT DISTINCT next_check_at > checked_at AS later FROM "
                           "notice_check")
    assert next_checks == [{"later": 1}]


def test_the_changed_section_in_headless_chromium(workdir, harvest, fake, chromium):
    """What a reader sees of a retraction, on screen and on paper."""
    covered_then_retracted(workdir, harvest, fake)
    assert harvest("digest", "--format", "html", "--since", "2000-01-01",
                   "-o", "digest.html").exit_code == 0
    with browser_page(workdir / "digest.html", chromium) as page:
        nav = page.locator("nav").inner_text()
        section = page.locator("#changed").inner_text()
        notice = page.locator("#changed .notice-retraction")
        colour = notice.evaluate("e => getComputedStyle(e).color")
        page.emulate_media(media="print")
        printed = page.locator("#changed").inner_text()
    assert nav == "Changed since you covered it (1)"
    assert [line for line in section.splitlines() if line][:4] == [
        "Changed since you covered it (1)",
        "MYC-driven enhancer hijacking sustains ferroptosis escape in small cell lung cancer.",
        "Cancer Cell · 2024-01-08 · research",
        "Retraction: https://doi.org/10.1016/j.ccell.2025.11.002"]
    assert colour == "rgb(160, 28, 28)"  # the retraction stands out
    assert "DOI https://doi.org/10.1016/j.ccell.2023.12.005" in printed
