"""The `harvest` command: parse options, call the pipeline, print a summary.

Data goes to stdout; progress and log lines go to stderr. Exit codes: 0 all well, 1 some query
failed (what succeeded is committed), 2 usage or configuration error, 75 database busy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import re
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import click

from harvester import __version__, articles, db, notices, report
from harvester.config import (CROSSREF_RATE, EUROPEPMC_RATE, UNPAYWALL_RATE, Settings,
                              load_settings)
from harvester.console import TerminalProgress, parse_duration, print_table, share
from harvester.enrich.coi import enrich_coi, explain as explain_coi
from harvester.enrich.coi_classify import classify
from harvester.enrich.oa import enrich_oa
from harvester.errors import ConfigError, HarvestError
from harvester.http import DeadlineReached, HttpClient, host_of
from harvester.lock import RunLock
from harvester.outputs import digest as digest_module
from harvester.outputs.explain import explanation
from harvester.outputs.delivery import Destination, save_output
from harvester.outputs.export import FORMATS, write_export
from harvester.outputs.items import (covered_through, known_queries, last_digest_at,
                                     latest_article_id, load_changed, load_items,
                                     load_redeliveries, parse_since)
from harvester.outputs.search import search as search_articles
from harvester.pipeline import (Sources, due_queries, link_pubmed, lookup_crossref_notices,
                                run_queries)
from harvester.queries import Query, load_queries
from harvester.schedule import schedule_text
from harvester.sources.crossref import Crossref
from harvester.sources.pubmed import Eutils

log = logging.getLogger("harvester")
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


@dataclass
class Verbosity:
    """-v / -q of the command being run; main() reads it to decide on tracebacks."""

    verbose: bool = False
    quiet: bool = False


def _quiet() -> bool:
    return click.get_current_context().find_object(Verbosity).quiet


def location_options(command):
    """--db and --queries: override HARVEST_DB / HARVEST_QUERIES (and harvest.toml)."""
    command = click.option("--queries", "queries_dir", type=click.Path(path_type=Path),
                           help="Saved-query folder. [env: HARVEST_QUERIES; default: queries]")(command)
    command = click.option("--db", "db_path", type=click.Path(path_type=Path),
                           help="SQLite file. [env: HARVEST_DB; default: data/harvest.db]")(command)
    return command


def verbosity_options(command):
    @click.option("-v", "--verbose", is_flag=True, help="Debug logging; tracebacks on errors.")
    @click.option("-q", "--quiet", is_flag=True, help="Silent on success: only errors.")
    @click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
                  envvar="HARVEST_LOG", show_envvar=True,
                  help="Append timestamped log lines to this file.")
    @functools.wraps(command)
    def wrapper(*args, verbose: bool, quiet: bool, log_file: Path | None, **kwargs):
        state = click.get_current_context().ensure_object(Verbosity)
        state.verbose, state.quiet = verbose, quiet
        setup_logging(verbose, quiet, log_file)
        return command(*args, **kwargs)
    return wrapper


LOG_FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")


def setup_logging(verbose: bool, quiet: bool, log_file: Path | None = None) -> None:
    """stderr: progress and info on a terminal; without one (cron) only warnings and errors, so
    that cron mails only what needs reading. The log file, if any, gets everything from info up,
    timestamped."""
    terminal = sys.stderr.isatty()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s") if terminal else LOG_FORMAT)
    handler.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet
                     else logging.INFO if terminal else logging.WARNING)
    handlers: list[logging.Handler] = [handler]
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"{log_file}: cannot write the log file ({e.strerror}); check "
                              "--log-file / HARVEST_LOG") from None
        file_handler.setFormatter(LOG_FORMAT)
        file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
        handlers.append(file_handler)
    for old in log.handlers:
        old.close()
    log.handlers[:] = handlers
    log.propagate = False
    log.setLevel(logging.DEBUG)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="harvest")
def cli():
    """Harvest new articles for saved queries (PubMed, Crossref, RSS feeds) into one SQLite
    file, one row per article, with their open-access status and conflict-of-interest
    statements.

    \b
        export HARVEST_EMAIL=editor@newsletter.org
        harvest run                  # every saved query that is due
        harvest queries check        # validate queries/*.toml
        harvest status               # last runs and each query's state
    """


@cli.command()
@click.option("--query", "names", multiple=True, metavar="NAME",
              help="Run this saved query (repeatable), due or not.")
@click.option("--all", "run_all", is_flag=True, help="Run every enabled query, due or not.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Harvest from this date (YYYY-MM-DD) instead of where the last run stopped.")
@click.option("--no-enrich", is_flag=True, help="Only collect: skip the open-access lookups.")
@click.option("--deadline", metavar="DURATION", callback=lambda c, p, v: parse_duration(v),
              help="Stop sending requests after this long (e.g. 90s, 20m, 2h); what is "
                   "committed stays, the rest is retried by the next run.")
@location_options
@verbosity_options
def run(names, run_all, since, no_enrich, deadline, db_path, queries_dir):
    """Fetch new and changed records for the saved queries that are due, and store them.

    \b
        harvest run                                  # every due query
        harvest run --all                            # every enabled query
        harvest run --query her2-immune --since 2025-01-01
        harvest run --no-enrich                      # collect only, no OA lookups
        harvest run -q --deadline 50m                # cron: silent unless something failed
    """
    settings = _settings(db_path, queries_dir)
    email = settings.require_email()
    queries, problems = load_queries(settings.queries)
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    selected = _select(queries, names, run_all) if (names or run_all) else None

    with open_store(settings, email, deadline=deadline) as (conn, http):
        now = dt.datetime.now(dt.timezone.utc)
        todo = selected if selected is not None else due_queries(conn, queries, now)
        collect_code = 0
        if todo:
            collect_code = _collect(conn, http, settings, email, todo, now,
                                    since.date() if since else None)
        else:
            log.info("no saved query is due (use --all to run them anyway)")
        enrich_code = 0 if no_enrich else _enrich_step(conn, http, settings, email)
    return 2 if problems else max(collect_code, enrich_code)


@contextlib.contextmanager
def open_store(settings: Settings, email: str | None,
               deadline: float | None = None) -> Iterator[tuple]:
    """The run lock, the database and one HTTP client for the services, closed in that
    order's reverse. A second command on the same database waits for none: it exits 75."""
    with RunLock(settings.db) as lock:
        lock.acquire(db.now_iso())
        conn = db.connect(settings.db)
        try:
            http = _http_client(settings, email,
                                deadline=time.monotonic() + deadline if deadline else None)
            try:
                yield conn, http
            finally:
                http.close()
        finally:
            conn.close()


