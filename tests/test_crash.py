"""Crash safety and unreliable networks: a run killed with SIGKILL at random moments, and runs
through a server that fails 20% of requests at random, both end with the database a clean run
builds. Nothing lost, nothing duplicated, PRAGMA integrity_check ok after every kill."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import EMAIL, rows, write_query
from tests.fake_eutils import Fault
from tests.test_faults import BACKEND_FAILED, MAINTENANCE_PAGE, truncated_efetch

# What the articles view holds that does not depend on when it was harvested.
CONTENT = ("SELECT pmid, doi, title, abstract, journal, pub_date, publication_types, authors, "
           "coi_statement, queries FROM articles ORDER BY pmid")


def populate(fake, workdir: Path) -> None:
    """Three queries, 1,500 records over ten days: many windows and efetch batches."""
    start = dt.date(2025, 1, 1)
    pmid = 41300000
    for name in ("alpha", "beta", "gamma"):
        write_query(workdir / "queries", name, start="2025-01-01", term=name)
        for i in range(500):
            pmid += 1
            fake.add_synthetic(pmid, start + dt.timedelta(days=i % 10), terms={name})


def wait_for_run(db_path: Path, started: int, process: subprocess.Popen) -> None:
    """Until the process has opened its run in the ledger (more than `started` runs), or ended."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if run_count(db_path) > started:
            return
        time.sleep(0.01)


def run_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        return rows(db_path, "SELECT count(*) AS n FROM runs")[0]["n"]
    except sqlite3.Error:  # its schema is not there yet
        return 0


def harvest_command() -> str:
    found = shutil.which("harvest", path=str(Path(sys.executable).parent)) or shutil.which(
        "harvest")
    assert found
    return found


def test_killed_runs_resume_to_the_clean_result(workdir, fake, httpserver, tmp_path_factory):
    populate(fake, workdir)
    clean_db = tmp_path_factory.mktemp("clean") / "clean.db"
    env = {**os.environ, "HARVEST_EMAIL": EMAIL, "HARVEST_EUTILS_RATE": "1000",
           "HARVEST_EUTILS_URL": httpserver.url_for("/").rstrip("/"), "HARVEST_BACKOFF": "0.01"}
    command = [harvest_command(), "run", "--all", "--no-enrich", "--since", "2025-01-01"]

    done = subprocess.run([*command, "--db", str(clean_db)], env=env, cwd=workdir,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = rows(clean_db, CONTENT)
    assert len(expected) == 1500

    fake.delay = 0.02  # each answer takes a moment, so kills land mid-window
    rng = random.Random(20251201)
    kills = 0
    db_path = workdir / "killed.db"
    for attempt in range(8):
        started = run_count(db_path)
        # --since: every attempt redoes all windows, so a kill can land anywhere in them.
        process = subprocess.Popen([*command, "--db", str(db_path)],
                                   env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        # Most kills land once the run has started (however slow the interpreter starts on a
        # busy machine); every other one lands at start-up.
        if attempt % 2 == 0:
            wait_for_run(db_path, started, process)
        time.sleep(rng.uniform(0.0, 0.8))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        if db_path.exists():
            assert rows(db_path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert kills >= 4

    fake.delay = 0
    done = subprocess.run([*command[:2], "--all", "--no-enrich", "--db", str(db_path)], env=env,
                          cwd=workdir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert rows(db_path, CONTENT) == expected
    assert rows(db_path, "SELECT count(*) AS n FROM query_match") == [{"n": 1500}]
    statuses = [r["status"] for r in rows(db_path, "SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "ok"
    assert "crashed" in statuses and "running" not in statuses


def test_random_faults_on_a_fifth_of_requests(workdir, fake, harvest):
    """Day after day new and revised records arrive; one database is harvested through a clean
    server, the other through one that fails a fifth of all requests at random."""
    populate(fake, workdir)
    faults = (random.Random(7), 0.2, [
        Fault(429, '{"error":"API rate limit exceeded"}', {"Retry-After": "0"}, "application/json"),
        Fault(500, "Internal Server Error", {}, "text/plain"),
        Fault(502, "<html>Bad Gateway</html>", {}, "text/html"),
        Fault(503, "", {}, "text/plain"),
        Fault(200, MAINTENANCE_PAGE, {}, "text/html"),
        Fault(200, BACKEND_FAILED),
        Fault(200, truncated_efetch()),
        Fault(200, ""),
    ])
    today = dt.datetime.now(dt.timezone.utc).date()
    mixed_requests = 0
    pmid = 41400000
    for day in range(5):
        if day:
            for name in ("alpha", "beta", "gamma"):  # new records, and revised old ones
                for _ in range(20):
                    pmid += 1
                    fake.add_synthetic(pmid, today, terms={name})
            for old in range(41300001 + day, 41301500, 97):
                fake.add_synthetic(old, dt.date(2025, 1, 1) + dt.timedelta(days=old % 10),
                                   mdat=today, coi=f"Revised on day {day}.",
                                   terms={fake.records[old].terms.pop()})
        fake.random_faults = None
        assert harvest("run", "--all", "--no-enrich", "--db", "clean.db").exit_code == 0
        fake.random_faults = faults
        before = len(fake.requests)
        codes = []
        for _ in range(6):  # a failed query is retried by the next run
            codes.append(harvest("run", "--all", "--no-enrich", "--db", "mixed.db").exit_code)
            if codes[-1] == 0:
                break
        assert codes[-1] == 0, codes
        mixed_requests += len(fake.requests) - before

    assert rows("mixed.db", CONTENT) == rows("clean.db", CONTENT)
    assert len(rows("mixed.db", CONTENT)) == 1500 + 4 * 60
    assert rows("mixed.db", "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    # Faults were really served, about one request in five.
    assert mixed_requests > 60
    assert 0.1 < fake.injected / mixed_requests < 0.3


def test_deadline_stops_the_run_and_the_next_run_finishes(workdir, fake, harvest):
    populate(fake, workdir)
    fake.delay = 0.4  # a slow server: each answer takes 0.4 s

    result = harvest("run", "--no-enrich", "--deadline", "1s")

    assert result.exit_code == 1
    failed = [l for l in result.out.splitlines() if ": failed, " in l]
    assert failed and all("deadline" in l for l in failed)
    assert rows("data/harvest.db", "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    fake.delay = 0
    assert harvest("run", "--no-enrich", "--all").exit_code == 0
    assert rows("data/harvest.db", "SELECT count(*) AS n FROM articles") == [{"n": 1500}]


def test_a_bad_deadline_is_a_usage_error(workdir, harvest):
    result = harvest("run", "--deadline", "soon")
    assert result.exit_code == 2
    assert result.err.splitlines()[-1] == ("Error: Invalid value for --deadline: 'soon' is not "
                                           "a duration; write e.g. 90s, 20m or 2h")
