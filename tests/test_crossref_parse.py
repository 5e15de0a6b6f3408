"""Crossref works -> records (the pure first step of the Cancer Cell collector)."""

from __future__ import annotations

import json
from pathlib import Path

from harvester.sources.crossref import date_parts, flatten_jats, parse_updates, work_to_record

CROSSREF = Path(__file__).parent / "fixtures" / "crossref"


def test_a_cancer_cell_work():
    work = json.loads((CROSSREF / "work_cancer_cell.json").read_text())["message"]
    assert work_to_record(work) == {
        "doi": "10.1016/j.ccell.2025.10.007",
        "title": "Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in "
                 "early-stage lung adenocarcinoma",
        "journal": "Cancer Cell", "journal_short": "Cancer Cell",
        "issn_print": "1535-6108", "issn_electronic": None, "type": "journal-article",
        "publisher": "Elsevier BV", "volume": "43", "issue": "11", "pages": "2011-2027",
        "published_online": "2025-11-10", "published_print": "2025-11", "issued": "2025-11",
        "created_at": "2025-11-10T16:21:09Z",
        "url": "https://doi.org/10.1016/j.ccell.2025.10.007",
        "authors": [
            {"given": "Joana", "family": "Ferreira-Lam", "name": None,
             "orcid": "0000-0001-8842-3071", "orcid_authenticated": False,
             "affiliations": ["Department of Thoracic Oncology, Harbourview Cancer Center, "
                              "Seattle, WA 98109, USA"], "sequence": "first"},
            {"given": "Tolu", "family": "Adeyemi", "name": None, "orcid": None,
             "orcid_authenticated": False,
             "affiliations": ["Department of Thoracic Oncology, Harbourview Cancer Center, "
                              "Seattle, WA 98109, USA",
                              "Institute for Systems Immunology, Cascade University, Seattle, WA "
                              "98195, USA"], "sequence": "additional"},
            {"given": "Radoslaw", "family": "Kowalczyk", "name": None,
             "orcid": "0000-0002-5519-660X", "orcid_authenticated": True, "affiliations": [],
             "sequence": "additional"},
            {"given": None, "family": None, "name": "LUNG-CHIP Consortium", "orcid": None,
             "orcid_authenticated": False, "affiliations": [], "sequence": "additional"},
        ],
        "licenses": [
            {"url": "https://www.elsevier.com/tdm/userlicense/1.0/", "start": "2025-11-10",
             "delay_in_days": 0, "content_version": "tdm"},
            # Elsevier's open archive: free to read a year after publication.
            {"url": "http://www.elsevier.com/open-access/userlicense/1.0/", "start": "2026-11-10",
             "delay_in_days": 365, "content_version": "vor"},
            {"url": "https://doi.org/10.15223/policy-017", "start": "2025-11-10",
             "delay_in_days": 0, "content_version": "stm-asf"},
        ],
        "abstract": "Clonal hematopoiesis of indeterminate potential (CHIP) is common in patients "
                    "with lung cancer. Using paired blood and tumor sequencing from 486 patients, "
                    "we show that TET2-mutant monocytes accumulate in tumors & express IL-1\u03b2.",
        # A research article: it updates nothing and nothing updates it (yet).
        "update_to": [], "updated_by": [],
    }


def test_a_page_of_journal_works():
    page = json.loads((CROSSREF / "journal_works_page.json").read_text())["message"]
    first, sectioned, sparse = (work_to_record(item) for item in page["items"])
    assert first["doi"] == "10.1016/j.ccell.2025.10.007"
    assert sectioned["title"] == "Tumor-intrinsic ERBB2 dosage shapes T cell exhaustion"
    assert sectioned["abstract"] == ("Background: HER2+ tumors are heterogeneous.\n"
                                     "Findings: Dosage predicts exhaustion.")
    assert sectioned["pages"] is None
    assert {k: sparse[k] for k in ("published_online", "published_print", "issued", "authors",
                                   "licenses", "abstract", "title")} == {
        "published_online": None, "published_print": None, "issued": None, "authors": [],
        "licenses": [], "abstract": "An HTML abstract", "title": "Mind the <gap>"}


def test_date_parts():
    assert date_parts({"date-parts": [[2025]]}) == "2025"
    assert date_parts({"date-parts": [[2025, 3, 7]]}) == "2025-03-07"
    assert date_parts({"date-parts": [[None]]}) is None
    assert date_parts(None) is None