def _collect(conn, http, settings: Settings, email: str, todo: list[Query], now: dt.datetime,
             since: dt.date | None) -> int:
    """Run the queries; print a line for each that found something or failed."""
    eutils = Eutils(http, settings.eutils_url, email, settings.ncbi_api_key)
    sources = Sources(http, eutils, Crossref(http, settings.crossref_url, email))
    progress = TerminalProgress() if sys.stderr.isatty() and not _quiet() else None
    before = notices.mark(conn)
    try:
        result = run_queries(conn, sources, todo, command=_command_line(), now=now, since=since,
                             progress=progress)
    finally:
        if progress:
            progress.close()
    link_code = 0
    try:
        linked = link_pubmed(conn, eutils, now)
        if linked and not _quiet():
            click.echo(f"PubMed: {linked} articles seen first through Crossref or a feed are "
                       "now indexed")
    except Exception as e:
        link_code = _failed("PubMed lookup by DOI", e)
    try:
        lookup_crossref_notices(conn, sources.crossref, now)
    except Exception as e:
        link_code = max(link_code, _failed("Crossref notices", e))
    for ledger in result.ledgers:
        if ledger.status != "ok" or (not _quiet() and (ledger.new or ledger.updated
                                                     or ledger.already_stored
                                                     or ledger.missing)):
            click.echo(_summary_line(ledger))
    arrived = notices.arrived_for_stored(conn, before)
    if arrived and not _quiet():
        click.echo(f"notices: {notices.describe(arrived)} for articles already stored")
    if not any(l.new or l.updated or l.status != "ok" for l in result.ledgers):
        log.info("nothing new")
    return max(result.exit_code, link_code)


