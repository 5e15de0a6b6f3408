"""The COI statement in JATS full text, in every shape publishers use (tests/fixtures/jats/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.enrich.coi_jats import JatsCoi, JatsError, extract_coi, find_coi

JATS = Path(__file__).parent / "fixtures" / "jats"

EXPECTED = {
    "plos_fn_authornotes.xml": "SM has received consulting fees from Daiichi Sankyo and "
                               "AstraZeneca. The other authors have declared that no competing "
                               "interests exist.",
    "bmc_notes_back.xml": "The authors declare that they have no competing interests.",
    "springer_nested_ethics.xml": "Sofia Marchetti reports honoraria from Roche and Novartis. "
                                  "Daniel K. Osei has no conflicts of interest to declare.",
    "elsevier_untyped_sec.xml": "S.M. is an employee of and holds stock in Genentech, Inc. "
                                "D.K.O. declares no competing interests.",
    "fn_heading_paragraph.xml": "The authors declare that they have no competing interests.",
    "epmc_fn_conflict_back.xml": "The authors have declared that no competing interests exist.",
    "sec_type_coi.xml": "SM: advisory board for Bristol-Myers Squibb and MSD; research grant "
                        "(institution) from Moderna. DKO: none.",
    "no_coi_commentary.xml": None,
}


@pytest.mark.parametrize("name, statement", EXPECTED.items(), ids=EXPECTED.keys())
def test_statement_found_without_its_heading(name, statement):
    assert extract_coi((JATS / name).read_bytes()) == statement


def test_every_fixture_is_covered():
    assert sorted(p.name for p in JATS.glob("*.xml")) == sorted(EXPECTED)


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
    assert found.elements == ('back/sec/fn-group/fn[@fn-type="COI-statement"]',) * 3


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
        "AB reports fees from Roche.", ('back/notes/sec[title="Competing interests"]',))


def test_a_statement_in_another_language_under_another_type():
    # SciELO: the statement tagged as a contributions footnote, in Portuguese
    xml = article(back='<fn-group><fn fn-type="con"><p>Os autores declaram não haver '
                       'conflito de interesses.</p></fn></fn-group>')
    assert find_coi(xml) == JatsCoi("Os autores declaram não haver conflito de interesses.",
                                    ("back/fn-group/fn",))


def test_body_text_about_interests_is_not_a_statement():
    body = ('<sec><title>Discussion</title><p>Patients with conflicting interests in treatment '
            'were excluded; no competing risks model was used.</p></sec>')
    back = ('<ack><p>We thank the reviewers, who declare no financial interests in the '
            'outcome.</p></ack><sec><title>Funding</title><p>The funders had no role and no '
            'competing interests.</p></sec>')
    assert find_coi(article(body=body, back=back)) is None
