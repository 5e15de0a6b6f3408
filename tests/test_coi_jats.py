"""The COI statement in JATS full text, in every shape publishers use (tests/fixtures/jats/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.enrich.coi_jats import JatsError, extract_coi

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