def _summary_line(ledger) -> str:
    line = f"{ledger.query}: {ledger.status}, {ledger.counts()}"
    if ledger.errors:
        line += f": {ledger.errors[-1]}"
        if len(ledger.errors) > 1:
            line += f" (and {len(ledger.errors) - 1} more: see harvest status)"
    return line


def _enrich_step(conn, http, settings: Settings, email: str) -> int:
    """Open access, then conflicts of interest, after collecting. A failure is reported and
    sets the exit code; the collected data stays."""
    codes = []
    for name, step in (("open access", _enrich_oa), ("conflicts of interest", _enrich_coi)):
        try:
            codes.append(step(conn, http, settings, email))
        except DeadlineReached:
            click.echo(f"{name}: stopped at the run's deadline; what was looked up is stored, "
                       "the rest is looked up by the next run")
            codes.append(1)
            break
        except Exception as e:
            codes.append(_failed(name, e))
    return max(codes)


def _failed(step: str, error: Exception) -> int:
    """One line for a step after collecting that failed (the collected data stays), and its
    exit code. An error harvester names says what to do; anything else is a bug met here, said
    in one line too, with the traceback under -v."""
    if isinstance(error, HarvestError):
        message, code = str(error), error.exit_code
    else:
        log.debug("%s", step, exc_info=True)
        message, code = f"unexpected {type(error).__name__}: {error} (run with -v for the " \
                        "traceback)", 1
    click.echo(f"{step}: failed: {message}")
    log.error("%s: failed: %s", step, message)
    return code


def _enrich_coi(conn, http, settings: Settings, email: str | None = None) -> int:
    summary = enrich_coi(conn, http, europepmc_url=settings.europepmc_url,
                         limit=settings.enrich_limit)
    return _report_step(f"conflicts of interest: {summary.checked} checked, {summary.found} "
                        f"statements, {summary.declared} declared", summary)


def _enrich_oa(conn, http, settings: Settings, email: str) -> int:
    summary = enrich_oa(conn, http, unpaywall_url=settings.unpaywall_url,
                        europepmc_url=settings.europepmc_url, email=email,
                        limit=settings.enrich_limit)
    return _report_step(f"open access: {summary.checked} checked, {summary.changed} changed, "
                        f"{summary.open} open", summary)


def _report_step(line: str, summary) -> int:
    """An enrichment step's one line: printed when it did something or failed, else logged.
    Exit code 1 when any lookup failed."""
    if summary.errors:
        line += f", {summary.errors} errors"
    if summary.errors or (not _quiet() and summary.checked):
        click.echo(line)
    else:
        log.info("%s", line)
    return 1 if summary.errors else 0


@cli.group()
def enrich():
    """Add information from other services to the stored articles."""


@enrich.command("oa")
@click.option("--limit", type=click.IntRange(min=1),
              help="Look up at most this many articles, oldest due first. "
                   "[env: HARVEST_ENRICH_LIMIT; default: 1000]")
@location_options
@verbosity_options
def enrich_oa_command(limit, db_path, queries_dir):
    """Look up open-access status (Unpaywall, Europe PMC) for articles that are due.

    \b
        harvest enrich oa                 # new articles, and due re-checks
        harvest enrich oa --limit 100
    """
    settings = _settings(db_path, queries_dir)
    email = settings.require_email()
    if limit:
        settings = replace(settings, enrich_limit=limit)
    with open_store(settings, email) as (conn, http):  # never beside a `harvest run`
        return _enrich_oa(conn, http, settings, email)


@cli.command()
@click.option("--systemd", is_flag=True, help="Print a systemd service and timer instead.")
@click.option("--every", default=15, show_default=True, type=click.IntRange(1, 59),
              help="Minutes between runs; each saved query still runs only when it is due.")
