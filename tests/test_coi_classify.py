"""The conflict-of-interest classifier: rule families, normalisation, author mapping, and its
accuracy over the labelled set in tests/fixtures/coi/labelled.jsonl (see its README)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harvester.enrich.coi_classify import CoiResult, classify

LABELLED = Path(__file__).parent / "fixtures" / "coi" / "labelled.jsonl"
AB = ["Ana Bianchi", "Carl Dorn"]


def status(text, authors=None):
    return classify(text, authors).status


# --- status rule families ----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The authors declare no competing interests.",
    "None declared.",
    "No potential conflicts of interest were disclosed.",
    "The author(s) declared that this work was conducted in the absence of any commercial or "
    "financial relationships that could be construed as a potential conflict of interest.",
    "Die Autoren geben an, dass kein Interessenkonflikt besteht.",
    "There are no conflicts of interest.",
    "Nothing to disclose.",
    "Les auteurs déclarent ne pas avoir de liens d'intérêts.",
    "The authors have no relevant financial or non-financial interests to disclose.",
])
def test_none_declared_phrasings(text):
    result = classify(text)
    assert result == CoiResult("none_declared", [], [], result.evidence)
    assert result.evidence


@pytest.mark.parametrize("text", [
    "A.B. is an employee of Pfizer.",
    "A.B. is a consultant for Pfizer.",
    "A.B. serves on the advisory board of Pfizer.",
    "A.B. has received honoraria from Pfizer.",
    "A.B. received speaker fees from Pfizer.",
    "A.B. received research funding from Pfizer.",
    "A.B. holds stock in Pfizer.",
    "A.B. holds stock options in Pfizer.",
    "A.B. is an inventor on a patent licensed to Pfizer.",
    "A.B. receives royalties from Pfizer.",
    "A.B. is a co-founder of Pfizer.",
    "A.B. is a member of the board of directors of Pfizer.",
    "A.B. received travel support from Pfizer.",
])
def test_declared_relationship_families(text):
    result = classify(text + " The other authors declare no competing interests.", AB)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Pfizer"], ["Ana Bianchi"])
    assert result.evidence == text


def test_declared_without_a_company():
    assert status("H.Y. has patent applications related to cell-penetrating peptide.") == "declared"
    assert status("D.R. chairs the guideline panel evaluated here, which may be considered a "
                  "non-financial competing interest.") == "declared"


def test_one_declaring_author_among_none_is_declared():
    result = classify("A.B. is a consultant for X Therapeutics. The other authors declare no "
                      "competing interests.", AB)
    assert result.status == "declared"
    assert result.organizations == ["X Therapeutics"]


def test_government_or_foundation_funding_alone_is_not_declared():
    assert status("This work was funded by the NIH.") == "unclear"
    assert status("This work was funded by the NIH. The authors declare no competing "
                  "interests.") == "none_declared"
    assert status("This study received a grant from the Deutsche Forschungsgemeinschaft and the "
                  "Bill & Melinda Gates Foundation.", AB) == "unclear"
    # A named author's grants are disclosed as interests (SPEC), whoever gave them.
    result = classify("A.B. received a grant from the Deutsche Forschungsgemeinschaft and the "
                      "Bill & Melinda Gates Foundation.", AB)
    assert (result.status, result.organizations) == ("declared", [])
    assert status("A.B. received research funding from Pfizer.", AB) == "declared"


@pytest.mark.parametrize("text", [
    "Disclosure forms provided by the authors are available with the full text of this article.",
    "See the ICMJE forms.",
    "",
    "   ",
    "Competing interests",
    "Declaration of interests.",
    "Competing interests: Not applicable.",
])
def test_unclear(text):
    assert classify(text) == CoiResult("unclear", [], [], "")


# --- headings and blocks ----------------------------------------------------------------------

def test_glued_headings():
    result = classify("Declaration of interests H.Y. has patent applications related to "
                      "cell-penetrating peptide.", ["Hua Yu"])
    assert (result.status, result.authors_declaring) == ("declared", ["Hua Yu"])
    assert result.evidence.startswith("H.Y. has patent")
    assert status("Competing interests. The authors declare no competing interests.") == \
        "none_declared"
    assert status("Conflict of interest: None declared.") == "none_declared"


def test_springer_block_only_competing_interests_count():
    text = ("Declarations. Ethics approval and consent to participate: The study was approved by "
            "the ethics committee and participants gave informed consent. Consent for "
            "publication: Not applicable. Competing interests: The authors declare no competing "
            "interests. Funding: This work was supported by Bayer AG and Roche.")
    result = classify(text)
    assert (result.status, result.organizations) == ("none_declared", [])
    assert result.evidence == "The authors declare no competing interests."
    assert status("Declarations. Ethics approval and consent to participate: Approved. Funding: "
                  "Pfizer Inc. funded the study.") == "unclear"


def test_headings_on_their_own_lines():
    text = ("Declarations\nConflict of interest\nA. Rossi has received honoraria from Novartis.\n"
            "Funding\nThis study was funded by Roche.")
    result = classify(text, ["Andrea Rossi"])
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Novartis"], ["Andrea Rossi"])


def test_compliance_block():
    text = ("Compliance with ethical standards. Guarantor: The scientific guarantor of this "
            "publication is A. Bianchi. Conflict of interest: The authors of this manuscript "
            "declare relationships with the following companies: Medical AI Promotion Institute, "
            "Inc. Statistics and biometry: No complex statistical methods were necessary.")
    result = classify(text, AB)
    assert (result.status, result.organizations) == ("declared",
                                                     ["Medical AI Promotion Institute"])
    assert result.authors_declaring == AB


def test_had_no_role_sentences_do_not_count():
    result = classify("The funders (Pfizer) had no role in the design of the study. The authors "
                      "declare no conflicts of interest.")
    assert (result.status, result.organizations) == ("none_declared", [])
    result = classify("A.B. is a consultant for Novartis. The funder, Pfizer, had no role in the "
                      "study design.", AB)
    assert result.organizations == ["Novartis"]


# --- organisations ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, canonical", [
    ("Genentech, Inc.", "Genentech"),
    ("MSD", "Merck Sharp & Dohme"),
    ("Merck Sharp & Dohme", "Merck Sharp & Dohme"),
    ("BMS", "Bristol Myers Squibb"),
    ("Bristol-Myers Squibb", "Bristol Myers Squibb"),
    ("Hoffmann-La Roche", "Roche"),
    ("F. Hoffmann-La Roche Ltd", "Roche"),
    ("Roche Diagnostics", "Roche Diagnostics"),      # a division keeps its written name
    ("Roche Diabetes Care, Inc.", "Roche Diabetes Care"),
    ("Takeda Pharmaceutical Company Limited", "Takeda Pharmaceutical"),
    ("AstraZeneca", "AstraZeneca"),
    ("Astra Zeneca", "AstraZeneca"),
    ("GSK", "GlaxoSmithKline"),
    ("Arvinas Inc.", "Arvinas"),
    ("Kura Oncology", "Kura Oncology"),
    ("Scorpion Therapeutics", "Scorpion Therapeutics"),
    ("Nuvation Bio", "Nuvation Bio"),
    ("Acme Biosciences GmbH", "Acme Biosciences"),
    ("Zentalis Pharmaceuticals, LLC", "Zentalis Pharmaceuticals"),
])
def test_organization_normalisation(name, canonical):
    result = classify(f"A.B. has received consulting fees from {name}.", AB)
    assert result.organizations == [canonical]


def test_organization_lists_and_exclusions():
    result = classify("J.K. received consulting fees from Genzyme, Protagen AG, Roche, and Teva; "
                      "speaker fees from the Swiss MS Society and Biogen; and grants from the "
                      "University of Basel, the Swiss National Research Foundation, the NIH, and "
                      "Cernostics.")
    assert result.organizations == ["Biogen", "Cernostics", "Genzyme", "Protagen", "Roche", "Teva"]


def test_short_aliases_only_as_whole_words():
    result = classify("A.B. has received fees from Pfizer for work on GSK3B and BMS-986016 "
                      "studies in the MSDS database.", AB)
    assert result.organizations == ["Pfizer"]


def test_lowercase_running_text_is_not_a_company():
    result = classify("A.B. is a consultant for Novartis; the merck of this is debatable.", AB)
    assert result.organizations == ["Novartis"]


def test_places_and_people_are_not_companies():
    result = classify("A.H. now works for AstraZeneca, UK. E.M. is the owner of Mazalytics LLC, "
                      "Boston, Massachusetts, USA.", ["Andrew Harper", "Erica Mazaika"])
    assert result.organizations == ["AstraZeneca", "Mazalytics"]
    assert result.authors_declaring == ["Andrew Harper", "Erica Mazaika"]


# --- authors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, authors, expected", [
    ("A.B. received fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"], ["Ana Bianchi"]),
    ("J.-P.S. received fees from Pfizer.", ["Jean-Pierre Smith", "John Smith"],
     ["Jean-Pierre Smith"]),
    ("JPS received fees from Pfizer.", ["John Smith", "Jean-Pierre Smith"], ["Jean-Pierre Smith"]),
    ("AB received fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"], ["Ana Bianchi"]),
    ("Ana Bianchi reports fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"], ["Ana Bianchi"]),
    ("Dr. Bianchi reports fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"], ["Ana Bianchi"]),
    ("Dr Dorn reports fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"], ["Carl Dorn"]),
    ("A. Bianchi reports fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"], ["Ana Bianchi"]),
    ("A.B. received fees from Pfizer.", ["Bianchi A", "Dorn C"], ["Bianchi A"]),
    ("AB and CD received fees from Pfizer.", ["Bianchi AB", "Dorn CD", "Eck E"],
     ["Bianchi AB", "Dorn CD"]),
    ("J.C.V.-U. received fees from Pfizer.", ["Juan Carlos Vázquez-Ucha", "Jorge Arca-Suárez"],
     ["Juan Carlos Vázquez-Ucha"]),
    ("D.P.O. received fees from Pfizer.", ["Declan P O'Regan", "Daniel Ortiz"],
     ["Declan P O'Regan"]),
    ("R.D.P. received fees from Pfizer.", ["Renaud Du Pasquier", "Rita Pohl"],
     ["Renaud Du Pasquier"]),
    ("C.D. and A.B. received fees from Pfizer.", ["Ana Bianchi", "Carl Dorn"],
     ["Ana Bianchi", "Carl Dorn"]),
])
def test_author_mapping(text, authors, expected):
    assert classify(text, authors).authors_declaring == expected


def test_authors_none_gives_empty_list():
    assert classify("A.B. received fees from Pfizer.").authors_declaring == []


def test_pronoun_clause_inherits_the_author():
    result = classify("C.D. receives research funding from Medtronic; she is a consultant for "
                      "Cook Medical. A.B. declares no competing interests.", AB)
    assert result.authors_declaring == ["Carl Dorn"]
    assert result.organizations == ["Cook Medical", "Medtronic"]


def test_all_authors_declare():
    result = classify("The authors are employees of AstraZeneca.", AB)
    assert result.authors_declaring == AB


def test_jco_per_author_list():
    text = ("Ana Bianchi\nHonoraria: Roche, AstraZeneca\nConsulting or Advisory Role: Merck, BMS\n"
            "Research Funding: Pfizer (Inst)\nCarl Dorn\nNo relationship to disclose\n"
            "No other potential conflicts of interest were reported.")
    result = classify(text, AB)
    assert result == CoiResult("declared", ["AstraZeneca", "Bristol Myers Squibb", "Merck",
                                            "Pfizer", "Roche"], ["Ana Bianchi"],
                               "Honoraria: Roche, AstraZeneca")
    flat = text.replace("\n", " ")
    assert classify(flat, AB).authors_declaring == ["Ana Bianchi"]
    assert classify(flat, AB).organizations == result.organizations


def test_german_declaration():
    result = classify("Interessenkonflikt. K. Brandstätter gibt an, Vortragshonorare von Roche und "
                      "Beratungshonorare von Novartis erhalten zu haben. L. Hoffmann gibt an, dass "
                      "kein Interessenkonflikt besteht.", ["Katrin Brandstätter", "Lena Hoffmann"])
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Novartis", "Roche"], ["Katrin Brandstätter"])


# --- accuracy over the labelled set -----------------------------------------------------------

def _labelled():
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_labelled_set_shape():
    rows = _labelled()
    counts = Counter(r["status"] for r in rows)
    assert len(rows) >= 120
    assert counts["declared"] >= 0.35 * len(rows) and counts["none_declared"] >= 0.35 * len(rows)
    assert counts["unclear"] >= 0.15 * len(rows)


def test_accuracy_on_labelled_set():
    rows = _labelled()
    per_class: dict[str, list[int]] = {}
    tp = fp = fn = 0
    authors_ok = authors_n = 0
    misses = []
    for row in rows:
        got = classify(row["text"], row["authors"])
        ok = got.status == row["status"]
        per_class.setdefault(row["status"], []).append(ok)
        if not ok:
            misses.append(f"status {row['status']} -> {got.status}: {row['text'][:90]!r}")
        if row["status"] == "declared":
            want, have = set(row["organizations"]), set(got.organizations)
            tp += len(want & have)
            fp += len(have - want)
            fn += len(want - have)
            if want != have:
                misses.append(f"orgs +{sorted(have - want)} -{sorted(want - have)}")
        if row["authors"] is not None:
            authors_n += 1
            authors_ok += got.authors_declaring == row["authors_declaring"]
            if got.authors_declaring != row["authors_declaring"]:
                misses.append(f"authors {got.authors_declaring} != {row['authors_declaring']}")
    overall = sum(sum(v) for v in per_class.values()) / len(rows)
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    print(f"\nCOI labelled set: {len(rows)} statements")
    print(f"status accuracy: {overall:.3f}")
    for name, oks in sorted(per_class.items()):
        print(f"  {name}: {sum(oks)}/{len(oks)} = {sum(oks) / len(oks):.3f}")
    print(f"organizations (micro, declared statements): precision {precision:.3f} "
          f"recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn})")
    print(f"authors_declaring exact: {authors_ok}/{authors_n} = {authors_ok / authors_n:.3f}")
    for m in misses:
        print("  miss:", m)
    assert overall >= 0.97
    assert precision >= 0.95
    assert recall >= 0.90
    assert authors_ok / authors_n >= 0.85


# --- issue #12: structure, exceptions, roles, interests without a company, list grammar -------

AUTHORS3 = ["Ana Bianchi", "Carl Dorn", "Eva Fink"]


@pytest.mark.parametrize("text, expected", [
    ("All authors except A.B. and C.D. declare no competing interests.",
     ["Ana Bianchi", "Carl Dorn"]),
    ("The authors, with the exception of E.F., have no conflicts of interest to declare.",
     ["Eva Fink"]),
    ("A.B. reports grants from Vantor Labs; the other authors declare no competing interests.",
     ["Ana Bianchi"]),
])
def test_exceptions_are_declared(text, expected):
    result = classify(text, AUTHORS3)
    assert (result.status, result.authors_declaring) == ("declared", expected)


def test_exception_without_author_list_is_declared():
    assert status("None of the authors has a conflict of interest other than Dr. Rivas.") == \
        "declared"
    assert status("The authors declare no competing interests, except as noted in the "
                  "funding section.") == "none_declared"


def test_icmje_preamble_what_follows_counts():
    preamble = ("All authors have completed the ICMJE uniform disclosure form at "
                "www.icmje.org/disclosure-of-interest/ and declare: ")
    result = classify(preamble + "C.D. reports personal fees from Quarry Analytics outside the "
                      "submitted work; no other relationships or activities that could appear to "
                      "have influenced the submitted work.", AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Quarry Analytics"], ["Carl Dorn"])
    assert status(preamble + "no support from any organisation for the submitted work; no "
                  "financial relationships with any organisations that might have an interest "
                  "in the submitted work in the previous three years; no other relationships or "
                  "activities that could appear to have influenced the submitted work.") == \
        "none_declared"


@pytest.mark.parametrize("text, expected", [
    ("The senior author is a consultant for Quilter Labs.", ["Eva Fink"]),
    ("The last author holds stock in Quilter Labs.", ["Eva Fink"]),
    ("The PI has received research funding from Quilter Labs.", []),
])
def test_roles_introduce_declarations(text, expected):
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Quilter Labs"], expected)


@pytest.mark.parametrize("text", [
    "A.B. reports grants from the National Institutes of Health outside the submitted work.",
    "C.D. is an Associate Editor of this journal and was not involved in its peer review.",
    "E.F. is a member of the editorial board of the journal.",
    "E.F. serves on an advisory committee of the Ministry of Health.",
    "A.B. holds a patent on a method for detecting tumour DNA.",
    "C.D. is a member of the board of a start-up company.",
])
def test_interests_without_a_company_are_declared(text):
    result = classify(text + " The other authors declare no competing interests.", AUTHORS3)
    assert (result.status, result.organizations) == ("declared", [])
    assert len(result.authors_declaring) == 1


def test_public_funding_of_the_work_alone_is_still_not_declared():
    assert status("This work was supported by the National Cancer Institute.") == "unclear"


def test_run_on_sections_are_cut():
    text = ("Competing interests: A.B. is a consultant for Vortex Medical. Funding Statement This "
            "work was funded by Omega Biotech. Author Declarations I confirm all relevant ethical "
            "guidelines have been followed. Acknowledgements We thank Delta Pharma for reagents.")
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations) == ("declared", ["Vortex Medical"])
    text = ("Competing Interest Statement: The authors have declared no competing interest. "
            "Funding Statement: This study received support from Delta Pharma and Omega Biotech.")
    assert classify(text) == CoiResult("none_declared", [], [],
                                       "The authors have declared no competing interest.")


def test_category_lists_come_out_whole():
    text = ("A.B.: Scientific Advisory Board: Alpha Bio, Kestrel Health, Nimbus Works; "
            "Consultancy: Oriel, Tessera Partners; Stock: Zephyr Robotics.")
    result = classify(text, AUTHORS3)
    assert result.organizations == ["Alpha Bio", "Kestrel Health", "Nimbus Works", "Oriel",
                                    "Tessera Partners", "Zephyr Robotics"]


@pytest.mark.parametrize("clause, expected", [
    ("is an employee of Quandary Therapeutics", ["Quandary Therapeutics"]),
    ("holds shares in Helix Nanotech and stock in Corvus", ["Corvus", "Helix Nanotech"]),
    ("is a founder of Lumen Systems", ["Lumen Systems"]),
    ("is on the board of MedCo Analytics, LLC", ["MedCo Analytics"]),
    ("is a consultant to Marrow AI, Inc. and advisor to Obsidian", ["Marrow AI", "Obsidian"]),
    ("received honoraria from bioMérieux, Johnson & Johnson and Merck Sharp & Dohme",
     ["Johnson & Johnson", "Merck Sharp & Dohme", "bioMérieux"]),
    ("received fees from uniQure and iTeos Therapeutics", ["iTeos Therapeutics", "uniQure"]),
])
def test_companies_by_list_grammar(clause, expected):
    result = classify(f"C.D. {clause}.", AUTHORS3)
    assert (result.status, result.organizations) == ("declared", expected)


@pytest.mark.parametrize("alias, canonical", [
    ("GSK", "GlaxoSmithKline"), ("MSD", "Merck Sharp & Dohme"),
    ("Merck & Co., Inc.", "Merck Sharp & Dohme"), ("BMS", "Bristol Myers Squibb"),
    ("Bristol-Myers Squibb", "Bristol Myers Squibb"), ("F. Hoffmann-La Roche Ltd", "Roche"),
    ("Lilly", "Eli Lilly"), ("Seattle Genetics", "Seagen"), ("EMD Serono", "Merck KGaA"),
    ("Janssen Oncology", "Janssen"), ("Gilead Sciences, Inc.", "Gilead"),
])
def test_aliases_normalised_one_way(alias, canonical):
    assert classify(f"A.B. received fees from {alias}.", AUTHORS3).organizations == [canonical]


def test_never_people_titles_degrees_or_public_bodies():
    text = ("Professor Fink, MD, PhD, D.Phil, Director of the Comprehensive Cancer Center, has "
            "received grants from the NIH, the Wellcome Trust, the World Health Organization, the "
            "Medical Research Council, the Federal Ministry of Education and Research, the Gates "
            "Foundation, Harvard University and Mount Sinai Hospital (grant R01 CA123456), and "
            "personal fees from Halo Diagnostics, outside the submitted work.")
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Halo Diagnostics"], ["Eva Fink"])


def test_clauses_for_explain():
    text = ("A.B. received fees from Pfizer and Orion Labs. C.D. is an employee of GSK. "
            "E.F. declares no competing interests.")
    result = classify(text, AUTHORS3)
    assert result.organization_clauses == (
        ("Pfizer", "A.B. received fees from Pfizer and Orion Labs."),
        ("Orion Labs", "A.B. received fees from Pfizer and Orion Labs."),
        ("GlaxoSmithKline", "C.D. is an employee of GSK."))
    assert result.author_clauses == (
        ("Ana Bianchi", "A.B. received fees from Pfizer and Orion Labs."),
        ("Carl Dorn", "C.D. is an employee of GSK."))
    assert result.evidence == "A.B. received fees from Pfizer and Orion Labs."
    assert classify("None declared.").organization_clauses == ()


def test_publisher_templates():
    # Frontiers: "the company X"; "AB" is the author's initials, not a Swedish legal suffix.
    result = classify("Author AB was employed by the company Zeta Analytics. The remaining "
                      "authors declare that the research was conducted in the absence of any "
                      "commercial or financial relationships that could be construed as a "
                      "potential conflict of interest.", AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Zeta Analytics"], ["Ana Bianchi"])
    # eLife: an editorial role is declared, the journal is not a company.
    result = classify("AB: Reviewing Editor, eLife. CD: No competing interests declared.",
                      AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", [], ["Ana Bianchi"])
    # Taylor & Francis: the second sentence defines what the first denies.
    assert status("The authors have no relevant affiliations or financial involvement with any "
                  "organization or entity with a financial interest in or financial conflict "
                  "with the subject matter or materials discussed in the manuscript. This "
                  "includes employment, consultancies, honoraria, stock ownership or options, "
                  "expert testimony, grants or patents received or pending, or royalties.") == \
        "none_declared"


@pytest.mark.parametrize("text", [
    "Neither Dr. Rivas nor Ms. Okafor has any conflict of interest.",
    "The authors report no relationships that could be construed as a conflict of interest.",
    "Os autores declaram não haver conflitos de interesse.",
    "Each author discloses the absence of any conflicts of interest.",
    "None for any author.",
    "Competing interests: Nil No funding was received for this study.",
])
def test_more_none_phrasings(text):
    assert status(text) == "none_declared"


@pytest.mark.parametrize("text, orgs", [
    ("Veltro Bio provided assay kits free of charge. Otherwise the authors have no competing "
     "interests.", ["Veltro Bio"]),
    ("The study drink was supplied by Nutrimax. The authors declare no other competing "
     "interests.", ["Nutrimax"]),
    ("Capsules were prepared by the Kanto Fine Chemical Corporation.", ["Kanto Fine Chemical"]),
])
def test_suppliers_named_in_a_statement_are_counterparts(text, orgs):
    result = classify(text)
    assert (result.status, result.organizations) == ("declared", orgs)


def test_commercial_affiliation_is_declared_even_when_disclaimed():
    result = classify("One co-author's (A.B.) affiliation with a commercial company (GEOX) does "
                      "not alter the authors' adherence to the journal's policies.", AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["GEOX"], ["Ana Bianchi"])


@pytest.mark.parametrize("clause, expected", [
    ("consults for Sanofi Regeneron and Genentech Roche",
     ["Genentech", "Roche", "Sanofi", "Regeneron"]),
    ("is an employee of MilliporeSigma, a business of Merck KGaA, Darmstadt, Germany",
     ["Merck KGaA", "MilliporeSigma"]),
    ("was paid by Haisco Pharmaceutical China", ["Haisco Pharmaceutical"]),
    ("receives consulting fees from Boston Consulting Group and Alliance Medical",
     ["Alliance Medical", "Boston Consulting Group"]),
    ("is a consultant for Genome Pharmaceuticals Institute Co., Ltd. and Ortiva S.L.",
     ["Genome Pharmaceuticals Institute", "Ortiva"]),
    ("has a contract with the research company Nestec, owned by Nestlé", ["Nestec", "Nestlé"]),
])
def test_more_company_shapes(clause, expected):
    result = classify(f"C.D. {clause}.", AUTHORS3)
    assert (result.status, sorted(result.organizations)) == ("declared", sorted(expected))


def test_people_and_objects_are_not_companies():
    result = classify("Simone C. de Cassan and Anna L. Goodman are named inventors on patent "
                      "applications covering malaria vaccines and methods of use for PARPi-FL "
                      "related to CRISPR technologies.", ["Simone C. de Cassan", "Anna L. Goodman"])
    assert (result.status, result.organizations) == ("declared", [])
    result = classify("A.B. received research support from Pfizer to Yale and an unrestricted "
                      "gift from Sue and Bob Smith.", AUTHORS3)
    assert result.organizations == ["Pfizer"]


@pytest.mark.parametrize("text, authors, expected", [
    ("M.E.G is an employee of Tetra Labs.", ["Min Zhu", "Mark Gurney"], ["Mark Gurney"]),
    ("JM Gatell has received fees from Pfizer.", ["Jose Maria Gatell", "Ana Bianchi"],
     ["Jose Maria Gatell"]),
    ("ØF is an inventor on a patent.", ["Øystein Fluge", "Olav Mella"], ["Øystein Fluge"]),
    ("A.B. and C.D. are co-founders of Biobot. All these authors hold shares in the company.",
     AUTHORS3, ["Ana Bianchi", "Carl Dorn"]),
    ("All authors are employees of 23andMe, Inc.", ["Ana Bianchi", "23andMe Research Team"],
     ["Ana Bianchi"]),
    ("E.F. is a SAB member of Neogene.", ["Eva Fink", "Sara A. Bender"], ["Eva Fink"]),
])
def test_more_author_mapping(text, authors, expected):
    assert classify(text, authors).authors_declaring == expected


def test_flattened_per_author_lists_keep_names_apart():
    text = ("Ana Bianchi Honoraria: Roche, Kestrel Health Consulting or Advisory Role: Pfizer "
            "Carl Dorn Research Funding: Novartis (Inst), Orion Labs Eva Fink No relationship to "
            "disclose")
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Kestrel Health", "Novartis", "Orion Labs", "Pfizer", "Roche"],
        ["Ana Bianchi", "Carl Dorn"])


@pytest.mark.parametrize("text", [
    "Ana Bianchi - Consulting or Advisory Role - Kestrel Health; Zeta Therapeutics. Research "
    "Funding - Orion Labs (Inst).",
    "A. Bianchi: Advisory/Consultancy: Kestrel Health, Zeta Therapeutics; Research grant/Funding "
    "(institution): Orion Labs.",
])
def test_category_lists_with_dashes_and_semicolons(text):
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Kestrel Health", "Orion Labs", "Zeta Therapeutics"], ["Ana Bianchi"])


def test_non_profit_appositives_and_cut_acronyms_are_not_companies():
    result = classify("A.B. receives funding from Open Panels, a public-private initiative, and "
                      "from the Center for Regulatory Science (CERS; U01FD000001) and Kestrel "
                      "Health.", AUTHORS3)
    assert result.organizations == ["Kestrel Health"]


def test_institution_names_with_for_and_and():
    result = classify("A.B. received grants from the Agency for Healthcare Research and Quality, "
                      "the Center for Excellence in Regulatory Science and Kestrel Health, "
                      "outside the submitted work.", AUTHORS3)
    assert (result.status, result.organizations) == ("declared", ["Kestrel Health"])


@pytest.mark.parametrize("text", [
    "All authors certify that they have no affiliations with or involvement in any organization "
    "or entity with any financial interest or non-financial interest in the subject matter.",
    "The authors are not aware of any affiliations, memberships, funding, or financial holdings "
    "that might be perceived as affecting the objectivity of this review.",
    "No benefits in any form have been received or will be received from a commercial party "
    "related directly or indirectly to the subject of this article.",
    "The authors report no declarations of interest.",
    "The authors have no proprietary interest in the materials described in the article.",
    "Competing interests: no employment; no consultancy; no stock ownership; no patents.",
    "None of the authors received honoraria or payments for this work.",
    "Gli autori dichiarano di non avere conflitti di interesse.",
    "Ninguno declarado.",
    "The authors declare no conflicts of interest. We thank the editor and two anonymous "
    "reviewers for their comments.",
])
def test_none_phrasings_of_publishers(text):
    assert status(text) == "none_declared"


@pytest.mark.parametrize("text, orgs", [
    ("A.B. is Chief Medical Officer of Kestrel Health.", ["Kestrel Health"]),
    ("A.B. is a Kestrel Health employee and C.D. advises Orion Labs.",
     ["Kestrel Health", "Orion Labs"]),
    ("C.D. co-founded Lumen Systems.", ["Lumen Systems"]),
    ("A.B. is a partner at Helix Ventures.", ["Helix Ventures"]),
])
def test_company_roles_without_a_preposition_list(text, orgs):
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations) == ("declared", orgs)


def test_academic_posts_are_not_interests():
    assert status("E.F. is Director of the Cancer Center at Harvard University.") == "unclear"


@pytest.mark.parametrize("text, expected", [
    ("The authors declare competing financial interests: details are available online.",
     ("declared", [], [])),
    ("The authors declare competing financial interests. A.B. is named on patent applications.",
     ("declared", [], ["Ana Bianchi"])),
    ("A.B. has a financial interest in Kestrel Health.", ("declared", ["Kestrel Health"],
                                                          ["Ana Bianchi"])),
    ("A.B. has been reimbursed by Kestrel Health for attending a symposium.",
     ("declared", ["Kestrel Health"], ["Ana Bianchi"])),
    ("A.B. holds a faculty position at the University of Oslo.", ("unclear", [], [])),
    ("Competing interests: None declared. Handling editor: Jane Doe. Patient and public "
     "involvement: Patients were not involved.", ("none_declared", [], [])),
])
def test_declared_without_naming_and_bmj_blocks(text, expected):
    result = classify(text, AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == expected


def test_products_trials_and_cooperative_groups_are_not_companies():
    result = classify("A.B. received consulting fees from Roche (Tecentriq) and Kestrel Health "
                      "(Zelvia) for the ATLAS Study, research funding from EORTC and Advisory "
                      "Board (Orion Labs).", AUTHORS3)
    assert result.organizations == ["Kestrel Health", "Orion Labs", "Roche"]


def test_no_role_is_read_per_clause():
    result = classify("The sponsor had no role in the study design; A.B. is an employee of "
                      "Kestrel Health.", AUTHORS3)
    assert (result.status, result.organizations) == ("declared", ["Kestrel Health"])
    result = classify("A.B. is affiliated with Orion Labs.", AUTHORS3)
    assert (result.status, result.organizations) == ("declared", ["Orion Labs"])


@pytest.mark.parametrize("text, expected", [
    ("No competing interests declared C.D. is a co-inventor on a patent application related to "
     "the sensor.", ("declared", ["Carl Dorn"])),
    ("Reviewing editor, eLife No competing interests declared", ("declared", [])),
    ("Competing interests: AB receives funding from Kestrel Health CD is employed by Orion Labs",
     ("declared", ["Ana Bianchi", "Carl Dorn"])),
])
def test_flattened_statements_without_full_stops(text, expected):
    result = classify(text, AUTHORS3)
    assert (result.status, result.authors_declaring) == expected


def test_people_listed_as_subjects_are_not_companies():
    result = classify("I have read the journal's policy and have the following conflicts: Josef "
                      "Brandt and Mia Keller are employees of the commercial company Orion Labs "
                      "GmbH.")
    assert (result.status, result.organizations) == ("declared", ["Orion Labs"])


def test_long_lists_without_colons_and_with_odd_items():
    text = ("D.M.L.: Advisory Boards or ad hoc consultancy Accelerate, Antabo, Centaurus, Levo "
            "therapeutics, MiCura, Paid lectures - bioMérieux, Hikmo. He is supported by the NIHR "
            "Health Protection Research Unit (HPRU) in Healthcare Associated Infections and "
            "Antimicrobial Resistance at Imperial College London.")
    result = classify(text)
    assert result.organizations == ["Accelerate", "Antabo", "Centaurus", "Hikmo",
                                    "Levo therapeutics", "MiCura", "bioMérieux"]


def test_hard_wrapped_lines_are_one_sentence():
    text = ("Competing interests: A.B. receives research\nfunding from Kestrel Health, Orion Labs,"
            "\nand Nimbus Works; she is a consultant for\nHalo Diagnostics. C.D.\nreceives fees "
            "from Zeta Therapeutics.")
    result = classify(text, AUTHORS3)
    assert result.organizations == ["Halo Diagnostics", "Kestrel Health", "Nimbus Works",
                                    "Orion Labs", "Zeta Therapeutics"]
    assert result.authors_declaring == ["Ana Bianchi", "Carl Dorn"]


def test_shareholdings_and_alphanumeric_names():
    result = classify("Relevant shareholdings - Dechro, Perkinelm; share options - T.A.Z. and "
                      "GenPaxx. W.H. holds research grants with F2X and Orion Labs, and grant "
                      "R01 CA123456 from the NIH.")
    assert result.status == "declared"
    # "T.A.Z." cannot be told from a person's initials: not taken.
    assert result.organizations == ["Dechro", "F2X", "GenPaxx", "Orion Labs", "Perkinelm"]


def test_service_companies_and_glued_labels():
    result = classify("Competing interests statement:A.B.: Kestrel Research Foundation, Orion "
                      "Labs; C.D. is an employee of Vector Viral Services.", AUTHORS3)
    assert (result.status, result.organizations, result.authors_declaring) == (
        "declared", ["Orion Labs", "Vector Viral Services"], ["Ana Bianchi", "Carl Dorn"])
    assert classify("A.B. received a grant from the Department of Health and Human Services.",
                    AUTHORS3).organizations == []


def test_organization_clauses_in_text_order_within_a_clause():
    text = "A.B. received fees from Orion Labs, GSK, Zeta Therapeutics Inc. and Pfizer."
    result = classify(text, AUTHORS3)
    assert [o for o, _ in result.organization_clauses] == [
        "Orion Labs", "GlaxoSmithKline", "Zeta Therapeutics", "Pfizer"]
    assert {c for _, c in result.organization_clauses} == {text}


def test_long_wrapped_lines_and_titled_people():
    text = ("Competing interests: B.G.S. is a consultant for Kestrel Health, Orion Labs and Zeta\n"
            "Therapeutics. The authors confirm that one of the co-authors, Dr. Jesus E. Marlow, is "
            "a member of the editorial board of this journal.")
    result = classify(text)
    assert (result.status, result.organizations) == (
        "declared", ["Kestrel Health", "Orion Labs", "Zeta Therapeutics"])
