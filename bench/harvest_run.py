"""Bench: a full `harvest run` against rate-limited loopback services, then a run with nothing new.

    python bench/harvest_run.py                    # 1,000 new articles over 2 queries
    python bench/harvest_run.py --articles 400 --queries 4 --latency 0.2

Loopback E-utilities, Unpaywall and Europe PMC (bench/loopback.py) answer after --latency
seconds and refuse with 429 whatever is over their rate: 3 requests/s for E-utilities (NCBI's
limit without a key), 20/s Unpaywall and 10/s Europe PMC (the limits harvester keeps to).
`harvest run` runs as a real process with its default settings (HARVEST_EUTILS_RATE unset: 3/s).

The N articles are spread over the last 28 days and the Q queries. Half carry a PubMed
CoiStatement; of the other half, every second one is in PMC with a full text, so the COI step
needs N/4 full texts. Every article has a DOI that Unpaywall knows.

Figures (item 2): requests per service against the lower bound, Q esearch + sum of
ceil(n_q/500) efetch + N Unpaywall + ceil(N/1000) Europe PMC searches (the issue's bound; the
code sends ceil(N/100), see EUROPEPMC_BATCH) + the N/4 full texts; wall time, process start
included, against the rate floor; 429s received. The rate floor is the least time the services'
rate limits allow for those requests, stage after stage as the run's data depends on the stage
before (efetch gives the DOIs, Europe PMC the PMCIDs): for n requests at r per second it is
(n - 1) / r + one latency, per stage; Unpaywall and the Europe PMC searches share the OA stage.

Item 3: a feed query joins (Cancer Cell's current issue, its two DOIs registered at Crossref)
and is run once, then the same database is run again at once: `harvest run --all` (every query
searched though none is due: one esearch per PubMed query and date window, edat and mdat, one
conditional GET per feed answered 304, and one esearch by DOI for the feed's articles PubMed
does not have yet) and plain `harvest run` (what cron does: nothing is due, no request at all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import tempfile
from pathlib import Path

from harness import EMAIL, Row, clean_env, print_table, ratio, run_harvest, write_query
from loopback import EUROPEPMC_RATE, EUTILS_RATE, UNPAYWALL_RATE, Loopback
from tests.fake_crossref import crossref_work
from tests.fake_eutils import FIXTURES

EFETCH_BATCH = 500  # harvester.sources.pubmed.EFETCH_BATCH
EUROPEPMC_BATCH_ISSUE = 1000  # the issue's bound; the code's batch is 100 (ids go in the URL)
FIRST_PMID = 40_000_000
STATEMENT = "The authors declare no competing interests."
FULL_TEXT = (FIXTURES / "jats" / "springer_nested_ethics.xml").read_bytes()


def populate(loop: Loopback, articles: int, queries: int, today: dt.date, *, days: int = 28,
             term_prefix: str = "bench") -> dict:
    """Records (Entrez dates over the last `days`, query q's term is "{term_prefix}{q}[tiab]"),
    Unpaywall answers, Europe PMC records and full texts; returns what a run needs."""
    gold = json.loads((FIXTURES / "unpaywall" / "gold_2020.json").read_text())
    closed = json.loads((FIXTURES / "unpaywall" / "closed_2025.json").read_text())
    per_query = [0] * queries
    full_texts = 0
    for i in range(articles):
        pmid = FIRST_PMID + i
        edat = today - dt.timedelta(days=i % days)
        has_statement = i % 2 == 0
        loop.pubmed.add_synthetic(pmid, edat, terms={f"{term_prefix}{i % queries}[tiab]"},
                                  coi=STATEMENT if has_statement else None)
        per_query[i % queries] += 1
        doi = f"10.1016/j.ccell.{edat.year}.{pmid % 100000}"
        loop.oa.unpaywall[doi] = dict(gold if i % 3 == 0 else closed, doi=doi)
        if not has_statement and i % 4 == 1:
            pmcid = f"PMC{9000000 + i}"
            loop.oa.add_europepmc(pmid=str(pmid), pmcid=pmcid, inEPMC="Y", inPMC="Y",
                                  isOpenAccess="Y", license="cc by")
            loop.oa.full_texts[pmcid] = FULL_TEXT
            full_texts += 1
    return {"per_query": per_query, "full_texts": full_texts}


def floor(n: int, rate: float, latency: float) -> float:
    """Least time n requests take at `rate` per second when each takes `latency`."""
    return (n - 1) / rate + latency if n else 0.0


def measure(articles: int = 1000, queries: int = 2, latency: float = 0.1) -> list[Row]:
    today = dt.datetime.now(dt.timezone.utc).date()
    start = (today - dt.timedelta(days=30)).isoformat()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Loopback(latency=latency) as loop:
        work = Path(tmp)
        for q in range(queries):
            write_query(work / "queries", f"bench{q}", f"bench{q}[tiab]", start)
        world = populate(loop, articles, queries, today)
        env = clean_env(HARVEST_EMAIL=EMAIL, HARVEST_DB=str(work / "harvest.db"), **loop.env())
        started, _ = run_harvest(["--version"], cwd=work, env=env)

        seconds, done = run_harvest(["run"], cwd=work, env=env)
        got = {s.name: s.counts for s in loop.services}
        esearch = queries
        efetch = sum(math.ceil(n / EFETCH_BATCH) for n in world["per_query"])
        unpaywall = articles
        searches_issue = math.ceil(articles / EUROPEPMC_BATCH_ISSUE)
        searches_code = math.ceil(articles / 100)
        full_texts = world["full_texts"]
        bound_issue = esearch + efetch + unpaywall + searches_issue + full_texts
        total = sum(c.total for c in got.values())
        eutils_floor = floor(esearch + efetch, EUTILS_RATE, latency)
        oa_floor = max(floor(unpaywall, UNPAYWALL_RATE, latency),
                       floor(searches_code, EUROPEPMC_RATE, latency))
        coi_floor = floor(full_texts, EUROPEPMC_RATE, latency)
        rate_floor = eutils_floor + oa_floor + coi_floor
        name = f"2. full run, {articles:,} new, {queries} queries"
        eu, up, ep = got["E-utilities"], got["Unpaywall"], got["Europe PMC"]
        rows += [
            Row(name, f"{total:,} requests", f"lower bound {bound_issue:,}",
                ratio(total, bound_issue), "<= 1.05x", total <= 1.05 * bound_issue),
            Row(name, f"E-utilities {eu.requests['esearch']} esearch + "
                      f"{eu.requests['efetch']} efetch",
                f"{esearch} + {efetch}", ratio(eu.total, esearch + efetch), "1.00x",
                eu.total == esearch + efetch),
            Row(name, f"Unpaywall {up.total:,}", f"{unpaywall:,}", ratio(up.total, unpaywall),
                "1.00x", up.total == unpaywall),
            Row(name, f"Europe PMC {ep.requests['search']} searches",
                f"{searches_issue} (issue, 1,000 ids each); code's bound {searches_code} "
                f"(100 ids each)", ratio(ep.requests["search"], searches_issue),
                f"<= {searches_code / searches_issue:.0f}x (URL length)",
                ep.requests["search"] <= searches_code),
            Row(name, f"Europe PMC {ep.requests['fulltext']} full texts", f"{full_texts}",
                ratio(ep.requests["fulltext"], full_texts), "1.00x",
                ep.requests["fulltext"] == full_texts),
            Row(name, f"wall time {seconds:.1f} s", f"rate floor {rate_floor:.1f} s "
                      f"(E-utilities {eutils_floor:.1f} + OA {oa_floor:.1f} + "
                      f"COI {coi_floor:.1f})",
                ratio(seconds, rate_floor), "<= 1.25x", seconds <= 1.25 * rate_floor),
            Row(name, f"429s received {loop.refused()}", "0", "-", "0", loop.refused() == 0),
        ]
        _check_stored(work / "harvest.db", articles, done.stdout)

        # Item 3: a feed query, primed once; then at once again, nothing new.
        add_feed(loop, work)
        run_harvest(["run", "--query", "feed"], cwd=work, env=env)
        loop.reset()
        name = "3. nothing new"
        seconds, done = run_harvest(["run", "--all"], cwd=work, env=env)
        eu, feeds = loop.eutils.counts, loop.feed_service.counts
        bound = 2 * queries + 1 + 1  # edat and mdat per query, the feed, the DOI lookup
        others = (loop.unpaywall.counts.total + loop.europepmc.counts.total
                  + loop.crossref_service.counts.total)
        total = eu.total + feeds.total + others
        rows += [
            Row(name + ", --all", f"{total} requests ({eu.requests['esearch']} esearch, "
                                  f"{eu.requests['efetch']} efetch, {feeds.total} feed "
                                  f"({not_modified(loop)} x 304), {others} OA/COI/Crossref)",
                f"{bound} ({2 * queries} esearch edat + mdat, 1 feed, 1 esearch by DOI)",
                ratio(total, bound), "1.00x", total == bound),
            Row(name + ", --all", f"wall time {seconds:.2f} s",
                f"rate floor {floor(bound, EUTILS_RATE, latency):.2f} s",
                ratio(seconds, floor(bound, EUTILS_RATE, latency)), "-", None),
        ]
        loop.reset()
        seconds, done = run_harvest(["run"], cwd=work, env=env)
        total = sum(s.counts.total for s in loop.services)
        rows += [
            Row(name + ", none due", f"{total} requests, wall time {seconds:.2f} s",
                f"process start {started:.2f} s", ratio(seconds, started), "0 requests",
                total == 0),
        ]
        if loop.refused():
            rows.append(Row(name, f"429s received {loop.refused()}", "0", "-", "0", False))
    return rows


def add_feed(loop: Loopback, work: Path) -> None:
    """A feed query over the current-issue fixture, whose DOIs Crossref already has."""
    loop.feeds.serve("current.rss", "cancer_cell_current.rss")
    for doi in ("10.1016/j.ccell.2025.11.004", "10.1016/j.ccell.2025.11.011"):
        loop.crossref.add(crossref_work(doi, f"Cancer Cell {doi}", dt.date(2025, 11, 20)))
    (work / "queries" / "feed.toml").write_text(
        f'source = "feed"\nurls = ["{loop.feeds.url("current.rss")}"]\n', encoding="utf-8")


def not_modified(loop: Loopback) -> int:
    """304s the feed service sent: a conditional GET that carried the last ETag."""
    return sum(1 for _, headers in loop.feeds.requests if "If-None-Match" in headers)


def _check_stored(path: Path, articles: int, out: str) -> None:
    import sqlite3
    conn = sqlite3.connect(path)
    try:
        stored, oa, coi = conn.execute(
            "SELECT count(*), count(o.article_id), count(c.article_id) FROM article a "
            "LEFT JOIN oa_status o ON o.article_id = a.id LEFT JOIN coi c ON c.article_id = a.id"
        ).fetchone()
    finally:
        conn.close()
    if (stored, oa, coi) != (articles, articles, articles):
        raise RuntimeError(f"the run stored {stored} articles, {oa} OA, {coi} COI of {articles}:"
                           f"\n{out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    print_table(measure(args.articles, args.queries, args.latency))


if __name__ == "__main__":
    main()
