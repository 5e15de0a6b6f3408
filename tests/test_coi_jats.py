"""The COI statement in JATS full text, in every shape publishers use (tests/fixtures/jats/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.enrich.coi_jats import JatsCoi, JatsError, extract_coi, find_coi

JATS = Path(__file__).parent / "fixtures" / "jats"
ELIFE_FN = ('back/sec[@sec-type="additional-information"]/fn-group[@content-type="competing-'
            'interest"]/fn[@fn-type="COI-statement"]')

EXPECTED = {
    "plos_fn_authornotes.xml": (
        ["SM has received consulting fees from Daiichi Sankyo and AstraZeneca. The other authors "
         "have declared that no competing interests exist."],
        ['front/article-meta/author-notes/fn[@fn-type="COI-statement"]']),
    "bmc_notes_back.xml": (
        ["The authors declare that they have no competing interests."],
        ['back/notes[@notes-type="COI-statement"]']),
    "springer_nested_ethics.xml": (
        ["Sofia Marchetti reports honoraria from Roche and Novartis. Daniel K. Osei has no "
         "conflicts of interest to declare."],
        ['back/notes[@notes-type="ethics"]/notes[@notes-type="COI-statement"]']),
    "elsevier_untyped_sec.xml": (
        ["S.M. is an employee of and holds stock in Genentech, Inc. D.K.O. declares no competing "
         "interests."],
        ['body/sec[title="Declaration of interests"]']),
    "fn_heading_paragraph.xml": (
        ["The authors declare that they have no competing interests."],
        ["back/fn-group/fn"]),
    "epmc_fn_conflict_back.xml": (
        ["The authors have declared that no competing interests exist."],
        ['back/fn-group/fn[@fn-type="conflict"]']),
    "sec_type_coi.xml": (
        ["SM: advisory board for Bristol-Myers Squibb and MSD; research grant (institution) from "
         "Moderna. DKO: none."],
        ['back/sec[@sec-type="COI-statement"]']),
    "elife_author_groups.xml": (
        ["is a founder of and holds equity in Clonetrace AG",
         "has received speaker fees from Vireo Bio\u2010Systems",
         "No competing interests declared"],  # twice in the file, once here
        [ELIFE_FN] * 3),
    "bmc_declarations_typed_wrapper.xml": (
        ["ML has received research funding (to the institution) from Natera and lecture fees "
         "from Roche. The other authors declare that they have no competing interests."],
        ['back/notes[@notes-type="COI-statement"]/sec[title="Competing interests"]']),
    "authornotes_untyped_fn.xml": (
        ["The authors declare they have no competing financial interests."],
        ["front/article-meta/author-notes/fn"]),
    "ack_and_funding_sec.xml": (
        ["none declared.", "The authors declare no conflict of interest."],
        ['body/sec[title="Funding"]/p', 'back/ack[title="Acknowledgements"]/p']),
    "funding_statement_runon.xml": (
        ["Amberline Therapeutics: Employment, Equity Ownership: PR, GT.",
         "Other authors declare no competing interests."],
        ["front/article-meta/author-notes/fn",
         "front/article-meta/funding-group/funding-statement"]),
    "scielo_label_pt.xml": (
        ["Os autores declaram não haver conflito de interesses."],
        ['front/article-meta/author-notes/fn[@fn-type="conflict"]']),
    "no_coi_commentary.xml": None,
    "about_coi_no_statement.xml": None,
}


@pytest.mark.parametrize("name, expected", EXPECTED.items(), ids=EXPECTED.keys())
def test_every_part_found_without_its_heading(name, expected):
    xml = (JATS / name).read_bytes()
    if expected is None:
        assert find_coi(xml) is None
        assert extract_coi(xml) is None
        return
    parts, elements = expected
    coi = find_coi(xml)
    assert coi == JatsCoi("\n\n".join(parts), tuple(elements))
    assert coi.parts == tuple(parts)
    assert extract_coi(xml) == "\n\n".join(parts)


def test_every_fixture_is_covered():
    assert sorted(p.name for p in JATS.glob("*.xml")) == sorted(EXPECTED)


def article(back: str = "", body: str = "", notes: str = "", sub: str = "") -> bytes:
    return (f'<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta>'
            f'<author-notes>{notes}</author-notes></article-meta></front><body>'
            f'<sec><title>Results</title><p>Tumours shrank.</p></sec>{body}</body>'
            f'<back>{back}</back>{sub}</article>').encode()


@pytest.mark.parametrize("xml, parts, elements", [
    # A heading alone in its paragraph takes the next paragraph.
    (article(back="<ack><p><bold>Competing interests</bold></p><p>AB consults for Novo.</p>"
                  "<p>We thank CD.</p></ack>"),
     ["AB consults for Novo."], ["back/ack/p"]),
    # A run-in label with plain text, and the statement stops at the next run-in label.
    (article(back="<ack><p>Conflicts of interest: none. Data availability: on request.</p></ack>"),
     ["none."], ["back/ack/p"]),
    # A typed footnote that runs on into the next sections (BMJ style).
    (article(back='<fn-group><fn fn-type="COI-statement"><p>Competing interests: None declared. '
                  'Patient consent: Not required.</p><p>Provenance and peer review: Not '
                  'commissioned.</p></fn></fn-group>'),
     ["None declared."], ['back/fn-group/fn[@fn-type="COI-statement"]']),
    # Per-author labels stay; the next section's label ends the statement.
    (article(back="<ack><p><bold>Competing interests:</bold> AB: consultant for Vantor. CD: none. "
                  "Data and materials availability: on request.</p></ack>"),
     ["AB: consultant for Vantor. CD: none."], ["back/ack/p"]),
    # A short standalone paragraph at the end of the body, recognised by its wording.
    (article(body="<p>The authors have nothing to disclose.</p>"),
     ["The authors have nothing to disclose."], ["body/p"]),
    # Typed attributes in any case and spelling.
    (article(back='<fn-group><fn fn-type="Conflict-Of-Interest"><p>None.</p></fn></fn-group>'),
     ["None."], ['back/fn-group/fn[@fn-type="Conflict-Of-Interest"]']),
    (article(back='<sec sec-type="coi"><title>Duality of interest</title><p>None.</p></sec>'),
     ["None."], ['back/sec[@sec-type="coi"]']),
    # A funding footnote that ends with the statement: from the statement's sentence on.
    (article(back='<fn-group><fn fn-type="supported-by"><p>* This work was supported by the '
                  'Cancer Society. The authors declare that they have no conflicts of interest '
                  'with the contents of this article.</p></fn></fn-group>'),
     ["The authors declare that they have no conflicts of interest with the contents of this "
      "article."], ['back/fn-group/fn[@fn-type="supported-by"]']),
    # "Disclosures" over several run-in labelled notes: only the COI one.
    (article(body="<sec><title>Disclosures</title><p>Author contributions: AB wrote it.</p>"
                  "<p>Financial disclosure: None to report.</p><p>Informed consent: obtained."
                  "</p></sec>"),
     ["None to report."], ['body/sec[title="Disclosures"]/p']),
    # A bare "Disclosure" heading over interests.
    (article(back="<sec><title>Disclosure</title><p>AB is an employee of Vantor Labs.</p></sec>"),
     ["AB is an employee of Vantor Labs."], ['back/sec[title="Disclosure"]']),
    # A typed paragraph in the author notes (JAMA Network), beside a typed footnote.
    (article(notes='<fn fn-type="conflict"><p>No competing interests.</p></fn><p content-type='
                   '"COI-statement"><bold>Conflict of Interest Disclosures:</bold> Dr Roe reported '
                   'grants from Aldren.</p>'),
     ["No competing interests.", "Dr Roe reported grants from Aldren."],
     ['front/article-meta/author-notes/fn[@fn-type="conflict"]',
      'front/article-meta/author-notes/p[@content-type="COI-statement"]']),
    # A disclosure statement that also disclaims (Taylor & Francis).
    (article(back="<sec><title>Disclosure statement</title><p>No potential conflict of interest "
                  "was reported by the authors. The views expressed are those of the authors."
                  "</p></sec>"),
     ["No potential conflict of interest was reported by the authors. The views expressed are "
      "those of the authors."], ['back/sec[title="Disclosure statement"]']),
    # Author notes that run from contributions into the statement.
    (article(notes="<fn><p>Author contributions: AB designed the study. The authors declare no "
                   "competing financial interests.</p></fn>"),
     ["The authors declare no competing financial interests."],
     ["front/article-meta/author-notes/fn"]),
    # The last paragraph of the body's last section, before the supplementary material.
    (article(body='<sec><title>5 Discussion</title><p>It works.</p><p><italic>Conflict of '
                  'Interest</italic>: none declared.</p></sec><sec sec-type="supplementary-'
                  'material"><title>Supplementary Material</title></sec>'),
     ["none declared."], ['body/sec[title="5 Discussion"]/p']),
    # A Declarations block typed as the statement, its section titles lost.
    (article(back='<notes notes-type="COI-statement"><p>Not applicable.</p><p>Not applicable.</p>'
                  '<p>The authors declare that they have no competing interests.</p><p>Springer '
                  'Nature remains neutral with regard to jurisdictional claims in published maps '
                  'and institutional affiliations.</p></notes>'),
     ["The authors declare that they have no competing interests."],
     ['back/notes[@notes-type="COI-statement"]']),
    # A long per-author disclosure section after the body's content (ASCO style).
    (article(body="<sec><title>Authors' Disclosures of Potential Conflicts of Interest</title>"
                  + "".join(f"<p>Author {n}: Consulting or Advisory Role: Vantor</p>"
                            for n in range(6)) + "</sec>"),
     ["\n".join(f"Author {n}: Consulting or Advisory Role: Vantor" for n in range(6))],
     ['body/sec[title="Authors\' Disclosures of Potential Conflicts of Interest"]']),
    # Headings joined by a slash.
    (article(back="<sec><title>Conflict of interest/Disclosures</title><p>None.</p></sec>"),
     ["None."], ['back/sec[title="Conflict of interest/Disclosures"]']),
    # A numbered heading.
    (article(back="<sec><title>7. Conflicts of Interest</title><p>None.</p></sec>"),
     ["None."], ['back/sec[title="7. Conflicts of Interest"]']),
    # The same text in the author notes and the back matter: once.
    (article(notes="<fn><p>The authors declare no competing interests.</p></fn>",
             back="<sec><title>Competing interests</title>"
                  "<p>The authors declare no competing interests.</p></sec>"),
     ["The authors declare no competing interests."], ["front/article-meta/author-notes/fn"]),
])
def test_shapes(xml, parts, elements):
    coi = find_coi(xml)
    assert coi is not None and list(coi.parts) == parts and list(coi.elements) == elements


@pytest.mark.parametrize("xml", [
    # Topic words in the body at large, in a table footnote, in an abstract: no statement.
    article(body="<sec><title>Discussion</title><p>Competing interests may bias trials.</p></sec>"),
    article(body='<sec><title>Methods</title><table-wrap><table-wrap-foot><fn><p>Conflict of '
                 'interest as self-reported.</p></fn></table-wrap-foot></table-wrap></sec>'),
    # A short line that only names the topic is a heading, and with nothing after it, nothing.
    article(back="<ack><p><bold>Conflict of interest</bold></p></ack>"),
    # A bare "Disclosure" heading over a note on where the work was presented (Hindawi).
    article(back="<sec><title>Disclosure</title><p>This study was presented at the 8th "
                 "International Conference on Psychiatry, Dhaka, 2015.</p></sec>"),
    # A run-in subheading in a review's Results, with more sections after it.
    article(body="<sec><title>Findings</title><p><bold>Conflicts of interest.</bold> Of 120 "
                 "trials, 45 reported industry payments to authors.</p></sec>"
                 "<sec><title>Discussion</title><p>Payments were common.</p></sec>"),
    # An appendix questionnaire in the back matter.
    article(back="<app-group><app><title>Appendix A</title><p>Q7. Do you have conflicts of "
                 "interest with the sponsor?</p></app></app-group>"),
    # Other parties' interests, in acknowledgements and a funding section.
    article(back="<ack><p>We thank the reviewers, who declare no financial interests in the "
                 "outcome.</p></ack><sec><title>Funding</title><p>The funders had no role and no "
                 "competing interests.</p></sec>"),
    # A list of abbreviations in a footnote.
    article(back="<fn-group><fn><p>Abbreviations: COI, conflict of interest; CI, confidence "
                 "interval.</p></fn></fn-group>"),
    # A decision letter's statement is the editor's, not the authors'.
    article(sub='<sub-article><back><fn fn-type="COI-statement"><p>The editor declares no '
                'competing interests.</p></fn></back></sub-article>'),
])
def test_no_statement(xml):
    assert find_coi(xml) is None


@pytest.mark.parametrize("body, message", [
    (b"<responseWrapper><hitCount>0</hitCount></responseWrapper>",
     "<responseWrapper> holds no <article>"),
    (b"<article><front><article-meta>", "malformed JATS XML (no element found: line 1, column 30)"),
])
def test_not_jats(body, message):
    with pytest.raises(JatsError) as error:
        extract_coi(body)
    assert str(error.value) == message


# --- every statement, and where it was read (find_coi) --------------------------------------

def article(front: str = "", body: str = "", back: str = "", after: str = "") -> bytes:
    """A JATS article in PMC's shape, with these parts."""
    return ('<?xml version="1.0" ?>\n<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal '
            'Archiving and Interchange DTD v1.3 20210610//EN" "JATS-archivearticle1-3.dtd">\n'
            '<article xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:mml="http://www.w3.org/1998/Math/MathML" article-type="research-article">'
            f'<front><article-meta><title-group><article-title>T</article-title></title-group>'
            f'{front}</article-meta></front><body>{body}</body><back>{back}</back>{after}'
            '</article>').encode()


