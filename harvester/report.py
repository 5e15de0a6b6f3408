"""What `harvest status` and `harvest queries` read: the last runs, each query's state and the
shares of its articles that are open access or declare interests, and the warnings PubMed gave
each query last time."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from harvester import db, notices

# Per query: its state, and over its articles: new this week, OA and COI shares (among those
# checked), and how many wait for an OA or COI check (never done, or due again).
# `edat_through` repeats collected_through under the name `status --json` gave it first.
QUERY_STATUS = """
SELECT s.query, s.source, s.last_attempt_at, s.last_success_at, s.last_status, s.last_error,
       s.collected_through AS edat_through, s.mdat_through, s.collected_through,
       count(m.article_id) AS articles,
       count(CASE WHEN m.first_matched_at >= :week_ago THEN 1 END) AS new_this_week,
       count(o.article_id) AS oa_checked,
       count(CASE WHEN o.is_oa = 1 THEN 1 END) AS oa_open,
       count(CASE WHEN c.status IN ('declared', 'none_declared', 'unclear') THEN 1 END)
           AS coi_statements,
       count(CASE WHEN c.status = 'declared' THEN 1 END) AS coi_declared,
       count(CASE WHEN m.article_id IS NOT NULL AND (o.article_id IS NULL
                  OR o.next_check_at <= :now OR c.article_id IS NULL OR c.next_check_at <= :now)
             THEN 1 END) AS waiting_for_check,
       (SELECT count(*) FROM missing_pmid p WHERE p.query = s.query) AS missing
FROM query_state s
LEFT JOIN query_match m ON m.query = s.query
LEFT JOIN oa_status o ON o.article_id = m.article_id
LEFT JOIN coi c ON c.article_id = m.article_id
GROUP BY s.query ORDER BY s.query
"""

RECENT_RUNS = """
SELECT r.id, r.started_at, r.finished_at, r.status,
       coalesce(sum(q.new), 0) AS new, coalesce(sum(q.updated), 0) AS updated,
       count(CASE WHEN q.status = 'failed' THEN 1 END) AS errors
FROM runs r LEFT JOIN run_queries q ON q.run_id = r.id
GROUP BY r.id ORDER BY r.id DESC LIMIT ?
"""


def status_report(conn: sqlite3.Connection, n_runs: int,
                  now: dt.datetime | None = None) -> dict:
    """{"articles": n, "runs": [the last n_runs], "queries": [one per query with a state]}."""
    if _empty(conn):
        return {"articles": 0, "runs": [], "queries": [], "set_aside": [], "notices": {}}
    now = now or dt.datetime.now(dt.timezone.utc)
    runs = [dict(r) for r in conn.execute(RECENT_RUNS, (n_runs,))]
    queries = [dict(r) for r in conn.execute(QUERY_STATUS, {
        "now": db.now_iso(now), "week_ago": db.now_iso(now - dt.timedelta(days=7))})]
    articles = conn.execute("SELECT count(*) FROM article").fetchone()[0]
    set_aside = [dict(r) for r in conn.execute(
        "SELECT source, count(*) AS records FROM rejected_record GROUP BY source ORDER BY source")]
    return {"articles": articles, "runs": runs, "queries": queries, "set_aside": set_aside,
            "notices": notices.counts(conn)}


def query_states(conn: sqlite3.Connection) -> dict[str, dict]:
    """Each query's row of query_state, by name."""
    if _empty(conn):
        return {}
    return {r["query"]: dict(r) for r in conn.execute("SELECT * FROM query_state")}


def last_warnings(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Warnings PubMed gave each query in its most recent run (e.g. phrase not found)."""
    if _empty(conn):
        return {}
    rows = conn.execute(
        "SELECT query, warnings FROM run_queries r WHERE run_id = "
        "(SELECT max(run_id) FROM run_queries WHERE query = r.query)")
    return {r["query"]: json.loads(r["warnings"]) for r in rows if r["warnings"] != "[]"}


def _empty(conn: sqlite3.Connection) -> bool:
    """A file opened without creating the schema (create=False) before any run."""
    return conn.execute("PRAGMA user_version").fetchone()[0] == 0
