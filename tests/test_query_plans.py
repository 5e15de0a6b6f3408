"""Every statement `harvest run` executes uses an index: none scans a table that grows with the
database. The statements come from tracing real runs, so a new query is checked without being
listed here. (Time is never asserted; bench/growth.py measures it.)"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from harvester import db
from tests.conftest import write_query
from tests.fake_crossref import crossref_work
from tests.fake_eutils import FIXTURES

# Tables a statement may scan whole, each with the reason it stays small however many articles
# the database holds.
SMALL_TABLES = {
    "sqlite_master": "the schema",
    "sqlite_schema": "the schema",
    "query_state": "one row per saved query",
    "oa_pending": "the articles the OA step has not checked yet: emptied by each run, up to "
                  "HARVEST_ENRICH_LIMIT, and read whole because they are all due",
    "coi_pending": "the same for the COI step",
    "rejected_record": "records that could not be read or stored: a handful, read once a "
                       "harvest, each leaving once it is stored",
}
# Statements allowed to scan a large table (by their shape(), with the reason). None so far.
ALLOWED_SCANS: dict[str, str] = {}
SQL_WORDS = {"WHERE", "LEFT", "JOIN", "INNER", "CROSS", "ON", "USING", "GROUP", "ORDER", "LIMIT",
             "SET", "VALUES", "UNION", "SELECT", "DEFAULT", "AS"}
SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|CREATE|DROP|SAVEPOINT|RELEASE|--)",
                  re.IGNORECASE)


def traced_statements(monkeypatch) -> list[str]:
    """Collect every SQL statement run on connections db.connect opens from now on."""
    statements: list[str] = []
    connect = db.connect

    def tracing(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(db, "connect", tracing)
    return statements


def shape(sql: str) -> str:
    """The statement with its literals out, so one per-record statement is checked once."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"X'[0-9A-F]*'|\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"\?(?:\s*,\s*\?)+", "?", " ".join(sql.split()))


def full_scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The large tables this statement's plan scans, whole (with or without an index)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # The plan names a table by its alias: `FROM article a` scans as "SCAN a".
    names = {t: t for t in tables}
    for table, alias in re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?",
                                   sql, flags=re.IGNORECASE):
        if alias and alias.upper() not in SQL_WORDS and table in tables:
            names[alias] = table
    scans = []
    for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
        match = re.match(r"SCAN (\w+)", row["detail"])
        if match and names.get(match.group(1), "subquery") not in {*SMALL_TABLES, "subquery"}:
            scans.append(f"{row['detail']} ({names[match.group(1)]})")
    return scans


def test_every_statement_of_a_run_uses_an_index(workdir, fake, oa, harvest, monkeypatch):
    write_query(workdir / "queries", "her2", start="2025-01-01")
    write_query(workdir / "queries", "other", start="2025-01-01", term="other[tiab]")
    today = dt.datetime.now(dt.timezone.utc).date()
    for pmid in range(41000001, 41000007):
        fake.add_synthetic(pmid, today - dt.timedelta(days=pmid % 5),
                           coi=None if pmid % 2 else "The authors declare no competing interests.")
    oa.add_unpaywall("closed_2025.json", doi=f"10.1016/j.ccell.{today.year}.1")
    oa.add_europepmc(pmid="41000003", pmcid="PMC1", inEPMC="Y", isOpenAccess="Y")
    oa.full_texts["PMC1"] = (FIXTURES / "jats" / "springer_nested_ethics.xml").read_bytes()
    fake.withheld = {41000005}  # missing_pmid, then retried
    statements = traced_statements(monkeypatch)

    assert harvest("run").exit_code == 0
    # A second run: the overlap, the mdat pass, the missing PMID, OA and COI re-checks due.
    fake.withheld = set()
    fake.add_synthetic(41000002, today, mdat=today, coi="A.B. is a consultant for Roche.")
    conn = sqlite3.connect("data/harvest.db")
    conn.execute("UPDATE oa_status SET next_check_at = '2000-01-01T00:00:00Z'")
    conn.execute("UPDATE coi SET next_check_at = '2000-01-01T00:00:00Z' "
                 "WHERE status = 'not_found'")
    conn.commit()
    conn.close()
    assert harvest("run", "--all").exit_code == 0

    # The run's own lookups are among them (a trace that caught nothing would pass vacuously).
    assert_every_plan_uses_an_index(statements, (
        "FROM query_state", "oa_status", "FROM coi", "missing_pmid", "run_queries",
        "query_match"))