def test_a_plain_footnote_in_the_author_notes_is_read_by_its_wording():
    xml = article(front='<author-notes><corresp id="c1">Correspondence: a@b.org</corresp>'
                        '<fn><p>The authors declare they have no competing financial '
                        'interests.</p></fn></author-notes>')
    assert find_coi(xml) == JatsCoi(
        "The authors declare they have no competing financial interests.",
        ("front/article-meta/author-notes/fn",))


def test_one_footnote_per_author_group_all_of_them_in_order():
    fns = "".join(f'<fn fn-type="COI-statement" id="conf{i}"><p>{text}</p></fn>' for i, text in (
        (1, "No competing interests declared"),
        (2, "is a consultant for Synthetic Genomics, Inc. and holds its stock"),
        (3, "is on the Board of Directors of Synthetic Genomics, Inc.")))
    xml = article(back='<sec sec-type="additional-information"><title>Additional information'
                       f'</title><fn-group content-type="competing-interest"><title>Competing '
                       f'interests</title>{fns}</fn-group></sec>')
    found = find_coi(xml)
    assert found.text == ("No competing interests declared\n\nis a consultant for Synthetic "
                          "Genomics, Inc. and holds its stock\n\nis on the Board of Directors of "
                          "Synthetic Genomics, Inc.")
    assert found.elements == ('back/sec[@sec-type="additional-information"]/fn-group'
                              '[@content-type="competing-interest"]/fn[@fn-type="COI-statement"]',
                              ) * 3


