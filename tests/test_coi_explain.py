"""`harvest coi explain`: what an editor checks before printing an article's COI line."""

from __future__ import annotations

import json

from tests.conftest import rows

CLAUSE_RK = ("R.K. is a scientific advisor for Bristol Myers Squibb and Novartis and has "
             "received research funding from Pfizer.")
CLAUSE_JFL = "J.F.-L. is an inventor on a patent application related to this work."


def test_explain_shows_the_statement_its_place_and_the_clauses(editorial, harvest):
    result = harvest("coi", "explain", "41212658")
    assert result.exit_code == 0, result.err
    assert result.out == (
        "PMID 41212658 DOI 10.1016/j.ccell.2025.10.007\n"
        "  Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in "
        "early-stage lung adenocarcinoma.\n"
        "\n"
        "Statement (pubmed, MedlineCitation/CoiStatement):\n"
        "  Declaration of interests R.K. is a scientific advisor for Bristol Myers Squibb and "
        "Novartis\n"
        "  and has received research funding from Pfizer. J.F.-L. is an inventor on a patent "
        "application\n"
        "  related to this work. The remaining authors declare no competing interests.\n"
        "\n"
        "Status: declared\n"
        f"  decided by: {CLAUSE_RK}\n"
        "\n"
        "Companies:\n"
        f"  Bristol Myers Squibb  <- {CLAUSE_RK}\n"
        f"  Novartis  <- {CLAUSE_RK}\n"
        f"  Pfizer  <- {CLAUSE_RK}\n"
        "\n"
        "Authors declaring: 2 of 3\n"
        f"  Joana Ferreira-Lam  <- {CLAUSE_JFL}\n"
        f"  Roman Kowalczyk  <- {CLAUSE_RK}\n")


def test_explain_json_by_doi_in_any_case(editorial, harvest):
    result = harvest("coi", "explain", "https://doi.org/10.1016/J.CCELL.2025.10.007", "--json")
    assert result.exit_code == 0, result.err
    report = json.loads(result.out)
    [checked] = rows(editorial, "SELECT checked_at FROM coi c JOIN article a ON a.id = "
                                "c.article_id WHERE a.pmid = 41212658")
    assert report == {
        "pmid": 41212658, "doi": "10.1016/j.ccell.2025.10.007",
        "title": "Clonal hematopoiesis-derived myeloid cells seed an immunosuppressive niche in "
                 "early-stage lung adenocarcinoma.",
        "status": "declared", "stored_status": "declared",
        "statement": "Declaration of interests R.K. is a scientific advisor for Bristol Myers "
                     "Squibb and Novartis and has received research funding from Pfizer. J.F.-L. "
                     "is an inventor on a patent application related to this work. The remaining "
                     "authors declare no competing interests.",
        "source": "pubmed", "element": "MedlineCitation/CoiStatement", "evidence": CLAUSE_RK,
        "organizations": [{"name": "Bristol Myers Squibb", "clause": CLAUSE_RK},
                          {"name": "Novartis", "clause": CLAUSE_RK},
                          {"name": "Pfizer", "clause": CLAUSE_RK}],
        "authors": [{"name": "Joana Ferreira-Lam", "clause": CLAUSE_JFL},
                    {"name": "Roman Kowalczyk", "clause": CLAUSE_RK}],
        "authors_total": 3, "checked_at": checked["checked_at"], "next_check_at": None}


def test_explain_without_a_statement_and_for_an_unknown_article(editorial, harvest):
    [when] = rows(editorial, "SELECT checked_at, next_check_at FROM coi c JOIN article a ON "
                             "a.id = c.article_id WHERE a.pmid = 41011865")
    result = harvest("coi", "explain", "PMID:41011865")
    assert (result.exit_code, result.out.splitlines()[-1]) == (
        0, f"No statement found (PubMed, Europe PMC full text); checked {when['checked_at']}, "
           f"next look {when['next_check_at']}. 'not_found' is not 'no conflicts'.")
    unknown = harvest("coi", "explain", "12345")
    assert (unknown.exit_code, unknown.out, unknown.err) == (
        2, "", "Error: no article with PMID or DOI '12345' in data/harvest.db; `harvest search` "
               "finds articles by their words\n")