@location_options
@verbosity_options
def schedule(systemd, every, db_path, queries_dir):
    """Print the crontab line (or systemd units) that runs harvester unattended.

    \b
        harvest schedule                   # a crontab line: add it with `crontab -e`
        harvest schedule --systemd         # harvester.service + harvester.timer
    """
    click.echo(schedule_text(_settings(db_path, queries_dir), every, systemd))
    return 0


@cli.group()
def queries():
    """List and validate the saved queries (queries/*.toml)."""


@queries.command("list")
@location_options
@verbosity_options
def queries_list(db_path, queries_dir):
    """Show each saved query with its schedule and last run.

    \b
        harvest queries list
    """
    settings = _settings(db_path, queries_dir)
    found, problems = load_queries(settings.queries)
    states = _read(settings, report.query_states, {})
    rows = [("NAME", "SOURCE", "SCHEDULE", "ENABLED", "LAST SUCCESS", "LAST STATUS", "THROUGH")]
    for query in found:
        state = states.get(query.name, {})
        rows.append((query.name, query.source, query.schedule, "yes" if query.enabled else "no",
                     state.get("last_success_at") or "never", state.get("last_status") or "-",
                     state.get("collected_through") or "-"))
    print_table(rows)
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    return 2 if problems else 0


@queries.command("check")
@click.option("--online", is_flag=True,
              help="Also ask PubMed to run each term once and report its warnings.")
@location_options
@verbosity_options
def queries_check(online, db_path, queries_dir):
    """Validate every saved-query file; exit 2 if any is invalid.

    \b
        harvest queries check
        harvest queries check --online     # also report phrases PubMed does not know
    """
    settings = _settings(db_path, queries_dir)
    found, problems = load_queries(settings.queries)
    for query in found:
        click.echo(f"ok     {query.path}  ({query.name}, {query.source}, {query.schedule})")
    for problem in problems:
        click.echo(f"error  {problem}")
    warnings = _read(settings, report.last_warnings, {})
    if online and found:
        email = settings.require_email()
        http = _http_client(settings, email)
        eutils = Eutils(http, settings.eutils_url, email, settings.ncbi_api_key)
        today = dt.datetime.now(dt.timezone.utc).date()
        for query in (q for q in found if q.source == "pubmed"):
            result = eutils.esearch(query.term, "edat", query.first_date(today), today, retmax=0)
            warnings[query.name] = result.warnings
        http.close()
    for name, items in sorted(warnings.items()):
        for warning in items:
            click.echo(f"warn   {name}: {warning}")
    if problems:
        click.echo(f"{len(problems)} of {len(found) + len(problems)} query files are invalid",
                   err=True)
        return 2
    return 0


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--runs", "n_runs", default=5, show_default=True, help="How many recent runs.")
@location_options
@verbosity_options
def status(as_json, n_runs, db_path, queries_dir):
    """Show the last runs and each saved query's state.

    \b
        harvest status
        harvest status --json | jq '.queries[] | select(.last_status == "failed")'
    """
    settings = _settings(db_path, queries_dir)
    if not settings.db.exists():
        raise ConfigError(f"{settings.db}: no database yet; run `harvest run` first")
    conn = db.connect(settings.db, create=False)
    try:
        status = report.status_report(conn, n_runs)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return 0
    click.echo(f"{status['articles']} articles in {settings.db}")
    click.echo("")
    rows = [("RUN", "STARTED", "FINISHED", "STATUS", "NEW", "CHANGED", "ERRORS")]
    for r in status["runs"]:
        rows.append((str(r["id"]), r["started_at"], r["finished_at"] or "-", r["status"],
                     str(r["new"]), str(r["updated"]), str(r["errors"])))
    print_table(rows)
    click.echo("")
    rows = [("QUERY", "ARTICLES", "NEW 7D", "OPEN", "COI DECLARED", "WAITING", "LAST RUN",
             "LAST SUCCESS", "LAST STATUS", "THROUGH", "MISSING")]
    for q in status["queries"]:
        rows.append((q["query"], str(q["articles"]), str(q["new_this_week"]),
                     share(q["oa_open"], q["oa_checked"]),
                     share(q["coi_declared"], q["coi_statements"]), str(q["waiting_for_check"]),
                     q["last_attempt_at"] or "never", q["last_success_at"] or "never",
                     q["last_status"] or "-", q["collected_through"] or "-", str(q["missing"])))
    print_table(rows)
    for q in status["queries"]:
        if q["last_error"]:
            click.echo(f"{q['query']}: last error: {q['last_error']}")
    if status["notices"]:
        click.echo(f"articles with notices: {notices.describe(status['notices'])} (the notices "
                   "column of `articles`)")
    if status["set_aside"]:
        counts = ", ".join(f"{s['records']} {s['source']}" for s in status["set_aside"])
        click.echo(f"records set aside (could not be read or stored; tried again when they "
                   f"change): {counts}; see table rejected_record")
    return 0