def test_peer_review_and_author_responses_are_not_the_article():
    review = ('<sub-article article-type="decision-letter"><front-stub><title-group>'
              '<article-title>Decision letter</article-title></title-group></front-stub><body>'
              '<p>The reviewers declare no competing interests. Please add a financial '
              'disclosure.</p><fn-group><fn><p>Competing interests: reviewer 2 consults for '
              'Pfizer.</p></fn></fn-group></body></sub-article>')
    assert find_coi(article(body="<p>Results.</p>", after=review)) is None


def test_a_typed_declarations_block_gives_its_competing_interests_section():
    declarations = ('<notes notes-type="COI-statement"><title>Declarations</title>'
                    '<sec><title>Ethics approval</title><p>Approved by the board.</p></sec>'
                    '<sec><title>Competing interests</title><p>AB reports fees from '
                    'Roche.</p></sec><sec><title>Funding</title><p>Funded by Pfizer.</p></sec>'
                    '</notes>')
    assert find_coi(article(back=declarations)) == JatsCoi(
        "AB reports fees from Roche.",
        ('back/notes[@notes-type="COI-statement"]/sec[title="Competing interests"]',))


def test_a_statement_in_another_language_under_another_type():
    # SciELO: the statement tagged as a contributions footnote, in Portuguese
    xml = article(back='<fn-group><fn fn-type="con"><p>Os autores declaram não haver '
                       'conflito de interesses.</p></fn></fn-group>')
    assert find_coi(xml) == JatsCoi("Os autores declaram não haver conflito de interesses.",
                                    ('back/fn-group/fn[@fn-type="con"]',))


def test_body_text_about_interests_is_not_a_statement():
    body = ('<sec><title>Discussion</title><p>Patients with conflicting interests in treatment '
            'were excluded; no competing risks model was used.</p></sec>')
    back = ('<ack><p>We thank the reviewers, who declare no financial interests in the '
            'outcome.</p></ack><sec><title>Funding</title><p>The funders had no role and no '
            'competing interests.</p></sec>')
    assert find_coi(article(body=body, back=back)) is None
