"""Digest, export, search, the editorial views and the Datasette metadata, on a database built
by real runs against the loopback services (the `editorial` fixture in conftest.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from harvester.outputs import export as export_module
from harvester.outputs.items import Item, coi_line, free_from, institution, load_items
from tests.conftest import browser_page, rows

ROOT = Path(__file__).parent.parent
TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()
ALL = 9  # articles in the editorial database

CLONAL = """\
### Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in early-stage lung adenocarcinoma.

*Cancer Cell* · 2025-11-13 · research  
Ferreira-Lam J, Adeyemi T, Kowalczyk R  
Institutions: Greenhollow Comprehensive Cancer Center  
Open access: **closed, free from 2026-11-13**  
Competing interests: declared: 2 of 3 authors; Bristol Myers Squibb, Novartis, Pfizer  
[DOI](<https://doi.org/10.1016/j.ccell.2025.10.007>) · [PubMed](<https://pubmed.ncbi.nlm.nih.gov/41212658/>)
"""
UNCHECKED = f"""\
### Trastuzumab deruxtecan & HER2-low ERBB2 tumours

*Cancer Cell* · {TODAY} · research  
Rossi MC, Okafor C  
Institutions: University of Turin  
Open access: **not yet checked**  
Competing interests: not yet checked  
[DOI](<https://doi.org/10.1016/j.ccell.{TODAY[:4]}.1>) · [PubMed](<https://pubmed.ncbi.nlm.nih.gov/41000001/>)
"""


# 41212658 in fixtures/pubmed/cell_press_two.xml, markup flattened (<i>TET2</i>, &#x3b2;).
CLONAL_ABSTRACT = (
    "Clonal hematopoiesis of indeterminate potential (CHIP) is common in patients with lung "
    "cancer, but whether mutant myeloid cells shape the primary tumor is unknown. Using paired "
    "blood and tumor sequencing from 486 patients with resected stage I-II lung adenocarcinoma, "
    "we show that TET2-mutant monocytes preferentially infiltrate tumors and differentiate into "
    "IL-1β-high macrophages that exclude cytotoxic lymphocytes. In mice reconstituted with "
    "Tet2-deficient bone marrow, tumors grew faster and responded poorly to PD-1 blockade, a "
    "phenotype reversed by IL-1β neutralization. Patients carrying CHIP variants at a variant "
    "allele fraction of 2% or more had shorter recurrence-free survival. These findings link "
    "age-related hematopoietic clonality to the immune contexture of solid tumors.")
CLONAL_COI = (
    "Declaration of interests R.K. is a scientific advisor for Bristol Myers Squibb and Novartis "
    "and has received research funding from Pfizer. J.F.-L. is an inventor on a patent "
    "application related to this work. The remaining authors declare no competing interests.")


# --- digest ---------------------------------------------------------------------------------

def test_markdown_digest_groups_by_query_newest_first(editorial, harvest):
    result = harvest("digest", "--since", "2000-01-01")

    assert result.exit_code == 0, result.err
    out = result.out
    assert out.startswith("# Literature digest: 9 new articles since 2000-01-01\n")
    assert [l for l in out.splitlines() if l.startswith("## ")] == ["## her2 (5)", "## trials (6)"]
    her2, trials = out.split("## trials (6)")
    assert re.findall(r"pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/", her2) == [
        "41000002", "41000001", "41212658", "41066351", "41028430"]
    assert re.findall(r"pubmed\.ncbi\.nlm\.nih\.gov/(\d+)/", trials) == [
        "41212658", "41109874", "41028430", "41004127", "41083209", "41011865"]
    assert CLONAL in her2 and CLONAL in trials
    assert UNCHECKED in her2
    assert ("Open access: **bronze**  \nCompeting interests: declared: 2 of 5 authors; "
            "Genentech, Merck Sharp & Dohme, ModernaTM  \n") in her2
    assert "Competing interests: no competing interests declared  \n" in trials
    assert "*Seminars in cancer biology* · 2025-02-14 · review  \n" in her2


def test_digest_filters_by_query_and_date(editorial, harvest):
    result = harvest("digest", "--query", "trials", "--since", "3d")
    assert result.exit_code == 0
    assert [l for l in result.out.splitlines() if l.startswith("## ")] == ["## trials (6)"]
    assert "41000001" not in result.out
    tomorrow = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=2)).isoformat()
    empty = harvest("digest", "--since", tomorrow)
    assert empty.out.splitlines()[0] == f"# Literature digest: 0 new articles since {tomorrow}"
    assert "Nothing new." in empty.out


@pytest.mark.parametrize("args, message", [
    (["--since", "7x"], "Error: --since: '7x' is neither a number of days "
                        "(7d) nor a date (2025-01-31)\n"),
    (["--query", "nope"], "Error: no saved query named 'nope' in the database (known: her2, "
                          "trials); see `harvest status`\n"),
    (["-o", "missing/digest.md"], "Error: missing/digest.md: its folder missing does not "
                                  "exist; create it or choose another -o\n"),
])
def test_digest_bad_input_is_one_line(editorial, harvest, args, message):
    result = harvest("digest", *args)
    assert (result.exit_code, result.err, result.out) == (2, message, "")
    assert rows(editorial, "SELECT count(*) AS n FROM outputs") == [{"n": 0}]


def test_commands_without_a_database(workdir, harvest):
    for command in (["digest"], ["export"], ["search", "x"]):
        result = harvest(*command)
        assert (result.exit_code, result.err) == (
            2, "Error: data/harvest.db: no database yet; run `harvest run` first\n")


def test_html_digest_is_one_escaped_self_contained_page(editorial, harvest, workdir):
    result = harvest("digest", "--format", "html", "--since", "2000-01-01", "-o", "digest.html")
    assert (result.exit_code, result.out) == (0, "")
    page = (workdir / "digest.html").read_text()
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert not re.search(r"<script|<link|src=|@import|url\(", page)  # nothing loaded from outside
    assert "<h3><a href=\"https://doi.org/10.1016/j.ccell." in page
    assert "Trastuzumab deruxtecan &amp; HER2-low ERBB2 tumours" in page
    assert "@media print" in page
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".digest")] == []


def test_html_digest_in_headless_chromium(editorial, harvest, workdir, chromium):
    """What a reader sees on screen and on paper (print CSS), from the rendered DOM."""
    assert harvest("digest", "--format", "html", "--since", "2000-01-01",
                   "-o", "digest.html").exit_code == 0
    with browser_page(workdir / "digest.html", chromium) as page:
        screen = page.inner_text("body")
        badges = page.locator(".badge").all_inner_texts()
        coi = page.locator(".coi").all_inner_texts()
        titles = page.locator("h3").all_inner_texts()
        nav_visible = page.locator("nav").is_visible()
        page.emulate_media(media="print")
        printed = page.inner_text("body")
        nav_printed = page.locator("nav").is_visible()
    assert screen.startswith("Literature digest: 9 new articles since 2000-01-01\n")
    assert titles[:2] == ["Synthetic ERBB2 record 41000002.",
                          "Trastuzumab deruxtecan & HER2-low ERBB2 tumours"]
    assert badges == ["not yet checked", "not yet checked", "closed, free from 2026-11-13",
                      "bronze", "unknown", "closed, free from 2026-11-13", "unknown", "unknown",
                      "green", "unknown", "unknown"]
    assert coi[2] == "Competing interests: declared: 2 of 3 authors; Bristol Myers Squibb, " \
                     "Novartis, Pfizer"
    assert coi[0] == "Competing interests: not yet checked"
    assert nav_visible and not nav_printed
    # On paper the links show where they go.
    assert "DOI https://doi.org/10.1016/j.ccell.2025.10.007" in printed
    assert "https://doi.org/10.1016/j.ccell.2025.10.007" not in screen


# --- pure summaries ---------------------------------------------------------------------------

def _item(**changes) -> Item:
    values = dict(id=1, pmid=None, doi=None, pmcid=None, title="T", abstract=None, journal="J",
                  volume=None, issue=None, pages=None, pub_date="2025-02-29"[:7],
                  epub_date="2024-02-29", language=None, issns={"1878-3686"},
                  first_seen_at="2025-03-01T00:00:00Z", oa_status="closed", is_oa=0,
                  oa_url=None, oa_license=None, coi_status="declared", coi_statement="x",
                  coi_organizations=[], authors_declaring=0, authors_total=4,
                  publication_types=["Journal Article"])
    values.update(changes)
    return Item(**values)


def test_free_from_and_coi_line_edges():
    assert free_from(_item()) == dt.date(2025, 3, 1)  # a leap day plus twelve months
    assert free_from(_item(publication_types=["Review"])) is None
    assert free_from(_item(issns={"0008-5472"})) is None
    assert free_from(_item(oa_status="bronze")) is None
    # Crossref's open licence start wins, whatever the journal or type
    assert free_from(_item(licence_free_from="2026-11-10", issns=set(),
                           publication_types=["Review"])) == dt.date(2026, 11, 10)
    assert free_from(_item(licence_free_from="2026-11-10", oa_status="gold")) is None
    assert coi_line(_item()) == "declared"  # no author matched: no "0 of 4"
    assert coi_line(_item(authors_declaring=1, coi_organizations=["Roche"])) == (
        "declared: 1 of 4 authors; Roche")
    assert coi_line(_item(coi_status=None)) == "not yet checked"
    assert institution("School of Pharmacy, Corrib University, Galway, Ireland. Electronic "
                       "address: a@b.ie.") == "Corrib University"


# --- export ---------------------------------------------------------------------------------

def test_jsonl_export_holds_every_article_whole(editorial, harvest):
    result = harvest("export", "--format", "jsonl")
    assert result.exit_code == 0, result.err
    records = [json.loads(line) for line in result.out.splitlines()]
    assert len(records) == ALL
    [clonal] = [r for r in records if r["pmid"] == 41212658]
    # first_seen_at is when the fixture's run stored it: the value in the article table.
    [stored] = rows(editorial, "SELECT first_seen_at FROM article WHERE pmid = 41212658")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stored["first_seen_at"])
    assert clonal == {
        "pmid": 41212658, "doi": "10.1016/j.ccell.2025.10.007", "pmcid": None,
        "title": "Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in "
                 "early-stage lung adenocarcinoma.",
        "abstract": CLONAL_ABSTRACT, "journal": "Cancer Cell", "volume": None, "issue": None,
        "pages": None, "pub_date": "2025-11-13", "epub_date": "2025-11-13",
        "publication_types": ["Journal Article"], "article_type": "research",
        "authors": ["Ferreira-Lam J", "Adeyemi T", "Kowalczyk R"],
        "institutions": ["Greenhollow Comprehensive Cancer Center"],
        "url": "https://doi.org/10.1016/j.ccell.2025.10.007", "oa_status": "closed",
        "is_oa": 0, "oa_url": None, "oa_license": None,
        "oa_summary": "closed, free from 2026-11-13", "coi_status": "declared",
        "coi_statement": CLONAL_COI, "coi_organizations": ["Bristol Myers Squibb", "Novartis",
                                                          "Pfizer"],
        "coi_summary": "declared: 2 of 3 authors; Bristol Myers Squibb, Novartis, Pfizer",
        "queries": ["her2", "trials"], "first_seen_at": stored["first_seen_at"],
        "notices": [], "redelivery": None}
    # The contract's columns agree with the articles view.
    view = {r["pmid"]: r for r in rows(editorial, "SELECT * FROM articles")}
    for record in records:
        row = view[record["pmid"]]
        assert (record["title"], record["oa_status"], record["coi_status"],
                record["first_seen_at"]) == (row["title"], row["oa_status"], row["coi_status"],
                                             row["first_seen_at"])
        assert record["authors"] == json.loads(row["authors"])


def test_csv_export(editorial, harvest):
    result = harvest("export", "--format", "csv", "--query", "her2")
    table = list(csv.DictReader(io.StringIO(result.out)))
    stored = [r["pmid"] for r in rows(editorial, "SELECT pmid FROM article WHERE id IN (SELECT "
                                                  "article_id FROM query_match WHERE query = "
                                                  "'her2') ORDER BY id")]
    assert [int(r["pmid"]) for r in table] == stored  # in the order they were stored
    assert len(stored) == 5
    [synthetic] = [r for r in table if r["pmid"] == "41000001"]
    # The synthetic record conftest adds today (tests/fake_eutils.py TEMPLATE), not yet checked.
    [stored] = rows(editorial, "SELECT first_seen_at FROM article WHERE pmid = 41000001")
    year = TODAY[:4]
    assert synthetic == {
        "pmid": "41000001", "doi": f"10.1016/j.ccell.{year}.1", "pmcid": "",
        "title": "Trastuzumab deruxtecan & HER2-low ERBB2 tumours",
        "abstract": "Synthetic record 41000001 for harvester tests: HER2+ tumours and CD8+ T "
                    "cells.",
        "journal": "Cancer Cell", "volume": "43", "issue": "11", "pages": "1-13",
        "pub_date": f"{year}-11", "epub_date": TODAY, "publication_types": "Journal Article",
        "article_type": "research", "authors": "Rossi MC; Okafor C",
        "institutions": "University of Turin", "url": f"https://doi.org/10.1016/j.ccell.{year}.1",
        "oa_status": "", "is_oa": "", "oa_url": "", "oa_license": "",
        "oa_summary": "not yet checked", "coi_status": "", "coi_statement": "",
        "coi_organizations": "", "coi_summary": "not yet checked", "queries": "her2",
        "first_seen_at": stored["first_seen_at"], "notices": "", "redelivery": ""}


def test_ris_export_parses_back(editorial, harvest):
    rispy = pytest.importorskip("rispy")
    result = harvest("export", "--format", "ris")
    entries = {e["accession_number"]: e for e in rispy.loads(result.out)}
    assert len(entries) == ALL
    entry = entries["41066351"]
    assert {k: entry[k] for k in ("type_of_reference", "authors", "secondary_title", "year",
                                  "volume", "number", "start_page", "end_page", "doi",
                                  "urls")} == {
        "type_of_reference": "JOUR",
        "authors": ["Okonkwo-Reyes, Adaeze M", "Lindqvist, Henrik", "Tanaka, Mei",
                    "Dubois-Eriksen, Camille", "Whitfield, Robert J"],
        "secondary_title": "Cancer Cell", "year": "2025", "volume": "43", "number": "6",
        "start_page": "1047", "end_page": "1064", "doi": "10.1016/j.ccell.2025.03.011",
        "urls": ["https://doi.org/10.1016/j.ccell.2025.03.011"]}
    assert entry["title"].startswith("Tumor-intrinsic ERBB2 dosage drives")
    assert entry["abstract"].startswith("BACKGROUND: Resistance to HER2-directed therapy")
    assert entry["notes"][0].startswith("Competing interests: declared: 2 of 5 authors; "
                                        "Genentech, Merck Sharp & Dohme, ModernaTM. Statement: ")
    assert entry["notes"][1] == ("Open access: bronze (http://www.cell.com/article/"
                                 "S1535610825001124/fulltext, publisher-specific-oa)")
    assert entries["41109874"]["authors"][2] == "EUROPA-7 Trial Consortium"


def test_bibtex_export_parses_back(editorial, harvest):
    bibtexparser = pytest.importorskip("bibtexparser")  # 2.x
    from bibtexparser.middlewares import LatexDecodingMiddleware
    result = harvest("export", "--format", "bibtex", "--query", "her2")
    library = bibtexparser.parse_string(result.out,
                                        append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    by_key = {e.key: {f.key: f.value for f in e.fields} for e in library.entries}
    assert sorted(by_key) == ["brennan2025_41028430", "ferreiralam2025_41212658",
                              "okonkworeyes2025_41066351", f"rossi{TODAY[:4]}_41000001",
                              f"rossi{TODAY[:4]}_41000002"]
    entry = by_key[f"rossi{TODAY[:4]}_41000001"]
    assert {k: v for k, v in entry.items() if k != "abstract"} == {
        "author": "Rossi, Maria Chiara and Okafor, Chidi",
        "title": "Trastuzumab deruxtecan & HER2-low ERBB2 tumours",
        "journal": "Cancer Cell", "year": TODAY[:4], "volume": "43", "number": "11",
        "pages": "1–13", "doi": f"10.1016/j.ccell.{TODAY[:4]}.1",
        "url": f"https://doi.org/10.1016/j.ccell.{TODAY[:4]}.1", "pmid": "41000001",
        "note": "Competing interests: not yet checked. Open access: not yet checked"}
    assert by_key["okonkworeyes2025_41066351"]["pages"] == "1047–1064"
    assert "  pages = {1047--1064},\n" in result.out


def test_consumer_gets_each_article_exactly_once_across_interrupted_exports(
        editorial, harvest, workdir, fake, monkeypatch):
    out = workdir / "out"
    out.mkdir()
    real = export_module.to_record
    written = []

    def interrupted(item):
        if len(written) == 4:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the output
        written.append(item.pmid)
        return real(item)

    monkeypatch.setattr(export_module, "to_record", interrupted)
    first = harvest("export", "--consumer", "pipeline", "-o", str(out / "a.jsonl"))
    assert (first.exit_code, first.err.strip()) == (130, "Aborted.")
    assert list(out.iterdir()) == []  # no file, no temporary left behind
    assert rows(editorial, "SELECT count(*) AS n FROM delivery") == [{"n": 0}]

    # The rename fails (disk full, say): nothing published, nothing recorded.
    monkeypatch.setattr(export_module, "to_record", real)
    monkeypatch.setattr(os, "replace", _fail_with_enospc)
    second = harvest("export", "--consumer", "pipeline", "-o", str(out / "a.jsonl"))
    assert (second.exit_code, second.err) == (
        2, f"Error: {out / 'a.jsonl'}: cannot write the output (No space left on device); "
           "nothing was recorded\n")
    assert list(out.iterdir()) == []
    assert rows(editorial, "SELECT count(*) AS n FROM delivery") == [{"n": 0}]
    monkeypatch.setattr(os, "replace", REAL_REPLACE)

    done = harvest("export", "--consumer", "pipeline", "-o", str(out / "a.jsonl"))
    assert done.exit_code == 0, done.err
    delivered = [json.loads(l)["pmid"] for l in (out / "a.jsonl").read_text().splitlines()]
    assert sorted(delivered) == sorted(r["pmid"] for r in rows(editorial,
                                                               "SELECT pmid FROM article"))
    assert harvest("export", "--consumer", "pipeline", "-o", str(out / "b.jsonl")).exit_code == 0
    assert (out / "b.jsonl").read_text() == ""
    # Another consumer still gets everything; a new article reaches the pipeline once.
    other = harvest("export", "--consumer", "zotero", "--format", "ris")
    assert other.out.count("ER  - ") == ALL
    fake.add_synthetic(41000003, dt.date.fromisoformat(TODAY), terms={"her2[tiab]"})
    assert harvest("run", "--all", "--no-enrich").exit_code == 0
    third = harvest("export", "--consumer", "pipeline")
    assert [json.loads(l)["pmid"] for l in third.out.splitlines()] == [41000003]
    assert rows(editorial, "SELECT consumer, count(*) AS n FROM delivery GROUP BY consumer "
                           "ORDER BY consumer") == [{"consumer": "pipeline", "n": ALL + 1},
                                                    {"consumer": "zotero", "n": ALL}]
    assert rows(editorial, "SELECT kind, format, consumer, articles FROM outputs ORDER BY id") == [
        {"kind": "export", "format": "jsonl", "consumer": "pipeline", "articles": ALL},
        {"kind": "export", "format": "jsonl", "consumer": "pipeline", "articles": 0},
        {"kind": "export", "format": "ris", "consumer": "zotero", "articles": ALL},
        {"kind": "export", "format": "jsonl", "consumer": "pipeline", "articles": 1}]


REAL_REPLACE = os.replace


def _fail_with_enospc(src, dst):
    raise OSError(28, "No space left on device")


def test_bad_consumer_name(editorial, harvest):
    result = harvest("export", "--consumer", "a b")
    assert (result.exit_code, result.err) == (
        2, "Error: --consumer: 'a b': use letters, digits, '.', '_' and '-'\n")


# --- search ---------------------------------------------------------------------------------

def test_search_ranks_title_hits_first_and_covers_coi_statements(editorial, harvest):
    result = harvest("search", "trastuzumab OR ERBB2", "--json")
    assert result.exit_code == 0, result.err
    hits = json.loads(result.out)
    # 41000001 has both words in its title; 41066351 has ERBB2 in its title and trastuzumab
    # only in its (long) abstract; 41000002 has ERBB2 in its title only.
    assert [h["pmid"] for h in hits] == [41000001, 41066351, 41000002]
    # A title hit ranks above an abstract hit: trastuzumab is in the title of 41000001 and
    # only in the abstract of 41066351; HER2 is in three titles and only in the abstract of
    # the synthetic 41000002 ("HER2+ tumours").
    trastuzumab = json.loads(harvest("search", "trastuzumab", "--json").out)
    assert [h["pmid"] for h in trastuzumab] == [41000001, 41066351]
    assert trastuzumab[0]["snippet"] == "[Trastuzumab] deruxtecan & HER2-low ERBB2 tumours"
    assert "trastuzumab" not in trastuzumab[1]["title"].lower()
    assert "[trastuzumab]" in trastuzumab[1]["snippet"]
    her2 = json.loads(harvest("search", "HER2", "--json").out)
    assert [h["pmid"] for h in her2][-1] == 41000002
    assert sorted(h["pmid"] for h in her2[:-1]) == [41000001, 41028430, 41066351]
    coi = json.loads(harvest("search", "Pfizer", "--json").out)
    assert [(h["pmid"], h["matched_in"]) for h in coi] == [(41212658, "coi statement")]
    assert "[Pfizer]" in coi[0]["snippet"]
    text = harvest("search", "Pfizer")
    assert text.out.splitlines()[0] == ("PMID 41212658  2025-11-13  Clonal hematopoiesis-"
                                        "derived myeloid cells seed an immunosuppressive niche "
                                        "in early-stage lung adenocarcinoma.")
    assert harvest("search", "HER2", "--limit", "2", "--json").out.count('"pmid"') == 2


@pytest.mark.parametrize("text, detail", [
    ('"unbalanced', 'unterminated string'),
    ("AND OR", 'fts5: syntax error near "AND"'),
    ("HER2-positive", 'no such column: positive'),
])
def test_search_syntax_errors_are_one_line(editorial, harvest, text, detail):
    result = harvest("search", text)
    assert result.exit_code == 2
    assert result.err == (
        f"Error: search {text!r}: {detail}; write words, \"quoted phrases\", AND/OR/NOT and "
        "prefix*; put words with - . : or other punctuation in double quotes, e.g. "
        "'\"HER2-positive\" AND trastuzumab'\n")


# --- views, status, Datasette ---------------------------------------------------------------

def test_editorial_queue_starts_after_the_last_digest(editorial, harvest, fake):
    queue = rows(editorial, "SELECT pmid, oa_status, coi_summary FROM editorial_queue "
                            "ORDER BY pmid")
    assert len(queue) == ALL
    conn = sqlite3.connect(editorial)
    conn.row_factory = sqlite3.Row
    items = {i.pmid: i for i in load_items(conn, through=10**9)}
    conn.close()
    for row in queue:  # the view and the digest write the same COI line
        assert row["coi_summary"] == coi_line(items[row["pmid"]])
        assert row["oa_status"] == (items[row["pmid"]].oa_status or "not yet checked")
    assert harvest("digest").exit_code == 0
    assert rows(editorial, "SELECT pmid FROM editorial_queue") == []
    fake.add_synthetic(41000004, dt.date.fromisoformat(TODAY), terms={"trials[tiab]"})
    assert harvest("run", "--all", "--no-enrich").exit_code == 0
    assert rows(editorial, "SELECT pmid, oa_status, coi_summary FROM editorial_queue") == [
        {"pmid": 41000004, "oa_status": "not yet checked", "coi_summary": "not yet checked"}]


def test_coi_by_organization(editorial):
    got = rows(editorial, "SELECT organization, articles, latest_pmid FROM coi_by_organization "
                          "ORDER BY organization")
    assert got == [
        {"organization": "AstraZeneca", "articles": 1, "latest_pmid": 41109874},
        {"organization": "Bristol Myers Squibb", "articles": 1, "latest_pmid": 41212658},
        {"organization": "Genentech", "articles": 1, "latest_pmid": 41066351},
        {"organization": "Merck Sharp & Dohme", "articles": 1, "latest_pmid": 41066351},
        {"organization": "ModernaTM", "articles": 1, "latest_pmid": 41066351},
        {"organization": "Novartis", "articles": 1, "latest_pmid": 41212658},
        {"organization": "Pfizer", "articles": 1, "latest_pmid": 41212658},
        {"organization": "Roche", "articles": 1, "latest_pmid": 41109874}]


def test_status_per_query(editorial, harvest):
    report = json.loads(harvest("status", "--json").out)
    got = {q["query"]: {k: q[k] for k in ("articles", "new_this_week", "oa_checked", "oa_open",
                                          "coi_statements", "coi_declared",
                                          "waiting_for_check")}
           for q in report["queries"]}
    assert got == {
        "her2": {"articles": 5, "new_this_week": 5, "oa_checked": 3, "oa_open": 1,
                 "coi_statements": 2, "coi_declared": 2, "waiting_for_check": 2},
        "trials": {"articles": 6, "new_this_week": 6, "oa_checked": 6, "oa_open": 1,
                   "coi_statements": 3, "coi_declared": 2, "waiting_for_check": 0}}
    text = harvest("status").out.splitlines()
    header = next(l for l in text if l.startswith("QUERY"))
    assert header.split()[:8] == ["QUERY", "ARTICLES", "NEW", "7D", "OPEN", "COI", "DECLARED",
                                  "WAITING"]
    her2 = next(l for l in text if l.startswith("her2 "))
    assert her2.split()[:6] == ["her2", "5", "5", "33%", "100%", "2"]


def test_datasette_canned_queries_all_run(editorial):
    metadata = json.loads((ROOT / "datasette" / "metadata.json").read_text())
    queries = metadata["databases"]["harvest"]["queries"]
    assert sorted(queries) == ["closed_access_by_journal", "declared_coi_with_company",
                               "new_this_week", "notices", "runs_with_errors"]
    params = {"company": "Roche"}
    results = {name: rows(editorial, q["sql"], params if ":company" in q["sql"] else ())
               for name, q in queries.items()}
    assert len(results["new_this_week"]) == ALL
    assert [r["pmid"] for r in results["declared_coi_with_company"]] == [41109874]
    assert results["closed_access_by_journal"][0] == {
        "journal": "Cancer cell", "checked": 2, "closed": 1, "percent_closed": 50.0}
    assert results["runs_with_errors"] == []
    assert results["notices"] == []  # the editorial records carry no notice links


def test_every_table_view_and_column_is_documented(editorial):
    metadata = json.loads((ROOT / "datasette" / "metadata.json").read_text())
    described = metadata["databases"]["harvest"]["tables"]
    schema_doc = (ROOT / "docs" / "schema.md").read_text()
    conn = sqlite3.connect(editorial)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
        "'%fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for name in names:
        assert f"`{name}`" in schema_doc, name
        assert name in described, name
        for (column,) in conn.execute(f"SELECT name FROM pragma_table_info('{name}')"):
            assert f"`{column}`" in schema_doc or f"| {column} |" in schema_doc, (name, column)
    for view in ("articles", "editorial_queue", "coi_by_organization"):
        columns = [r[0] for r in conn.execute(f"SELECT name FROM pragma_table_info('{view}')")]
        assert list(described[view]["columns"]) == columns
    conn.close()
