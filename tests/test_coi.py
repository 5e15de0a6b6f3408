"""Conflict-of-interest enrichment over loopback: sources in order, not_found and its re-check,
history, and `harvest coi classify`."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import rows, write_query
from tests.fake_eutils import FIXTURES

DB = "data/harvest.db"
PUBMED = FIXTURES / "pubmed"
JATS = FIXTURES / "jats"
TODAY = dt.datetime.now(dt.timezone.utc).date()
STATE = ("SELECT a.pmid, c.status, c.source, c.organizations, c.authors_declaring, "
         "c.authors_total FROM coi c JOIN article a ON a.id = c.article_id ORDER BY a.pmid")


def test_sources_in_order(workdir, fake, oa, harvest):
    write_query(workdir / "queries", "all", start="2025-01-01")
    fake.add_file(PUBMED / "dates_odd.xml")        # no CoiStatement in two, one has a PMCID
    fake.add_file(PUBMED / "cell_press_two.xml")   # a PubMed statement, and none
    # The Season record (PMC12051376) is in PMC with a full text whose COI names two companies.
    oa.full_texts["PMC12051376"] = (JATS / "springer_nested_ethics.xml").read_bytes()
    oa.add_europepmc(pmid="41083209", pmcid="PMC12051376", inEPMC="Y", inPMC="Y",
                     isOpenAccess="Y", license="cc by")

    result = harvest("run")

    assert result.exit_code == 0, result.err
    assert result.out.splitlines()[-1] == ("conflicts of interest: 5 checked, 3 statements, "
                                           "2 declared")
    got = {r["pmid"]: r for r in rows(DB, STATE)}
    # PubMed first: the Cell Press record's own statement, never its full text.
    assert (got[41212658]["status"], got[41212658]["source"]) == ("declared", "pubmed")
    assert json.loads(got[41212658]["organizations"]) == [
        "Bristol Myers Squibb", "Novartis", "Pfizer"]
    # Europe PMC full text for the article without one: the heading is not part of it.
    assert (got[41083209]["status"], got[41083209]["source"]) == ("declared", "europepmc")
    assert json.loads(got[41083209]["organizations"]) == ["Novartis", "Roche"]
    [article] = rows(DB, "SELECT coi_statement, coi_source FROM articles WHERE pmid = 41083209")
    assert article == {"coi_statement": "Sofia Marchetti reports honoraria from Roche and "
                                        "Novartis. Daniel K. Osei has no conflicts of interest to "
                                        "declare.", "coi_source": "europepmc"}
    # Nothing anywhere: not_found, which is not "no conflicts".
    assert (got[41011865]["status"], got[41011865]["source"]) == ("not_found", None)
    assert (got[41028430]["status"], got[41028430]["source"]) == ("not_found", None)
    assert got[41004127]["status"] == "none_declared"
    assert [c["pmcid"] for c in oa.calls("fulltext")] == ["PMC12051376"]
    # where each statement was read
    assert rows(DB, "SELECT a.pmid, c.element FROM coi c JOIN article a ON a.id = c.article_id "
                    "WHERE c.statement IS NOT NULL ORDER BY a.pmid") == [
        {"pmid": 41004127, "element": "MedlineCitation/CoiStatement"},
        {"pmid": 41083209,
         "element": 'back/notes[@notes-type="ethics"]/notes[@notes-type="COI-statement"]'},
        {"pmid": 41212658, "element": "MedlineCitation/CoiStatement"}]


def test_not_found_is_rechecked_and_a_late_statement_replaces_it(workdir, fake, oa, harvest):
    write_query(workdir / "queries", "all", start="2025-01-01")
    fake.add_synthetic(41000001, dt.date(2025, 3, 1))
    assert harvest("run").exit_code == 0
    [row] = rows(DB, "SELECT c.status, c.next_check_at, a.first_seen_at FROM coi c "
                     "JOIN article a ON a.id = c.article_id")
    first_seen = dt.datetime.fromisoformat(row["first_seen_at"].replace("Z", "+00:00"))
    assert row["status"] == "not_found"
    assert row["next_check_at"] == (first_seen + dt.timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")

    # PubMed adds the statement; the mdat pass updates the article and the COI follows.
    fake.add_synthetic(41000001, dt.date(2025, 3, 1), mdat=TODAY,
                       coi="A.B. has received speaker fees from Eli Lilly.")
    result = harvest("run", "--all")
    assert "conflicts of interest: 1 checked, 1 statements, 1 declared" in result.out
    history = rows(DB, "SELECT status, source FROM coi_history ORDER BY id")
    assert history == [{"status": "not_found", "source": None},
                       {"status": "declared", "source": "pubmed"}]
    assert rows(DB, "SELECT organization FROM coi_organization") == [{"organization": "Eli Lilly"}]


def test_coi_classify_command(workdir, harvest, monkeypatch, tmp_path):
    lines = tmp_path / "statements.jsonl"
    lines.write_text("\n".join([
        json.dumps({"text": "A.B. is a consultant for Genentech, Inc. The other authors declare "
                            "no competing interests.", "authors": ["Ana Bianchi", "Carl Dorn"]}),
        "The authors declare no competing interests.",
        '{"text": 12}',
        "{not json",
        "",
        json.dumps({"text": "Disclosure forms provided by the authors are available with the "
                            "full text of this article."}),
    ]) + "\n")

    result = harvest("coi", "classify", str(lines))

    assert result.exit_code == 2
    out = [json.loads(l) for l in result.out.splitlines()]
    assert out[0] == {"status": "declared", "organizations": ["Genentech"],
                      "authors_declaring": ["Ana Bianchi"],
                      "evidence": "A.B. is a consultant for Genentech, Inc."}
    assert [o["status"] for o in out] == ["declared", "none_declared", "unclear"]
    assert result.err == (
        'Error: line 3: not a JSON object with a string "text" and an optional list of author '
        'names "authors"\n'
        'Error: line 4: not a JSON object with a string "text" and an optional list of author '
        'names "authors"\n')


def test_a_full_text_europe_pmc_holds_outside_the_open_access_subset_is_read(workdir, fake, oa,
                                                                            harvest):
    """inEPMC=Y with isOpenAccess=N (an author manuscript): Europe PMC serves its full text,
    so the statement is looked for there."""
    write_query(workdir / "queries", "all", start="2025-01-01")
    fake.add_file(PUBMED / "dates_odd.xml")
    oa.full_texts["PMC12051376"] = (JATS / "springer_nested_ethics.xml").read_bytes()
    oa.add_europepmc(pmid="41083209", pmcid="PMC12051376", inEPMC="Y", inPMC="N",
                     isOpenAccess="N")

    assert harvest("run").exit_code == 0

    assert [c["pmcid"] for c in oa.calls("fulltext")] == ["PMC12051376"]
    assert rows(DB, "SELECT status, source FROM coi c JOIN article a ON a.id = c.article_id "
                    "WHERE a.pmid = 41083209") == [{"status": "declared", "source": "europepmc"}]
    assert rows(DB, "SELECT in_epmc, is_open_access, full_text_available FROM europepmc_record") \
        == [{"in_epmc": 1, "is_open_access": 0, "full_text_available": 1}]