def test_flatten_jats_edge_cases():
    assert flatten_jats(None) is None
    assert flatten_jats("   ") is None
    assert flatten_jats("<jats:p>One.</jats:p><jats:p>Two.</jats:p>") == "One.\nTwo."
    assert flatten_jats("Plain <jats:italic>text</jats:italic> only") == "Plain text only"


def _load(name: str) -> dict:
    return work_to_record(json.loads((CROSSREF / name).read_text())["message"])


def test_a_retraction_notice_from_the_publisher():
    record = _load("notice_publisher.json")
    assert (record["doi"], record["title"], record["updated_by"]) == (
        "10.1016/j.ccell.2025.11.002", "Retraction Notice to: MYC-driven enhancer hijacking "
        "sustains ferroptosis escape in small cell lung cancer", [])
    assert record["update_to"] == [
        {"type": "retraction", "update_type": "retraction", "doi": "10.1016/j.ccell.2023.12.005",
         "date": "2025-11-21", "source": "publisher", "label": "Retraction"}]


def test_a_notice_linked_by_the_publisher_and_by_retraction_watch():
    # Both links stay: same original, same kind, two sources (and two dates).
    assert _load("notice_retraction_watch.json")["update_to"] == [
        {"type": "expression_of_concern", "update_type": "expression_of_concern",
         "doi": "10.1016/s1470-2045(24)00512-7", "date": "2025-08-29", "source": "publisher",
         "label": "Expression of concern"},
        {"type": "expression_of_concern", "update_type": "expression_of_concern",
         "doi": "10.1016/s1470-2045(24)00512-7", "date": "2025-09-01",
         "source": "retraction-watch", "label": "Expression of concern"}]


def test_an_original_with_its_notices_in_updated_by():
    record = _load("original_updated_by.json")
    assert (record["doi"], record["update_to"]) == ("10.1016/s1470-2045(24)00512-7", [])
    assert record["updated_by"] == [
        {"type": "correction", "update_type": "correction", "doi": "10.1016/s1470-2045(24)00701-1",
         "date": "2024-11-25", "source": "publisher", "label": "Correction"},
        {"type": "expression_of_concern", "update_type": "expression_of_concern",
         "doi": "10.1016/s1470-2045(25)00433-5", "date": "2025-08-29", "source": "publisher",
         "label": "Expression of concern"},
        {"type": "expression_of_concern", "update_type": "expression_of_concern",
         "doi": "10.1016/s1470-2045(25)00433-5", "date": "2025-09-01",
         "source": "retraction-watch", "label": "Expression of concern"}]


def test_update_types_and_odd_entries():
    assert [(u["update_type"], u["type"]) for u in parse_updates(
        [{"DOI": f"10.5555/{t}", "type": t} for t in (
            "retraction", "withdrawal", "removal", "partial_retraction", "correction",
            "corrigendum", "erratum", "addendum", "clarification", "expression_of_concern",
            "new_version", "new_edition", "reinstatement")])] == [
        ("retraction", "retraction"), ("withdrawal", "retraction"), ("removal", "retraction"),
        ("partial_retraction", "correction"), ("correction", "correction"),
        ("corrigendum", "correction"), ("erratum", "correction"), ("addendum", "correction"),
        ("clarification", "correction"), ("expression_of_concern", "expression_of_concern"),
        ("new_version", "update"), ("new_edition", "update"), ("reinstatement", "update")]
    assert parse_updates([
        # Only a date-time, no date-parts; a DOI as a resolver URL.
        {"DOI": "https://doi.org/10.5555/A", "type": "retraction",
         "updated": {"date-time": "2010-02-06T00:00:00Z"}},
        {"DOI": "10.5555/a", "type": "retraction",
         "updated": {"date-time": "2010-02-06T00:00:00Z"}},
        {"type": "retraction", "label": "Retraction"},  # no DOI: nothing to link
        {"DOI": "10.5555/b", "updated": {"date-parts": [[2021]]}},  # no type, a year only
    ]) == [
        {"type": "retraction", "update_type": "retraction", "doi": "10.5555/a",
         "date": "2010-02-06", "source": None, "label": None},
        {"type": "update", "update_type": None, "doi": "10.5555/b", "date": "2021",
         "source": None, "label": None}]
    assert parse_updates(None) == []