@enrich.command("coi")
@click.option("--limit", type=click.IntRange(min=1),
              help="Look at most at this many articles. [env: HARVEST_ENRICH_LIMIT; default: 1000]")
@location_options
@verbosity_options
def enrich_coi_command(limit, db_path, queries_dir):
    """Find and classify conflict-of-interest statements (PubMed, Europe PMC full text).

    \b
        harvest enrich coi                # new articles, not-found re-checks, changed ones
    """
    settings = _settings(db_path, queries_dir)
    if limit:
        settings = replace(settings, enrich_limit=limit)
    with open_store(settings, settings.email) as (conn, http):
        return _enrich_coi(conn, http, settings)


@cli.group()
def coi():
    """Conflict-of-interest tools."""


@coi.command("classify")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-", required=False)
@verbosity_options
def coi_classify(source):
    """Classify statements: one per line, JSON {"text": ..., "authors": [...]} or plain text.

    Writes one JSON object per line: status, organizations, authors_declaring, evidence.
    A bad line gets an error on stderr naming it; the others are still classified (exit 2).

    \b
        harvest coi classify statements.jsonl
        echo "A.B. is a consultant for Roche." | harvest coi classify
    """
    bad = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        text, authors = line.strip(), None
        if text.startswith("{"):
            try:
                item = json.loads(text)
                text, authors = item["text"], item.get("authors")
                if not isinstance(text, str) or not (authors is None or (
                        isinstance(authors, list) and all(isinstance(a, str) for a in authors))):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                click.echo(f"Error: line {number}: not a JSON object with a string \"text\" "
                           "and an optional list of author names \"authors\"", err=True)
                bad += 1
                continue
        result = classify(text, authors)
        click.echo(json.dumps({"status": result.status, "organizations": result.organizations,
                               "authors_declaring": result.authors_declaring,
                               "evidence": result.evidence}, ensure_ascii=False))
    return 2 if bad else 0


@coi.command("explain")
@click.argument("ident", metavar="PMID|DOI")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for the pipeline.")
@location_options
@verbosity_options
def coi_explain(ident, as_json, db_path, queries_dir):
    """Show why an article's COI line says what it says: the statement, where it was read, the
    sentence that decided its status, each company with its clause, the authors declaring.

    \b
        harvest coi explain 41212658
        harvest coi explain 10.1016/j.ccell.2025.10.007 --json
    """
    settings = _settings(db_path, queries_dir)
    conn = _open_existing(settings)
    try:
        article = articles.find_by_id(conn, ident)
        if article is None:
            raise ConfigError(f"no article with PMID or DOI {ident!r} in {settings.db}; "
                              "`harvest search` finds articles by their words")
        report = explain_coi(conn, article)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    click.echo(explanation(report))
    return 0


def _since_option(default: str | None, help: str):
    return click.option("--since", default=default, show_default=bool(default),
                        metavar="7d|DATE", help=help)


