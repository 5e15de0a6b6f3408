"""Saved-query files: strict validation, one message naming the file, the key and the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harvester.queries import Query, load_queries

SHIPPED = Path(__file__).parent.parent / "queries"


def test_shipped_queries_are_valid():
    queries, problems = load_queries(SHIPPED)
    assert problems == []
    names = {q.name: q for q in queries}
    assert names["cancer-cell-pubmed"].term == '"Cancer Cell"[ta]'
    assert "ERBB2" in names["her2-immune"].term and "microenvironment" in names["her2-immune"].term
    assert (names["cancer-cell"].source, names["cancer-cell"].issns) == (
        "crossref", ("1535-6108", "1878-3686"))
    feed = names["cancer-cell-feed"]
    assert (feed.source, feed.enabled, feed.urls) == ("feed", False, (
        "https://www.cell.com/cancer-cell/inpress.rss",
        "https://www.cell.com/cancer-cell/current.rss"))


def test_a_full_query_file(workdir):
    path = workdir / "queries" / "her2.toml"
    path.write_text('name = "her2-immune"\nsource = "pubmed"\nterm = \'(HER2 OR ERBB2) AND '
                    '"immune checkpoint"\'\nstart = 2025-01-01\nschedule = "0 6 * * 1-5"\n'
                    'enabled = false\ndescription = "HER2 and checkpoints"\n')
    assert load_queries(workdir / "queries") == ([Query(
        name="her2-immune", source="pubmed", term='(HER2 OR ERBB2) AND "immune checkpoint"',
        path=path, start=dt.date(2025, 1, 1), schedule="0 6 * * 1-5", enabled=False,
        description="HER2 and checkpoints")], [])


def test_defaults(workdir):
    path = workdir / "queries" / "minimal.toml"
    path.write_text('term = "ERBB2[tiab]"\n')
    [query], _ = load_queries(workdir / "queries")
    assert query == Query(name="minimal", source="pubmed", term="ERBB2[tiab]", path=path)
    assert query.first_date(dt.date(2025, 3, 31)) == dt.date(2025, 3, 1)


def test_crossref_and_feed_queries(workdir):
    folder = workdir / "queries"
    (folder / "cc.toml").write_text('source = "crossref"\nissn = ["1535-6108", "1878-368x"]\n'
                                    'start = 2025-01-01\n')
    (folder / "feed.toml").write_text(
        'source = "feed"\nurls = ["https://www.cell.com/cancer-cell/inpress.rss", '
        '"http://x.org/a.rss"]\nkeywords = ["HER2", " ERBB2 "]\nenabled = false\n')
    assert load_queries(folder) == ([
        Query(name="cc", source="crossref", path=folder / "cc.toml",
              issns=("1535-6108", "1878-368X"), start=dt.date(2025, 1, 1)),
        Query(name="feed", source="feed", path=folder / "feed.toml",
              urls=("https://www.cell.com/cancer-cell/inpress.rss", "http://x.org/a.rss"),
              keywords=("HER2", "ERBB2"), enabled=False),
    ], [])


BAD = {
    "invalid toml": ('term = "unclosed\n',
                     "invalid TOML: Illegal character '\\n' (at line 1, column 17); fix the syntax"),
    "unknown key": ('term = "x"\nstrat = 2025-01-01\n',
                    "unknown key 'strat' for source 'pubmed'; allowed keys: name, source, start, "
                    "schedule, enabled, description, term"),
    "missing term": ('start = 2025-01-01\n',
                     "missing key 'term'; add the PubMed search term, e.g. term = 'ERBB2[tiab]'"),
    "empty term": ('term = "   "\n', "key 'term' is empty; give a PubMed search term"),
    "bad date": ('term = "x"\nstart = "2025-13-01"\n',
                 "start = '2025-13-01' is not a date; write it as 2025-01-01 (no quotes)"),
    "datetime": ('term = "x"\nstart = 2025-01-01T10:00:00\n',
                 "start = 2025-01-01 10:00:00 has a time; give a date like 2025-01-01"),
    "bad schedule": ('term = "x"\nschedule = "* * *"\n',
                     "schedule = '* * *' is not valid; use hourly, daily, weekly or a 5-field cron "
                     "expression like '0 6 * * 1-5'"),
    "cron out of range": ('term = "x"\nschedule = "0 25 * * *"\n',
                          "schedule = '0 25 * * *' is not valid; use hourly, daily, weekly or a "
                          "5-field cron expression like '0 6 * * 1-5'"),
    "bad source": ('term = "x"\nsource = "scopus"\n',
                   "source 'scopus' is not supported; use one of: pubmed, crossref, feed"),
    "bad enabled": ('term = "x"\nenabled = "yes"\n', "enabled = 'yes' is not true or false"),
    "bad name": ('term = "x"\nname = "her2 immune"\n',
                 "name 'her2 immune' is not a valid query name; use letters, digits, '-', '_' or "
                 "'.'"),
    "crossref without issn": ('source = "crossref"\n',
                              "missing key 'issn'; add the journal's ISSNs, e.g. "
                              "issn = [\"1535-6108\", \"1878-3686\"]"),
    "crossref bad issn": ('source = "crossref"\nissn = ["1535-6108", "15356108"]\n',
                          "issn '15356108' is not an ISSN; write it as 1535-6108"),
    "crossref with term": ('source = "crossref"\nissn = "1535-6108"\nterm = "x"\n',
                           "unknown key 'term' for source 'crossref'; allowed keys: name, source, "
                           "start, schedule, enabled, description, issn"),
    "feed without urls": ('source = "feed"\n',
                          "missing key 'urls'; add the feed addresses, e.g. "
                          "urls = [\"https://example.org/feed.rss\"]"),
    "feed empty urls": ('source = "feed"\nurls = []\n', "key 'urls' is empty; give at least one"),
    "feed file url": ('source = "feed"\nurls = ["file:///etc/passwd"]\n',
                      "urls: 'file:///etc/passwd' is not an http(s) address; feeds are fetched "
                      "over http or https only"),
    "feed bad keywords": ('source = "feed"\nurls = ["https://x.org/a.rss"]\nkeywords = [1]\n',
                          "key 'keywords' must be a list of non-empty strings, e.g. "
                          "keywords = [\"...\"]"),
}


@pytest.mark.parametrize("text, message", BAD.values(), ids=BAD.keys())
def test_bad_query_files(workdir, harvest, text, message):
    (workdir / "queries" / "q.toml").write_text(text)
    queries, problems = load_queries(workdir / "queries")
    assert queries == []
    assert [str(p) for p in problems] == [f"{workdir / 'queries' / 'q.toml'}: {message}"]

    result = harvest("queries", "check")
    assert result.exit_code == 2
    assert result.out == f"error  queries/q.toml: {message}\n"
    assert result.err == "1 of 1 query files are invalid\n"


def test_duplicate_names(workdir):
    (workdir / "queries" / "a.toml").write_text('term = "x"\nname = "same"\n')
    (workdir / "queries" / "b.toml").write_text('term = "y"\nname = "same"\n')
    queries, problems = load_queries(workdir / "queries")
    assert [q.name for q in queries] == ["same"]
    assert [str(p) for p in problems] == [
        f"{workdir / 'queries' / 'b.toml'}: name 'same' is already used by "
        f"{workdir / 'queries' / 'a.toml'}; give one of them another name"]


def test_missing_folder(workdir, harvest):
    result = harvest("queries", "check", "--queries", "nowhere")
    assert result.exit_code == 2
    assert result.err == ("Error: nowhere: saved-query folder not found; create it or point "
                          "HARVEST_QUERIES (--queries) at it\n")


@pytest.mark.parametrize("schedule, last, now, due", [
    ("daily", None, "2025-03-01T06:00", True),
    ("daily", "2025-03-01T06:00", "2025-03-01T18:00", False),
    ("daily", "2025-03-01T06:00", "2025-03-02T05:58", True),  # same cron minute, a little early
    ("hourly", "2025-03-01T06:00", "2025-03-01T06:30", False),
    ("weekly", "2025-03-01T06:00", "2025-03-08T06:00", True),
    ("0 6 * * 1-5", "2025-02-28T06:00", "2025-03-01T12:00", False),  # Saturday: next is Monday
    ("0 6 * * 1-5", "2025-02-28T06:00", "2025-03-03T06:01", True),
])
def test_is_due(schedule, last, now, due):
    query = Query(name="q", source="pubmed", term="x", path=Path("q.toml"), schedule=schedule)
    parse = lambda s: dt.datetime.fromisoformat(s).replace(tzinfo=dt.timezone.utc)  # noqa: E731
    assert query.is_due(parse(last) if last else None, parse(now)) is due


def test_check_online_asks_pubmed_for_each_term(workdir, fake, harvest):
    from tests.fake_eutils import Fault
    (workdir / "queries" / "good.toml").write_text('term = "ERBB2[tiab]"\nstart = 2025-01-01\n')
    fake.fail("esearch", Fault(200, (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>0</Count><RetMax>0'
        "</RetMax><RetStart>0</RetStart><IdList/><TranslationSet/><ErrorList><PhraseNotFound>"
        "ERBB2x</PhraseNotFound></ErrorList></eSearchResult>")))

    result = harvest("queries", "check", "--online")

    assert result.exit_code == 0
    assert result.out.splitlines() == ["ok     queries/good.toml  (good, pubmed, daily)",
                                       "warn   good: phrase not found: ERBB2x"]
    [call] = fake.calls("esearch")
    assert (call["term"], call["retmax"], call["mindate"]) == ("ERBB2[tiab]", "0", "2025/01/01")