def assert_every_plan_uses_an_index(statements: list[str], expected: tuple[str, ...]) -> None:
    """Each distinct traced statement's plan scans no large table; `expected` fragments occur."""
    conn = sqlite3.connect("data/harvest.db")
    conn.row_factory = sqlite3.Row
    checked = {}
    for sql in statements:
        if not SKIP.match(sql):
            checked.setdefault(shape(sql), sql)
    joined = "\n".join(checked)
    for fragment in expected:
        assert fragment in joined, fragment
    problems = {shape_: scans for shape_, sql in checked.items()
                if shape_ not in ALLOWED_SCANS and (scans := full_scans(conn, sql))}
    conn.close()
    assert problems == {}, "\n".join(f"{k}\n    {v}" for k, v in problems.items())


def test_crossref_feed_and_doi_lookup_statements_use_an_index(workdir, fake, crossref, feeds,
                                                              harvest, monkeypatch):
    """The same for Crossref and feed queries, the merge by DOI and the PubMed lookup by DOI."""
    for n in range(3):
        crossref.add(crossref_work(f"10.1016/j.ccell.2025.{n + 1}", f"Paper {n}",
                                   dt.date(2025, 11, 18)))
    feeds.serve("inpress", "cancer_cell_inpress.rdf")
    write_query(workdir / "queries", "cc", source="crossref", issn="1535-6108",
                start="2025-11-01")
    write_query(workdir / "queries", "f", source="feed", urls=[feeds.url("inpress")])
    write_query(workdir / "queries", "pm", start="2025-11-01")
    fake.add_synthetic(40000002, dt.date(2025, 11, 20))  # DOI 10.1016/j.ccell.2025.2
    statements = traced_statements(monkeypatch)

    assert harvest("run", "--no-enrich", "--query", "cc", "--query", "f").exit_code == 0
    fake.add_synthetic(40000003, dt.date(2025, 11, 20))  # found by the DOI lookup next time
    assert harvest("run", "--no-enrich", "--all").exit_code == 0

    assert_every_plan_uses_an_index(statements, (
        "crossref_record", "feed_entry", "feed_state", "pmid IS NULL", "doi = ? AND pmid IS NULL"))


def test_the_queues_of_an_older_file_hold_what_was_due(workdir):
    """Upgrading a file from before the queues: what the old due queries found is queued."""
    conn = sqlite3.connect("old.db", isolation_level=None)
    for number in range(3):
        for statement in db._statements(db.MIGRATIONS[number]):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    now = "2025-01-01T00:00:00Z"
    for pmid, digest in ((1, "h1"), (2, "h2"), (3, "h3")):
        conn.execute("INSERT INTO article (id, pmid, pubmed_hash, first_seen_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?)", (pmid, pmid, digest, now, now))
    # 1: checked by both steps; 2: OA checked, its record changed since COI looked; 3: neither.
    for article_id in (1, 2):
        conn.execute("INSERT INTO oa_status (article_id, oa_status, source, checked_at, "
                     "changed_at, next_check_at) VALUES (?, 'closed', 'unpaywall', ?, ?, ?)",
                     (article_id, now, now, "2030-01-01T00:00:00Z"))
        conn.execute("INSERT INTO coi (article_id, status, checked_at, changed_at, article_hash) "
                     "VALUES (?, 'none_declared', ?, ?, ?)", (article_id, now, now,
                                                             "h1" if article_id == 1 else "old"))
    conn.close()

    conn = db.connect(workdir / "old.db")
    assert [r[0] for r in conn.execute("SELECT article_id FROM oa_pending")] == [3]
    assert [r[0] for r in conn.execute("SELECT article_id FROM coi_pending")] == [2, 3]
    # From now on the triggers keep them: a new article joins both, a changed record the COI one.
    conn.execute("INSERT INTO article (id, pmid, pubmed_hash, first_seen_at, updated_at) "
                 "VALUES (4, 4, 'h4', ?, ?)", (now, now))
    conn.execute("UPDATE article SET pubmed_hash = 'h1b' WHERE id = 1")
    conn.execute("UPDATE article SET title = 'same record' WHERE id = 3")
    assert [r[0] for r in conn.execute("SELECT article_id FROM oa_pending")] == [3, 4]
    assert [r[0] for r in conn.execute("SELECT article_id FROM coi_pending")] == [1, 2, 3, 4]
    conn.close()