def output_options(command):
    """--query (repeatable) and -o, shared by digest and export."""
    command = click.option("-o", "--output", type=click.Path(path_type=Path),
                           help="Write to this file (it appears only once complete) instead "
                                "of stdout.")(command)
    command = click.option("--query", "names", multiple=True, metavar="NAME",
                           help="Only articles matched by this saved query (repeatable).")(
                               command)
    return command


@cli.command()
@_since_option("7d", "Articles first stored since this many days (7d) or this date "
                     "(YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md",
              show_default=True, help="Markdown, or one self-contained HTML page.")
@output_options
@location_options
@verbosity_options
def digest(since, fmt, names, output, db_path, queries_dir):
    """Write the editors' digest: new articles by saved query, newest first.

    \b
        harvest digest                                # last 7 days, Markdown on stdout
        harvest digest --since 2025-11-01 --format html -o digest.html
        harvest digest --query her2-immune --since 14d
    """
    now = dt.datetime.now(dt.timezone.utc)
    since_iso = _parse_since(since, now)
    conn = _open_existing(_settings(db_path, queries_dir))
    try:
        _check_query_names(conn, names)
        through = latest_article_id(conn)
        items = load_items(conn, through=through, since=since_iso, queries=names)
        changed = load_changed(conn, since=last_digest_at(conn) or since_iso,
                               covered=covered_through(conn), queries=names)
        research, left_out = digest_module.new_research(items)
        groups = digest_module.group_by_query(research, names)
        render = digest_module.render_html if fmt == "html" else digest_module.render_markdown
        text = render(groups, since_iso, db.now_iso(now), changed=changed, left_out=left_out)
        _deliver(conn, output, lambda stream: stream.write(text), kind="digest", fmt=fmt,
                 article_ids=[i.id for i in items], through=through)
    finally:
        conn.close()
    log.info("digest: %d articles", len(items))
    return 0


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl",
              show_default=True, help="JSON Lines, CSV, RIS or BibTeX.")
@_since_option(None, "Only articles first stored since this date (YYYY-MM-DD) or this many "
                     "days (7d).")
@click.option("--consumer", metavar="NAME",
              help="Export exactly the articles not yet delivered to NAME, and record them as "
                   "delivered once the output is complete.")
@output_options
@location_options
@verbosity_options
def export(fmt, since, consumer, names, output, db_path, queries_dir):
    """Export articles for the editorial pipeline or a reference manager.

    \b
        harvest export --format jsonl --consumer newsletter -o out/new.jsonl
        harvest export --format ris --since 2025-11-01 -o zotero.ris
        harvest export --format csv --query her2-immune > her2.csv
    """
    if consumer is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", consumer):
        raise ConfigError(f"--consumer: {consumer!r}: use letters, digits, '.', '_' and '-'")
    since_iso = _parse_since(since, dt.datetime.now(dt.timezone.utc)) if since else ""
    conn = _open_existing(_settings(db_path, queries_dir))
    try:
        _check_query_names(conn, names)
        through = latest_article_id(conn)
        items = load_items(conn, through=through, since=since_iso, queries=names,
                           consumer=consumer)
        again = load_redeliveries(conn, consumer, names) if consumer else []
        items += again
        _deliver(conn, output, lambda stream: write_export(fmt, items, stream), kind="export",
                 fmt=fmt, article_ids=[i.id for i in items if not i.redelivery],
                 through=through, consumer=consumer,
                 notice_ids=[n for i in again for n in i.redelivery_notices])
    finally:
        conn.close()
    log.info("export: %d articles%s", len(items), f" for {consumer}" if consumer else "")
    return 0


