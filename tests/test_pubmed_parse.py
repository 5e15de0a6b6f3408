"""PubMed efetch XML -> records, on fixtures in NCBI's real shapes (tests/fixtures/pubmed/)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from pathlib import Path

import pytest
from Bio import Entrez

from harvester.sources.pubmed_xml import Deleted, EfetchError, Unreadable, parse_efetch
from tests.fake_eutils import synthetic_article

PUBMED = Path(__file__).parent / "fixtures" / "pubmed"
FIXTURES = sorted(PUBMED.glob("*.xml"))


def parse(name: str, chunk: int = 65536) -> list:
    data = (PUBMED / name).read_bytes()
    return list(parse_efetch(data[i:i + chunk] for i in range(0, len(data), chunk)))


def test_whole_record_with_structured_abstract_markup_and_coi():
    [record] = parse("structured_markup.xml")
    raw = record.pop("pubmed_raw")
    # The raw record exactly as sent, references included (parsing skips them).
    assert raw.startswith(b"<PubmedArticle><MedlineCitation") and raw.endswith(b"</PubmedArticle>")
    assert raw in (PUBMED / "structured_markup.xml").read_bytes()
    assert raw.count(b"<Reference>") == 3
    assert record == {
        "pmid": 41066351, "pmid_version": 1, "record_type": "article",
        # ELocationID wins over ArticleIdList, lower-cased; the ReferenceList's DOIs are not it.
        "doi": "10.1016/j.ccell.2025.03.011", "pmcid": "PMC12093458",
        "pii": "S1535-6108(25)00112-4",
        "title": "Tumor-intrinsic ERBB2 dosage drives IL-10-dependent exhaustion of CD8+ T cells "
                 "through PGE2 in HER2+ breast cancer.",
        "abstract": (
            "BACKGROUND: Resistance to HER2-directed therapy in HER2+ breast cancer is often "
            "accompanied by a \u201ccold\u201d tumor microenvironment, yet how tumor-intrinsic ERBB2 "
            "copy number shapes the function of infiltrating CD8+ T cells remains unclear.\n"
            "METHODS: We profiled 212 pretreatment biopsies from two neoadjuvant cohorts by "
            "single-cell RNA sequencing, multiplexed imaging & spatial transcriptomics, and modeled "
            "ERBB2 dosage in syngeneic Erbb2-transgenic mice.\n"
            "RESULTS: Tumors in the top quartile of ERBB2 copy number secreted PGE2, which induced "
            "IL-10 in tumor-associated macrophages and enforced a TOXhiPD-1hi terminally exhausted "
            "CD8+ T cell state (odds ratio 3.4; p < 0.001). Pharmacologic EP4 blockade restored "
            "IFN-\u03b3 production and sensitized tumors to trastuzumab deruxtecan, lowering the IC50 "
            "from 41 nM to 9 nM.\n"
            "SIGNIFICANCE: These data identify the tumor\u2019s own ERBB2 dosage as a determinant of "
            "T cell dysfunction and nominate the PGE2\u2013EP4\u2013IL-10 axis as a combinable target "
            "in HER2+ disease."),
        "journal": "Cancer cell", "journal_iso": "Cancer Cell", "issn_print": None,
        "issn_electronic": "1878-3686", "volume": "43", "issue": "6", "pages": "1047-1064",
        "pub_date": "2025-06-09", "pub_date_text": None, "epub_date": "2025-04-14",
        "entrez_date": "2025-04-14", "revised_date": "2025-06-20", "language": "eng",
        "publication_status": "ppublish",
        "publication_types": [{"name": "Journal Article", "ui": "D016428"},
                              {"name": "Research Support, N.I.H., Extramural", "ui": "D052061"}],
        "authors": [
            {"last_name": "Okonkwo-Reyes", "fore_name": "Adaeze M", "initials": "AM",
             "suffix": None, "collective_name": None, "orcid": "0000-0002-7715-3043",
             "equal_contrib": True,
             "affiliations": [
                 "Department of Medical Oncology, Bayside Cancer Institute, Boston, MA 02115, USA.",
                 "Program in Tumor Immunology, Ridgeline Institute of Technology, Cambridge, MA "
                 "02142, USA."]},
            {"last_name": "Lindqvist", "fore_name": "Henrik", "initials": "H", "suffix": None,
             "collective_name": None, "orcid": "0000-0003-1948-6226", "equal_contrib": True,
             "affiliations": [
                 "Department of Medical Oncology, Bayside Cancer Institute, Boston, MA 02115, USA."]},
            {"last_name": "Tanaka", "fore_name": "Mei", "initials": "M", "suffix": None,
             "collective_name": None, "orcid": None, "equal_contrib": False,
             "affiliations": ["Department of Pathology, Lakeshore University School of Medicine, "
                              "Chicago, IL 60611, USA."]},
            {"last_name": "Dubois-Eriksen", "fore_name": "Camille", "initials": "C",
             "suffix": None, "collective_name": None, "orcid": None, "equal_contrib": False,
             "affiliations": ["Centre de Recherche en Canc\u00e9rologie, Universit\u00e9 de "
                              "Lyon-Rh\u00f4ne, 69008 Lyon, France."]},
            {"last_name": "Whitfield", "fore_name": "Robert J", "initials": "RJ", "suffix": "Jr",
             "collective_name": None, "orcid": None, "equal_contrib": False,
             "affiliations": ["Department of Medical Oncology, Bayside Cancer Institute, Boston, "
                              "MA 02115, USA. Electronic address: robert_whitfield@bayside-ci.org."]},
        ],
        "keywords": [{"keyword": k, "major": False} for k in (
            "CD8+ T cells", "HER2-positive breast cancer", "IL-10", "PGE2", "T cell exhaustion",
            "trastuzumab deruxtecan", "tumor microenvironment")],
        "mesh": [
            {"descriptor": "Breast Neoplasms", "ui": "D001943", "major": False,
             "qualifiers": [{"name": "immunology", "ui": "Q000276", "major": True},
                            {"name": "pathology", "ui": "Q000473", "major": False}]},
            {"descriptor": "CD8-Positive T-Lymphocytes", "ui": "D018414", "major": True,
             "qualifiers": [{"name": "immunology", "ui": "Q000276", "major": False}]},
            {"descriptor": "Humans", "ui": "D006801", "major": False, "qualifiers": []},
        ],
        "grants": [
            {"grant_id": "R01 CA281946", "acronym": "CA", "agency": "NCI NIH HHS",
             "country": "United States"},
            {"grant_id": "F30 CA289073", "acronym": "CA", "agency": "NCI NIH HHS",
             "country": "United States"},
        ],
        # "\n<b>Declaration of interests</b>\nH.L. reports ...": markup and layout flattened.
        "coi_statement": "Declaration of interests H.L. reports consulting fees from Genentech, "
                         "Inc. and Merck Sharp & Dohme. C.D.-E. holds stock in Moderna\u2122. The "
                         "other authors declare no competing interests.",
        # A research article: no notice links, not a notice, not retracted.
        "notices": [], "notice_kind": None, "retracted": False,
    }


def test_doi_only_in_article_id_list_and_a_review():
    cancer_cell, review = parse("cell_press_two.xml")
    assert (cancer_cell["pmid"], cancer_cell["doi"], cancer_cell["pmcid"]) == (
        41212658, "10.1016/j.ccell.2025.10.007", None)
    assert cancer_cell["coi_statement"].startswith("Declaration of interests R.K. is a scientific")
    assert cancer_cell["publication_status"] == "aheadofprint"
    assert [t["name"] for t in review["publication_types"]] == ["Journal Article", "Review"]
    assert (review["pub_date"], review["coi_statement"], review["mesh"]) == ("2025-03", None, [])


def test_odd_publication_dates():
    medline_date, season, year_only = parse("dates_odd.xml")
    assert (medline_date["pub_date"], medline_date["pub_date_text"]) == ("2024", "2024 Nov-Dec")
    assert (season["pub_date"], season["pub_date_text"]) == ("2025", "2025 Spring")
    assert (year_only["pub_date"], year_only["pub_date_text"], year_only["epub_date"]) == (
        "2025", None, "2025-01-09")


def test_collective_author_and_per_author_coi_lines():
    [record] = parse("collective.xml")
    assert [(a["last_name"], a["initials"], a["collective_name"]) for a in record["authors"]] == [
        ("Marchetti", "S", None), ("Osei", "DK", None), (None, None, "EUROPA-7 Trial Consortium")]
    # <i>-wrapped, blank-line separated per-author lines: one line each.
    assert record["coi_statement"] == (
        "Sofia Marchetti reports research funding from AstraZeneca and Roche.\n"
        "Daniel K. Osei reports no relevant conflicts.\n"
        "All other members of the EUROPA-7 Trial Consortium report no relevant conflicts.")


def test_pubmed_book_article():
    [record] = parse("book.xml")
    assert {k: record[k] for k in ("pmid", "record_type", "doi", "title", "journal", "pub_date",
                                   "entrez_date", "language")} == {
        "pmid": 41148203, "record_type": "book", "doi": None,
        "title": "RAD51D-Associated Hereditary Ovarian Cancer",
        "journal": "Hereditary Cancer Reviews\u00ae", "pub_date": "2008",
        "entrez_date": "2025-08-14", "language": "eng"}
    assert [(a["last_name"], a["initials"]) for a in record["authors"]] == [
        ("Okafor", "CN"), ("Lindgren", "P")]
    assert record["abstract"].startswith("CLINICAL CHARACTERISTICS: RAD51D-associated")


def test_newer_dtd_and_mathml_do_not_stop_a_harvest():
    [record] = parse("newer_dtd_mathml.xml")
    assert record["pmid"] == 41162947
    assert "with major pathological response (p<0.05), whereas" in record["abstract"]
    assert record["coi_statement"] == "Conflict of interest: None declared."


def test_translated_title_and_german_coi():
    [record] = parse("language_vernacular.xml")
    assert record["title"] == "[Liquid biopsy in colorectal cancer: current evidence and clinical use]."
    assert record["language"] == "ger"
    assert record["coi_statement"].startswith("Interessenkonflikt. K. Brandst\u00e4tter gibt an")


def test_erratum_without_abstract():
    [record] = parse("erratum.xml")
    assert [t["name"] for t in record["publication_types"]] == ["Published Erratum"]
    assert record["abstract"] is None
    assert (record["notice_kind"], record["retracted"]) == ("correction", False)
    assert record["notices"] == [{
        "type": "correction", "direction": "of", "pmid": 41098466,
        "doi": "10.1158/0008-5472.can-24-2291",
        "ref_source": "Cancer Res. 2025 Jun 2;85(11):2011-2026. doi: "
                      "10.1158/0008-5472.CAN-24-2291.",
        "ref_type": "ErratumFor"}]


def _notice_fields(record: dict) -> dict:
    return {k: record[k] for k in ("pmid", "notice_kind", "retracted", "notices")}


def test_a_retraction_notice_and_the_article_it_retracts():
    notice, original = parse("retraction_pair.xml")
    assert _notice_fields(notice) == {
        "pmid": 41250331, "notice_kind": "retraction", "retracted": False,
        "notices": [{"type": "retraction", "direction": "of", "pmid": 41013377,
                     "doi": "10.1016/j.ccell.2023.12.005",
                     "ref_source": "Cancer Cell. 2024 Jan 8;42(1):150-168.e9. doi: "
                                   "10.1016/j.ccell.2023.12.005.",
                     "ref_type": "RetractionOf"}]}
    # CommentIn and Cites around the RetractionIn are not notices.
    assert _notice_fields(original) == {
        "pmid": 41013377, "notice_kind": None, "retracted": True,
        "notices": [{"type": "retraction", "direction": "in", "pmid": 41250331,
                     "doi": "10.1016/j.ccell.2025.11.002",
                     "ref_source": "Cancer Cell. 2025 Dec 8;43(12):2210. doi: "
                                   "10.1016/j.ccell.2025.11.002.",
                     "ref_type": "RetractionIn"}]}


def test_errata_and_an_expression_of_concern_both_ways():
    original, concern = parse("erratum_concern.xml")
    assert _notice_fields(original) == {
        "pmid": 41066904, "notice_kind": None, "retracted": False,
        "notices": [
            # Lancet DOIs keep their parentheses; only NLM's closing full stop goes.
            {"type": "correction", "direction": "in", "pmid": 41095512,
             "doi": "10.1016/s1470-2045(24)00701-1",
             "ref_source": "Lancet Oncol. 2024 Dec;25(12):e611. doi: "
                           "10.1016/S1470-2045(24)00701-1.",
             "ref_type": "ErratumIn"},
            # An erratum PubMed has no record of: no PMID, no DOI.
            {"type": "correction", "direction": "in", "pmid": None, "doi": None,
             "ref_source": "Lancet Oncol. 2025 Feb;26(2):e70.", "ref_type": "ErratumIn"},
            {"type": "expression_of_concern", "direction": "in", "pmid": 41170288,
             "doi": "10.1016/s1470-2045(25)00433-5",
             "ref_source": "Lancet Oncol. 2025 Sep;26(9):1120. doi: "
                           "10.1016/S1470-2045(25)00433-5.",
             "ref_type": "ExpressionOfConcernIn"}]}
    assert _notice_fields(concern) == {
        "pmid": 41170288, "notice_kind": "expression_of_concern", "retracted": False,
        "notices": [{"type": "expression_of_concern", "direction": "of", "pmid": 41066904,
                     "doi": "10.1016/s1470-2045(24)00512-7",
                     "ref_source": "Lancet Oncol. 2024 Nov;25(11):1402-1414. doi: "
                                   "10.1016/S1470-2045(24)00512-7.",
                     "ref_type": "ExpressionOfConcernFor"}]}


def test_updates_and_an_article_retracted_and_republished():
    older, newer, replaced, replacement = parse("update_republished.xml")
    # A Cochrane review links both ways: to the version it updates and to the one updating it.
    assert _notice_fields(older) == {
        "pmid": 41031870, "notice_kind": None, "retracted": False,
        "notices": [
            {"type": "update", "direction": "in", "pmid": 41201764,
             "doi": "10.1002/14651858.cd012761.pub3",
             "ref_source": "Cochrane Database Syst Rev. 2025 Oct 2;10:CD012761. doi: "
                           "10.1002/14651858.CD012761.pub3.", "ref_type": "UpdateIn"},
            {"type": "update", "direction": "of", "pmid": 31184382,
             "doi": "10.1002/14651858.cd012761",
             "ref_source": "Cochrane Database Syst Rev. 2019 Jun 11;6:CD012761. doi: "
                           "10.1002/14651858.CD012761.", "ref_type": "UpdateOf"}]}
    # An update is a new version of a paper, not a notice.
    assert (newer["notice_kind"], newer["retracted"], newer["notices"][0]["ref_type"]) == (
        None, False, "UpdateOf")
    assert _notice_fields(replaced) == {
        "pmid": 41052219, "notice_kind": None, "retracted": True,
        "notices": [
            {"type": "retraction", "direction": "in", "pmid": 41158830,
             "doi": "10.1038/s41388-025-03470-y",
             "ref_source": "Oncogene. 2025 Jul;44(27):2301. doi: 10.1038/s41388-025-03470-y.",
             "ref_type": "RetractionIn"},
            {"type": "retraction", "direction": "in", "pmid": 41158831,
             "doi": "10.1038/s41388-025-03471-x",
             "ref_source": "Oncogene. 2025 Jul;44(27):2302-2315. doi: 10.1038/s41388-025-03471-x.",
             "ref_type": "RetractedandRepublishedIn"}]}
    # The replacement is linked to the retracted original ("of") but is neither a notice nor
    # retracted.
    assert _notice_fields(replacement) == {
        "pmid": 41158831, "notice_kind": None, "retracted": False,
        "notices": [{"type": "retraction", "direction": "of", "pmid": 41052219,
                     "doi": "10.1038/s41388-024-03121-8",
                     "ref_source": "Oncogene. 2024 Aug;43(34):2544-2556. doi: "
                                   "10.1038/s41388-024-03121-8.",
                     "ref_type": "RetractedandRepublishedFrom"}]}


NOTICE_LINKS = {
    # A retraction link alone marks a record retracted, before NLM adds the publication type.
    "RetractionIn without the publication type": (
        "<PublicationType UI=\"D016428\">Journal Article</PublicationType>",
        "<CommentsCorrections RefType=\"RetractionIn\"><RefSource>J X. 2025;1:1.</RefSource>"
        "</CommentsCorrections>", None, True),
    # A publisher-supplied notice without its publication type is still a notice.
    "ErratumFor without the publication type": (
        "<PublicationType UI=\"D016428\">Journal Article</PublicationType>",
        "<CommentsCorrections RefType=\"ErratumFor\"><RefSource>J X. 2025;1:1.</RefSource>"
        "</CommentsCorrections>", "correction", False),
    "Retracted Publication without a link": (
        "<PublicationType UI=\"D016441\">Retracted Publication</PublicationType>", "", None, True),
    "two notice types: the more serious": (
        "<PublicationType UI=\"D016425\">Published Erratum</PublicationType>"
        "<PublicationType UI=\"D016440\">Retraction of Publication</PublicationType>", "",
        "retraction", False),
    "comments only": (
        "<PublicationType UI=\"D016428\">Journal Article</PublicationType>",
        "<CommentsCorrections RefType=\"CommentOn\"><RefSource>J X. 2025;1:1. doi: 10.1/x."
        "</RefSource></CommentsCorrections>", None, False),
}


@pytest.mark.parametrize("types, links, kind, retracted", NOTICE_LINKS.values(),
                         ids=NOTICE_LINKS.keys())
def test_notice_kind_and_retracted(types, links, kind, retracted):
    body = ("<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version=\"1\">1</PMID>"
            "<Article><Journal><JournalIssue><PubDate><Year>2025</Year></PubDate></JournalIssue>"
            f"</Journal><ArticleTitle>T</ArticleTitle><PublicationTypeList>{types}"
            "</PublicationTypeList></Article>"
            + (f"<CommentsCorrectionsList>{links}</CommentsCorrectionsList>" if links else "")
            + "</MedlineCitation><PubmedData><PublicationStatus>ppublish</PublicationStatus>"
            "</PubmedData></PubmedArticle></PubmedArticleSet>").encode()
    [record] = parse_efetch([body])
    assert (record["notice_kind"], record["retracted"]) == (kind, retracted)
    assert len(record["notices"]) == (1 if "RetractionIn" in links or "ErratumFor" in links else 0)


def test_ref_source_doi():
    from harvester.sources.pubmed_xml import parse_ref_source_doi
    assert parse_ref_source_doi("Cancer Cell. 2024 Jan 8;42(1):170. doi: "
                                "10.1016/j.ccell.2023.12.005") == "10.1016/j.ccell.2023.12.005"
    assert parse_ref_source_doi("Lancet. 2010 Feb 6;375(9713):445. doi: "
                                "10.1016/S0140-6736(10)60175-4.") == "10.1016/s0140-6736(10)60175-4"
    assert parse_ref_source_doi("J Infect Dis 1998 Aug;178(2):601") is None
    assert parse_ref_source_doi("Ann Doi Stud. 2020;3:1.") is None
    assert parse_ref_source_doi(None) is None


def test_empty_set_and_delete_citation():
    assert parse("empty_set.xml") == []
    record, deleted = parse("delete_citation.xml")
    assert record["pmid"] == 41047712
    assert deleted == Deleted((41999990, 41999991))


def test_a_record_that_is_mostly_references_parses_the_same():
    # 40 references make three quarters of a record's bytes; the unread ReferenceList is cut
    # from PubmedData on, wherever it starts.
    data = (PUBMED / "structured_markup.xml").read_bytes()
    start, end = data.index(b"<Reference>"), data.index(b"</ReferenceList>")
    heavy = data[:start] + data[start:end] * 14 + data[end:]
    [record] = parse_efetch([heavy])
    [plain] = parse("structured_markup.xml")
    assert record.pop("pubmed_raw").count(b"<Reference>") == 42
    plain.pop("pubmed_raw")
    assert record == plain


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_chunk_boundaries_do_not_matter(chunk):
    assert parse("structured_markup.xml", chunk) == parse("structured_markup.xml")
    assert parse("cell_press_two.xml", chunk) == parse("cell_press_two.xml")


BAD_BODIES = {
    "error element": (b'<?xml version="1.0" ?>\n<eFetchResult><ERROR>Unable to obtain query #1'
                      b"</ERROR></eFetchResult>",
                      "<eFetchResult> instead of <PubmedArticleSet>: Unable to obtain query #1"),
    "html": (b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back soon"
             b"</body></html>", "an HTML page instead of PubMed XML"),
    "empty": (b"", "empty body"),
    "truncated": ((PUBMED / "cell_press_two.xml").read_bytes()[:5000],
                  "truncated XML: the body ends before </PubmedArticleSet>"),
}


@pytest.mark.parametrize("body, message", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_what_is_not_an_article_set_is_an_error(body, message):
    with pytest.raises(EfetchError) as error:
        list(parse_efetch([body]))
    assert str(error.value) == message


GOOD = synthetic_article(40000001, dt.date(2025, 11, 20)).encode()
BROKEN = b"<PubmedArticle><MedlineCitation><PMID>40000002</PMID></PubmedArticle>"
# Billion laughs: an entity declared in the DOCTYPE is never expanded.
ENTITY = (b"<PubmedArticle><MedlineCitation><PMID>40000003</PMID><Article><ArticleTitle>&b;"
          b"</ArticleTitle></Article></MedlineCitation></PubmedArticle>")
NOT_A_NUMBER = GOOD.replace(b"<PMID Version=\"1\">40000001</PMID>",
                            b"<PMID Version=\"1\">4000000x</PMID>")


def test_a_record_that_cannot_be_read_is_returned_aside_and_the_others_are_read():
    body = (b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]><PubmedArticleSet>' + BROKEN + ENTITY + NOT_A_NUMBER
            + GOOD + b"</PubmedArticleSet>")
    items = list(parse_efetch([body]))
    assert items[:3] == [
        # expat counts columns from 0: a mismatched end tag at its name, an entity at its "&"
        Unreadable("40000002", BROKEN, "malformed XML in a record (mismatched tag: line 1, "
                   f"column {BROKEN.index(b'</PubmedArticle>') + 2})"),
        Unreadable("40000003", ENTITY, "malformed XML in a record (undefined entity: line 1, "
                   f"column {ENTITY.index(b'&b;')})"),
        Unreadable(f"sha1:{hashlib.sha1(NOT_A_NUMBER).hexdigest()}", NOT_A_NUMBER,
                   "ValueError: invalid literal for int() with base 10: '4000000x'")]
    assert items[3]["pmid"] == 40000001 and len(items) == 4


# --- biopython as the oracle -----------------------------------------------------------------

DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>")
BIOPYTHON_DOCTYPE = (b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
                     b'2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">')


def _plain(text) -> str | None:
    """Biopython keeps inline markup as literal tags: compare text only."""
    if text is None:
        return None
    text = re.sub(r"</?(?:i|b|u|sup|sub|mml:[a-z]+)(?: [^>]*)?>", "", str(text))
    text = re.sub(r"\s+([.,;:])", r"\1", " ".join(text.split()))
    return text or None


def _oracle(path: Path) -> list[dict]:
    # Biopython validates against the DTD the file names and would download one it lacks (no
    # network here): hand it the bundled 2025 DTD, the content is the same.
    data = DOCTYPE.sub(BIOPYTHON_DOCTYPE, path.read_bytes(), count=1)
    import io
    parsed = Entrez.read(io.BytesIO(data))
    out = []
    for article in parsed["PubmedArticle"]:
        citation = article["MedlineCitation"]
        art = citation["Article"]
        doi = next((str(e) for e in art.get("ELocationID", []) if e.attributes["EIdType"] == "doi"),
                   None) or next((str(i) for i in article["PubmedData"]["ArticleIdList"]
                                  if i.attributes["IdType"] == "doi"), None)
        out.append({
            "pmid": int(citation["PMID"]), "doi": doi.lower() if doi else None,
            "title": _plain(art["ArticleTitle"]),
            "authors": [a.get("CollectiveName") and _plain(a["CollectiveName"])
                        or (a.get("LastName"), a.get("Initials"))
                        for a in art.get("AuthorList", []) if a.attributes.get("ValidYN") != "N"],
            "coi": _plain(citation.get("CoiStatement")),
        })
    for book in parsed["PubmedBookArticle"]:
        doc = book["BookDocument"]
        out.append({
            "pmid": int(doc["PMID"]), "doi": None, "title": _plain(doc["ArticleTitle"]),
            "authors": [(a.get("LastName"), a.get("Initials"))
                        for lst in doc.get("AuthorList", []) for a in lst
                        if lst.attributes.get("Type", "authors") == "authors"],
            "coi": None,
        })
    return sorted(out, key=lambda r: r["pmid"])


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_agrees_with_biopython(path):
    ours = sorted((r for r in parse_efetch([path.read_bytes()]) if isinstance(r, dict)),
                  key=lambda r: r["pmid"])
    mine = [{"pmid": r["pmid"], "doi": r["doi"], "title": _plain(r["title"]),
             "authors": [a["collective_name"] or (a["last_name"], a["initials"])
                         for a in r["authors"]],
             "coi": _plain(r["coi_statement"] and html.unescape(r["coi_statement"]))}
            for r in ours]
    assert mine == _oracle(path)
    assert len(mine) == (path.read_bytes().count(b"<PubmedArticle>")
                         + path.read_bytes().count(b"<PubmedBookArticle>"))


def test_squashed_whitespace_is_what_split_and_join_give():
    from harvester.sources.pubmed_xml import _squashed
    samples = ["", " ", "a b", " a", "ab ", "a  b", "a\u00a0b", "x\u2009y", "\u00e9 b", "one two."]
    samples += [f"a{chr(c)}b" for c in range(128)] + [f"{chr(c)}ab" for c in range(128)]
    for text in samples:
        assert _squashed(text) == " ".join(text.split()), repr(text)