@cli.command()
@click.argument("text")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="At most this many results.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of results.")
@location_options
@verbosity_options
def search(text, limit, as_json, db_path, queries_dir):
    """Search titles, abstracts and COI statements (SQLite FTS5 syntax), best first.

    \b
        harvest search trastuzumab
        harvest search '"HER2-positive" AND (resistance OR relapse)' --limit 5
        harvest search 'Roche NOT Genentech' --json
    """
    conn = _open_existing(_settings(db_path, queries_dir))
    try:
        hits = search_articles(conn, text, limit)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps([hit.__dict__ for hit in hits], indent=2, ensure_ascii=False))
        return 0
    for hit in hits:
        ident = f"PMID {hit.pmid}" if hit.pmid else f"DOI {hit.doi}"
        click.echo(f"{ident}  {hit.published or '-'}  {hit.title}")
        click.echo(f"    {hit.matched_in}: {hit.snippet}")
    if not hits:
        log.info("no match for %r", text)
    return 0


def _parse_since(value: str, now: dt.datetime) -> str:
    try:
        return parse_since(value, now)
    except ValueError as e:
        raise ConfigError(f"--since: {e}") from None


def _open_existing(settings: Settings):
    """The database, upgraded to this version's schema; an error if there is none yet."""
    if not settings.db.exists():
        raise ConfigError(f"{settings.db}: no database yet; run `harvest run` first")
    return db.connect(settings.db)


def _check_query_names(conn, names: tuple[str, ...]) -> None:
    known = known_queries(conn)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"no saved query named {unknown[0]!r} in the database (known: "
                          f"{', '.join(sorted(known)) or 'none'}); see `harvest status`")


def _deliver(conn, output: Path | None, write, **record) -> None:
    """Write the output, then publish and record it; an interrupted output leaves nothing."""
    destination = Destination(output)
    try:
        write(destination.stream)
        save_output(conn, destination, **record)
    except OSError as e:
        destination.discard()
        raise ConfigError(f"{output or 'stdout'}: cannot write the output ({e.strerror}); "
                          "nothing was recorded") from None
    except BaseException:
        destination.discard()
        raise


# --- helpers ---------------------------------------------------------------------------------

def _settings(db_path: Path | None, queries_dir: Path | None) -> Settings:
    return load_settings(db=db_path, queries=queries_dir)


def _http_client(settings: Settings, email: str, deadline: float | None = None) -> HttpClient:
    rates: dict[str, float] = {}
    for url, rate in ((settings.eutils_url, settings.ncbi_rate),
                      (settings.unpaywall_url, UNPAYWALL_RATE),
                      (settings.europepmc_url, EUROPEPMC_RATE),
                      (settings.crossref_url, CROSSREF_RATE)):
        # Services behind one host (a local mirror or proxy) share the first one's limit,
        # which HARVEST_EUTILS_RATE sets.
        rates.setdefault(host_of(url), rate)
    return HttpClient(contact=email, secrets=settings.secrets(), timeout=settings.timeout,
                      retries=settings.retries, backoff=settings.backoff, deadline=deadline,
                      max_bytes=settings.max_response_mb * 2**20, rates=rates)


def _select(queries: list[Query], names: tuple[str, ...], run_all: bool) -> list[Query]:
    if run_all and not names:
        return [q for q in queries if q.enabled]
    by_name = {q.name: q for q in queries}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise ConfigError(f"no valid saved query named {unknown[0]!r} (known: {known}); "
                          "see `harvest queries list`")
    return [by_name[n] for n in dict.fromkeys(names)]


def _command_line() -> str:
    return " ".join(["harvest", *sys.argv[1:]])


def _read(settings: Settings, reader: Callable, default):
    """What `reader(conn)` reads from the database, or `default` when there is none yet."""
    if not settings.db.exists():
        return default
    conn = db.connect(settings.db, create=False)
    try:
        return reader(conn)
    finally:
        conn.close()


def main() -> None:
    """Entry point: one line per error, no traceback unless -v."""
    state = Verbosity()
    try:
        code = cli.main(prog_name="harvest", standalone_mode=False, obj=state)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except HarvestError as e:
        if state.verbose:
            traceback.print_exc()
        click.echo(f"Error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:  # a bug: say so in one line, keep the traceback for -v
        if state.verbose:
            traceback.print_exc()
        click.echo(f"Error: unexpected {type(e).__name__}: {e} (run with -v for the traceback)",
                   err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
