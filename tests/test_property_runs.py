"""No poison (issue 13): random streams of PubMed, Crossref and feed records for overlapping
articles, applied across several `harvest run --all` with revisions, digests and consumer
exports in between, never corrupt the file, stop a run, or hide an article.

Each seed builds a pool of 20-32 articles. Every article is served by one to three sources
(PubMed efetch XML, Crossref works, two RSS feeds), each in its own shape and with its own
oddities: inline markup and entities, non-Latin text, one ~200 KB abstract, missing titles,
abstracts, DOIs and dates, impossible dates (2025-02-30), Crossref date parts that are strings
or null, DOIs in upper or mixed case, feed entries that carry no DOI until a later revision.
Sources see an article in different runs; between runs records are revised (a PubMed record
with a later DateRevised, which the mdat pass refetches; a Crossref work; a feed re-served).

After every step (a run, a digest, an export) the database must hold these properties:

1. `PRAGMA integrity_check` is ok.
2. Both FTS5 indexes pass `integrity-check`, plain and against their content tables (rank 1:
   SQLite 3.40's plain check does not compare an external-content index with its table).
3. Every article stored since the last digest or export is in `editorial_queue`.
4. A command exits 0 or 1 (a run) or 0 (digest, export), with no traceback and no
   "unexpected" error.
5. No `runs` or `run_queries` row is left `running`.
6. Across a consumer's exports each article is delivered exactly once: no PMID or DOI twice,
   and after an export every stored article has been delivered to that consumer.
7. One article per DOI (DOIs compared case-insensitively), which (6) relies on.

Seeded and reproducible: the seeds below, or others with HARVEST_PROPERTY_SEEDS="1,2,3". A
failure names the seed, the step, what was served before it, and how to run it again; with
HARVEST_PROPERTY_KEEP_GOING=1 a seed goes on after a failing step and reports every one.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import html
import json
import os
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import write_query
from tests.fake_crossref import crossref_work

SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
RERUN = "HARVEST_PROPERTY_SEEDS={seed} pytest tests/test_property_runs.py"
DB = Path("data/harvest.db")
CONSUMERS = ("newsletter", "pipeline")
FEEDS = ("inpress", "current")
PUBMED_TERM = "pm[tiab]"
HUGE = 200_000  # characters of the one huge abstract per seed
# Dates that cannot be stored as they are: 2025-02-30 (any source); a Crossref date part that
# is a string, or null in the middle ([[2025, null, 3]]).
ODD_DATES = ("impossible", "string", "null")
KEEP_GOING = "HARVEST_PROPERTY_KEEP_GOING"

WORDS = ("tumour", "HER2-low", "ERBB2", "immune", "evasion", "CD8", "T cells", "trastuzumab",
         "deruxtecan", "resistance", "single-cell", "atlas", "gastric", "breast", "lung",
         "adenocarcinoma", "organoids", "spatial", "clonal", "niche", "myeloid", "STING",
         "antigen", "presentation", "MHC-I", "relapse", "metastatic", "biopsy")
FOREIGN = ("Ελληνική μελέτη", "乳腺癌的免疫逃逸", "рак молочной железы", "سرطان الثدي",
           "유방암 면역", "ＨＥＲ２陽性", "naïve café Ünïcödé", "α-synuclein β-catenin γδ",
           "שחלות", "🧬 genome")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def seeds() -> list[int]:
    chosen = os.environ.get("HARVEST_PROPERTY_SEEDS", "").strip()
    if chosen:
        return [int(s) for s in chosen.split(",") if s.strip()]
    return list(SEEDS)


# --- text: segments rendered in each source's own markup ----------------------------------

Text = list  # [(kind, text)], kind "t" (plain) or an inline tag: "i", "sup", "sub"


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def gen_text(rng: random.Random, n_words: int) -> Text:
    """A title or an abstract: words, sometimes italic gene names, superscripts, '&' and '<',
    non-Latin phrases."""
    parts: Text = [("t", words(rng, n_words).capitalize())]
    if rng.random() < 0.4:
        parts += [("t", " of "), ("i", rng.choice(("ERBB2", "TP53", "KRAS", "Brca1")))]
    if rng.random() < 0.3:
        parts += [("t", " in CD8"), ("sup", "+"), ("t", " cells")]
    if rng.random() < 0.25:
        parts += [("t", " with H"), ("sub", "2"), ("t", "O")]
    if rng.random() < 0.3:
        parts += [("t", rng.choice((" & immunity", " (p < 0.05)", " > baseline",
                                    ' "quoted" & \'apostrophe\'')))]
    if rng.random() < 0.3:
        parts += [("t", " " + rng.choice(FOREIGN))]
    return parts


def huge_text(rng: random.Random) -> Text:
    sentences = []
    size = 0
    while size < HUGE:
        sentence = f"{words(rng, 14).capitalize()} {rng.choice(FOREIGN)}. "
        sentences.append(sentence)
        size += len(sentence)
    return [("t", "".join(sentences)), ("i", "ERBB2"), ("t", " ends here.")]


def as_html(parts: Text, charrefs: bool = False) -> str:
    """HTML/XML: text escaped (&amp; &lt; &gt;), inline tags kept; non-ASCII optionally as
    numeric character references."""
    out = []
    for kind, text in parts:
        escaped = html.escape(text, quote=False)
        if charrefs:
            escaped = escaped.encode("ascii", "xmlcharrefreplace").decode()
        out.append(escaped if kind == "t" else f"<{kind}>{escaped}</{kind}>")
    return "".join(out)


def doi_case(rng: random.Random, doi: str) -> str:
    """The DOI as a source writes it: lower, upper or mixed case."""
    style = rng.random()
    if style < 0.4:
        return doi
    if style < 0.7:
        return doi.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in doi)


# --- the pool of articles and what each source serves when --------------------------------

@dataclass
class Version:
    """What one source says about an article at one time."""
    title: Text | None
    abstract: Text | None
    has_doi: bool = True
    date: str = "ok"  # "ok", "missing", "impossible", and for Crossref "string", "null"
    coi: str | None = None


@dataclass
class Served:
    """One source's record of an article: the run it appears in and its versions by run."""
    first: int
    versions: dict[int, Version]
    matches: bool = True  # PubMed: the saved query's term finds it (else only by DOI)
    link: str = ""  # feeds

    def version_at(self, run: int) -> Version | None:
        current = None
        for at in sorted(self.versions):
            if at <= run:
                current = self.versions[at]
        return current


@dataclass
class Article:
    n: int
    doi: str | None
    pmid: int
    edat: dt.date
    pubmed: Served | None = None
    crossref: Served | None = None
    feeds: dict[str, Served] = field(default_factory=dict)


def gen_version(rng: random.Random, base_title: Text, base_abstract: Text | None,
                source: str, odd_dates: tuple[str, ...]) -> Version:
    title = base_title if rng.random() < 0.6 else gen_text(rng, rng.randint(3, 9))
    if rng.random() < 0.12:
        title = None
    abstract = base_abstract if rng.random() < 0.5 else gen_text(rng, rng.randint(15, 40))
    if rng.random() < 0.3:
        abstract = None
    dates = ["ok"] * 8 + ["missing"] + [d for d in odd_dates
                                       if source == "crossref" or d == "impossible"]
    coi = None
    if source == "pubmed" and rng.random() < 0.4:
        coi = rng.choice(("The authors declare no competing interests.",
                          "M.C. reports consulting fees from Roche and AstraZeneca.",
                          "Η συγγραφέας δηλώνει ότι δεν υπάρχει σύγκρουση συμφερόντων."))
    return Version(title, abstract, has_doi=rng.random() > 0.1, date=rng.choice(dates), coi=coi)


def gen_served(rng: random.Random, runs: int, base_title: Text, base_abstract: Text | None,
               source: str, odd_dates: tuple[str, ...]) -> Served:
    first = rng.randrange(runs)
    versions = {first: gen_version(rng, base_title, base_abstract, source, odd_dates)}
    for later in range(first + 1, runs):
        if rng.random() < 0.3:
            revised = gen_version(rng, base_title, base_abstract, source, odd_dates)
            if rng.random() < 0.3:  # the revision drops what the record had
                revised.abstract = None
            versions[later] = revised
    return Served(first, versions)


def gen_pool(rng: random.Random, seed: int, runs: int, today: dt.date,
             odd_dates: tuple[str, ...]) -> list[Article]:
    pool = []
    for n in range(rng.randint(20, 32)):
        doi = None if rng.random() < 0.08 else rng.choice((
            f"10.1016/j.ccell.2025.{seed % 100:02d}.{n:03d}",
            f"10.1038/s41586-025-{seed % 100:02d}{n:03d}-x",
            f"10.1200/JCO.24.{seed % 100:02d}{n:03d}"))
        article = Article(n, doi, 41_000_000 + n, today)
        base_title = gen_text(rng, rng.randint(3, 9))
        base_abstract = gen_text(rng, rng.randint(15, 40))
        kinds = [k for k in ("pubmed", "crossref", "feed") if rng.random() < 0.6] or \
            [rng.choice(("pubmed", "crossref", "feed"))]
        if doi is None:
            kinds = [k for k in kinds if k != "crossref"] or ["pubmed"]
        if "pubmed" in kinds:
            article.pubmed = gen_served(rng, runs, base_title, base_abstract, "pubmed",
                                        odd_dates)
            article.pubmed.matches = rng.random() < 0.8 or doi is None
            # Records entered before the first run are old by the second; later ones are new.
            article.edat = (today - dt.timedelta(days=rng.randint(3, 20))
                            if article.pubmed.first == 0 else today - dt.timedelta(days=1))
        if "crossref" in kinds:
            article.crossref = gen_served(rng, runs, base_title, base_abstract, "crossref",
                                          odd_dates)
        if "feed" in kinds:
            for name in rng.sample(FEEDS, rng.choice((1, 1, 2))):
                served = gen_served(rng, runs, base_title, base_abstract, "feed", odd_dates)
                served.link = (f"https://www.cell.com/cancer-cell/fulltext/"
                               f"S1535-6108(25){n:05d}-{FEEDS.index(name)}")
                if doi and rng.random() < 0.35:
                    # no DOI at first, then (maybe) in a later revision of the feed
                    gains = rng.choice([r for r in range(served.first + 1, runs)] + [None])
                    for at, version in served.versions.items():
                        version.has_doi = gains is not None and at >= gains
                    if gains is not None:
                        previous = served.version_at(gains)
                        served.versions[gains] = Version(previous.title, previous.abstract,
                                                         True, previous.date)
                article.feeds[name] = served
        pool.append(article)
    # One huge abstract per seed, in one of its sources.
    article = rng.choice(pool)
    served = article.pubmed or article.crossref or next(iter(article.feeds.values()))
    served.versions[served.first].abstract = huge_text(rng)
    return pool


def add_straggler(rng: random.Random, pool: list[Article], runs: int, seed: int,
                  today: dt.date) -> int:
    """A shape that random arrivals rarely make: a feed lists an article Crossref already has,
    without its DOI, as the only new record of run j; a digest or export follows; run j+1
    gives the entry its DOI (its row folds into Crossref's and is deleted), and new articles
    arrive after it in that run. Returns j."""
    j = rng.randint(1, runs - 3)
    for article in pool:
        sources = [article.pubmed, article.crossref, *article.feeds.values()]
        for served in filter(None, sources):
            moves = {j: j + 1}
            if served is article.crossref:  # Crossref runs before the feeds: nothing new there
                moves = {j: j + 2, j + 1: j + 2}
            for old, new in moves.items():
                if served.first == old:
                    version = served.versions.pop(old)
                    served.versions.setdefault(new, version)
                    served.first = new
                    served.versions = {at: v for at, v in served.versions.items() if at >= new}
    n = len(pool)
    doi = f"10.1016/j.ccell.2025.{seed % 100:02d}.{n:03d}"
    article = Article(n, doi, 41_000_000 + n, today)
    title, abstract = gen_text(rng, 6), gen_text(rng, 20)
    article.crossref = Served(0, {0: Version(title, abstract)})
    article.feeds["current"] = Served(
        j, {j: Version(title, None, has_doi=False), j + 1: Version(title, None)},
        link=f"https://www.cell.com/cancer-cell/fulltext/S1535-6108(25){n:05d}-9")
    pool.insert(0, article)  # first in its feed: its row folds before the new ones are stored
    return j


# --- rendering each source's record ---------------------------------------------------------

def article_date(kind: str, day: dt.date) -> str:
    """The electronic publication date: valid, missing, or one that does not exist."""
    if kind == "missing":
        return ""
    if kind == "impossible":
        return ('<ArticleDate DateType="Electronic"><Year>2025</Year><Month>02</Month>'
                "<Day>30</Day></ArticleDate>")
    return (f'<ArticleDate DateType="Electronic"><Year>{day.year}</Year>'
            f"<Month>{day.month:02d}</Month><Day>{day.day:02d}</Day></ArticleDate>")


def pubmed_xml(rng: random.Random, article: Article, version: Version, revised: dt.date) -> str:
    charrefs = rng.random() < 0.3
    doi = doi_case(rng, article.doi) if article.doi and version.has_doi else None
    title = (f"<ArticleTitle>{as_html(version.title, charrefs)}</ArticleTitle>"
             if version.title else "")
    abstract = (f"<Abstract><AbstractText>{as_html(version.abstract, charrefs)}</AbstractText>"
                "</Abstract>" if version.abstract else "")
    if version.date == "impossible":
        pub_date = "<PubDate><Year>2025</Year><Month>Feb</Month><Day>30</Day></PubDate>"
    elif version.date == "missing":
        pub_date = "<PubDate><MedlineDate>2025 Nov-Dec</MedlineDate></PubDate>"
    else:
        pub_date = (f"<PubDate><Year>{article.edat.year}</Year>"
                    f"<Month>{MONTHS[article.edat.month - 1]}</Month></PubDate>")
    edat = article.edat
    return (
        '<PubmedArticle><MedlineCitation Status="PubMed-not-MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{article.pmid}</PMID>'
        f"<DateRevised><Year>{revised.year}</Year><Month>{revised.month:02d}</Month>"
        f"<Day>{revised.day:02d}</Day></DateRevised>"
        '<Article PubModel="Print-Electronic"><Journal><ISSN IssnType="Electronic">1878-3686</ISSN>'
        '<JournalIssue CitedMedium="Internet"><Volume>43</Volume><Issue>11</Issue>'
        f"{pub_date}</JournalIssue><Title>Cancer cell</Title>"
        "<ISOAbbreviation>Cancer Cell</ISOAbbreviation></Journal>"
        f"{title}<Pagination><MedlinePgn>{article.n}-{article.n + 9}</MedlinePgn></Pagination>"
        + (f'<ELocationID EIdType="doi" ValidYN="Y">{doi}</ELocationID>' if doi else "")
        + f"{abstract}"
        '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Rossi</LastName>'
        "<ForeName>Maria Chiara</ForeName><Initials>MC</Initials><AffiliationInfo><Affiliation>"
        "Department of Oncology, University of Turin, Turin, Italy.</Affiliation>"
        '</AffiliationInfo></Author><Author ValidYN="Y"><LastName>Ōkubo</LastName>'
        "<ForeName>Ren</ForeName><Initials>R</Initials></Author></AuthorList>"
        "<Language>eng</Language><PublicationTypeList>"
        '<PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>'
        f"{article_date(version.date, edat)}</Article>"
        "<MedlineJournalInfo><Country>United States</Country>"
        "<MedlineTA>Cancer Cell</MedlineTA><NlmUniqueID>101130617</NlmUniqueID>"
        "<ISSNLinking>1535-6108</ISSNLinking></MedlineJournalInfo>"
        + (f"<CoiStatement>{html.escape(version.coi, quote=False)}</CoiStatement>"
           if version.coi else "")
        + "</MedlineCitation><PubmedData><History>"
        f'<PubMedPubDate PubStatus="entrez"><Year>{edat.year}</Year><Month>{edat.month}</Month>'
        f"<Day>{edat.day}</Day><Hour>5</Hour><Minute>21</Minute></PubMedPubDate></History>"
        "<PublicationStatus>aheadofprint</PublicationStatus><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{article.pmid}</ArticleId>'
        + (f'<ArticleId IdType="doi">{doi}</ArticleId>' if doi else "")
        + "</ArticleIdList></PubmedData></PubmedArticle>")


def crossref_date(kind: str, day: dt.date):
    return {"ok": {"date-parts": [[day.year, day.month, day.day]]},
            "missing": None,
            "impossible": {"date-parts": [[2025, 2, 30]]},
            "string": {"date-parts": [[str(day.year), day.month, day.day]]},
            "null": {"date-parts": [[day.year, None, day.day]]}}[kind]


def crossref_json(rng: random.Random, article: Article, version: Version, today: dt.date) -> dict:
    created = today - dt.timedelta(days=1)  # listed again by every run's window
    changes: dict = {
        "title": [as_html(version.title)] if version.title else rng.choice(([], [""], None)),
        "abstract": (f"<jats:p>{as_html(version.abstract)}</jats:p>" if version.abstract
                     else None),
        "published-online": crossref_date(version.date, created),
    }
    if version.date != "ok":
        changes["issued"] = crossref_date(version.date, created)
        changes["published-print"] = None
    if rng.random() < 0.2:
        changes["author"] = []
    if rng.random() < 0.15:
        changes["container-title"] = []
    work = crossref_work(doi_case(rng, article.doi), "", created)
    work.update(changes)
    return {k: v for k, v in work.items() if v is not None}


def feed_item(rng: random.Random, article: Article, served: Served, version: Version,
              today: dt.date) -> str:
    lines = ["<item>"]
    if version.title:
        lines.append(f"<title>{html.escape(as_html(version.title), quote=False)}</title>")
    lines.append(f"<link>{served.link}</link>")
    lines.append(f'<guid isPermaLink="true">{served.link}</guid>')
    if version.abstract:
        lines.append(f"<description><![CDATA[<p>{as_html(version.abstract)}</p>]]></description>")
    lines.append("<dc:creator>Mei Chen, Oluwaseun Bakare and Tomás Ruiz-Peña</dc:creator>")
    if version.date == "ok":
        published = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(10),
                                        dt.timezone.utc)
        lines.append(f"<pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate>")
    elif version.date == "impossible":
        lines.append("<pubDate>Sun, 30 Feb 2025 10:00:00 GMT</pubDate>")
    if article.doi and version.has_doi:
        doi = doi_case(rng, article.doi)
        lines.append(rng.choice((f"<prism:doi>{doi}</prism:doi>",
                                 f"<prism:doi>https://doi.org/{doi}</prism:doi>",
                                 f"<dc:identifier>doi:{doi}</dc:identifier>")))
    lines.append("<category>Article</category></item>")
    return "\n".join(lines)


def feed_body(items: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">\n<channel>\n'
            "<title>Cancer Cell: In Press</title><link>https://www.cell.com/cancer-cell</link>\n"
            "<description>Articles</description><prism:publicationName>Cancer Cell"
            "</prism:publicationName>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
            ).encode("utf-8")


# --- the properties ---------------------------------------------------------------------------

@dataclass
class Outputs:
    """What the test saw of the digests and exports so far."""
    # at the last digest/export: id -> first_seen_at of every article then stored
    snapshot: dict[int, str] | None = None
    created_at: str | None = None
    last_run: int = 0  # the last run before it
    exported: dict[str, list[dict]] = field(
        default_factory=lambda: {c: [] for c in CONSUMERS})


def check_command(result, *, run: bool) -> list[str]:
    problems = []
    allowed = (0, 1) if run else (0,)
    if result.exit_code not in allowed:
        problems.append(f"exit code {result.exit_code}, expected {allowed}")
    for text in ("Traceback", "unexpected"):
        lines = [line for line in result.err.splitlines() if text in line]
        if lines:
            problems.append(f"{text!r} in the output: {' | '.join(lines)[:600]}")
    return problems


def check_database(outputs: Outputs) -> list[str]:
    problems = []
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems.append(f"PRAGMA integrity_check: {result[:5]}")
        for table in ("article_fts", "coi_fts"):
            for rank, what in ((None, "integrity-check"),
                               (1, "integrity-check against its content table")):
                sql = (f"INSERT INTO {table}({table}) VALUES('integrity-check')" if rank is None
                       else f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")
                try:
                    conn.execute(sql)
                except sqlite3.DatabaseError as e:
                    problems.append(f"{table} {what}: {e}")
                finally:
                    conn.rollback()
        if any(p.startswith("article_fts") for p in problems):
            problems.append(f"article_fts out of step with article for {fts_strays(conn)}")
        running = [dict(r) for r in conn.execute(
            "SELECT 'runs' AS tbl, id AS run_id, NULL AS query FROM runs WHERE status = 'running' "
            "UNION ALL SELECT 'run_queries', run_id, query FROM run_queries "
            "WHERE status = 'running'")]
        if running:
            problems.append(f"ledger rows left 'running': {running}")
        problems += check_queue(conn, outputs)
        dupes = conn.execute(
            "SELECT lower(doi) AS doi, group_concat(id) AS ids FROM article WHERE doi IS NOT NULL "
            "GROUP BY lower(doi) HAVING count(*) > 1").fetchall()
        if dupes:
            problems.append("one DOI, several articles: "
                            + "; ".join(f"{d['doi']} (ids {d['ids']})" for d in dupes))
    finally:
        conn.close()
    problems += check_exported_once(outputs)
    return problems


def fts_strays(conn: sqlite3.Connection) -> str:
    """Which articles the title/abstract index holds otherwise than they are stored: the
    index's terms compared with those of an index built afresh from the article table."""
    conn.execute("CREATE VIRTUAL TABLE temp.fresh_fts USING fts5(title, abstract, "
                 "tokenize='porter unicode61')")
    conn.execute("INSERT INTO temp.fresh_fts(rowid, title, abstract) "
                 "SELECT id, title, abstract FROM article")
    conn.execute("CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab(temp, fresh_fts, "
                 "instance)")
    conn.execute("CREATE VIRTUAL TABLE temp.held_terms USING fts5vocab(main, article_fts, "
                 "instance)")
    ids = [r[0] for r in conn.execute(
        "SELECT DISTINCT doc FROM (SELECT * FROM (SELECT doc, term, col, offset FROM held_terms "
        "EXCEPT SELECT doc, term, col, offset FROM fresh_terms) UNION ALL SELECT * FROM "
        "(SELECT doc, term, col, offset FROM fresh_terms EXCEPT SELECT doc, term, col, offset "
        "FROM held_terms)) ORDER BY doc")]
    found = []
    for i in ids:
        row = conn.execute("SELECT pmid, doi, metadata_source, title IS NULL, abstract IS NULL "
                           "FROM article WHERE id = ?", (i,)).fetchone()
        found.append(f"id {i} " + (f"(pmid {row[0]}, doi {row[1]}, from {row[2]}"
                                   f"{', no title' if row[3] else ''}"
                                   f"{', no abstract' if row[4] else ''})"
                                   if row else "(no such article)"))
    for name in ("held_terms", "fresh_terms", "fresh_fts"):
        conn.execute(f"DROP TABLE temp.{name}")
    conn.commit()  # only temp tables were written
    return ", ".join(found) or "no article (the index itself is damaged)"


def check_queue(conn: sqlite3.Connection, outputs: Outputs) -> list[str]:
    """Every article stored since the last digest/export is in editorial_queue. Stored since:
    a row the output never saw (an id it did not hold), first seen after the output was made
    or later than the row the output saw under that id, or first matched by a run after the
    output (so a new article that took the id of one deleted since is caught too)."""
    articles = conn.execute(
        "SELECT a.id, a.pmid, a.doi, a.title, a.first_seen_at, "
        "(SELECT min(run_id) FROM query_match WHERE article_id = a.id) AS first_run "
        "FROM article a").fetchall()
    queue = collections.Counter(
        tuple(r) for r in conn.execute(
            "SELECT pmid, doi, title, first_seen_at FROM editorial_queue"))
    missing = []
    for a in articles:
        if outputs.snapshot is not None:
            before = outputs.snapshot.get(a["id"])
            new = (before is None or a["first_seen_at"] > outputs.created_at
                   or a["first_seen_at"] > before
                   or (a["first_run"] or 0) > outputs.last_run)
            if not new:
                continue
        key = (a["pmid"], a["doi"], a["title"], a["first_seen_at"])
        if queue[key] > 0:
            queue[key] -= 1
        else:
            missing.append(f"id {a['id']} (pmid {a['pmid']}, doi {a['doi']}, first seen "
                           f"{a['first_seen_at']})")
    if missing:
        return [f"stored since the last output ({outputs.created_at}) but not in "
                f"editorial_queue: {', '.join(missing)}"]
    return []


def check_exported_once(outputs: Outputs) -> list[str]:
    problems = []
    for consumer, records in outputs.exported.items():
        for key in ("pmid", "doi"):
            counts = collections.Counter(r[key] for r in records if r[key] is not None)
            twice = sorted(str(k) for k, n in counts.items() if n > 1)
            if twice:
                problems.append(f"consumer {consumer}: {key} delivered more than once: "
                                f"{', '.join(twice)}")
    return problems


def check_delivered(consumer: str) -> list[str]:
    """Right after an export for `consumer`: every stored article has been delivered to it."""
    conn = sqlite3.connect(DB)
    try:
        undelivered = [r for r in conn.execute(
            "SELECT id, pmid, doi FROM article WHERE id NOT IN "
            "(SELECT article_id FROM delivery WHERE consumer = ?)", (consumer,))]
    finally:
        conn.close()
    if undelivered:
        return [f"consumer {consumer}: stored but never delivered: {undelivered}"]
    return []


def take_snapshot(outputs: Outputs) -> None:
    conn = sqlite3.connect(DB)
    try:
        outputs.snapshot = {r[0]: r[1] for r in conn.execute(
            "SELECT id, first_seen_at FROM article")}
        outputs.last_run = conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
        outputs.created_at = conn.execute(
            "SELECT created_at FROM outputs ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()


# --- the scenario -----------------------------------------------------------------------------

class Scenario:
    def __init__(self, seed: int, workdir: Path, harvest, fake, crossref, feeds):
        self.seed = seed
        self.rng = random.Random(seed)
        self.workdir = workdir
        self.harvest = harvest
        self.fake, self.crossref, self.feeds = fake, crossref, feeds
        self.today = dt.datetime.now(dt.timezone.utc).date()
        self.runs = self.rng.randint(4, 6)
        # Swarm testing: each seed allows some kinds of bad date and not others, so that one
        # kind of failure does not hide the rest on every seed.
        self.odd_dates = tuple(d for d in ODD_DATES if self.rng.random() < 0.5)
        self.pool = gen_pool(self.rng, seed, self.runs, self.today, self.odd_dates)
        self.straggler = (add_straggler(self.rng, self.pool, self.runs, seed, self.today)
                          if self.rng.random() < 0.5 else None)
        self.outputs = Outputs()
        self.served_feeds: dict[str, bytes] = {}
        self.step = 0
        self.events: list[str] = []  # what was served since the last step
        self.failures: list[str] = []  # with HARVEST_PROPERTY_KEEP_GOING set

    def write_queries(self) -> None:
        start = self.today - dt.timedelta(days=30)
        folder = self.workdir / "queries"
        write_query(folder, "pm", term=PUBMED_TERM, start=start.isoformat())
        write_query(folder, "cc", source="crossref", issn="1535-6108", start=start.isoformat())
        write_query(folder, "feed-inpress", source="feed", urls=[self.feeds.url("inpress")],
                    start=start.isoformat())
        write_query(folder, "feed-current", source="feed", urls=[self.feeds.url("current")],
                    start=start.isoformat())

    def serve(self, run: int) -> None:
        """What each source holds from this run on."""
        for a in self.pool:
            if a.pubmed and run in a.pubmed.versions:
                revised = a.edat if run == a.pubmed.first else self.today
                xml = pubmed_xml(self.rng, a, a.pubmed.versions[run], revised)
                self.fake.add(xml, terms={PUBMED_TERM} if a.pubmed.matches else set())
                self.events.append(f"pubmed {a.pmid} "
                                   f"{'new' if run == a.pubmed.first else 'revised'}"
                                   f" ({describe(a.pubmed.versions[run])})")
            if a.crossref and run in a.crossref.versions:
                self.crossref.add(crossref_json(self.rng, a, a.crossref.versions[run], self.today))
                self.events.append(f"crossref {a.doi} "
                                   f"{'new' if run == a.crossref.first else 'revised'}"
                                   f" ({describe(a.crossref.versions[run])})")
        for name in FEEDS:
            items = []
            for a in self.pool:
                served = a.feeds.get(name)
                version = served.version_at(run) if served else None
                if version is not None:
                    items.append(feed_item(self.rng, a, served, version, self.today))
                    if run in served.versions:
                        self.events.append(f"feed {name} item {a.n} (doi {a.doi}) "
                                           f"{'new' if run == served.first else 'revised'} "
                                           f"({describe(version)})")
            body = feed_body(items)
            if self.served_feeds.get(name) != body:
                self.feeds.serve(name, body=body, etag=f'"{self.seed}-{run}"')
                self.served_feeds[name] = body

    def verify(self, what: str, problems: list[str]) -> None:
        self.step += 1
        events, self.events = self.events, []
        if not problems:
            return
        served = "\n    ".join(events) or "(nothing new served)"
        report = (f"seed {self.seed}, step {self.step} ({what}; bad dates this seed: "
                  f"{', '.join(self.odd_dates) or 'none'}):\n  - " + "\n  - ".join(problems)
                  + f"\n  served before this step:\n    {served}")
        if os.environ.get(KEEP_GOING):
            self.failures.append(report)
            return
        pytest.fail(f"{report}\n  rerun: {RERUN.format(seed=self.seed)}", pytrace=False)

    def run(self, number: int) -> None:
        result = self.harvest("run", "--all")
        self.verify(f"harvest run --all, run {number + 1} of {self.runs}",
                    check_command(result, run=True) + check_database(self.outputs))

    def digest(self, number: int) -> None:
        path = self.workdir / f"digest-{number}.md"
        result = self.harvest("digest", "--since", "30d", "-o", str(path))
        problems = check_command(result, run=False)
        if not problems:
            take_snapshot(self.outputs)
        self.verify(f"harvest digest after run {number + 1}", problems
                    + check_database(self.outputs))

    def export(self, consumer: str, number: int) -> None:
        path = self.workdir / f"export-{consumer}-{number}.jsonl"
        result = self.harvest("export", "--consumer", consumer, "--format", "jsonl",
                              "-o", str(path))
        problems = check_command(result, run=False)
        if not problems:
            take_snapshot(self.outputs)
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                       if line.strip()]
            self.outputs.exported[consumer] += records
            problems += check_delivered(consumer)
        self.verify(f"harvest export --consumer {consumer} "
                    + (f"after run {number + 1}" if number < self.runs else "at the end"),
                    problems + check_database(self.outputs))

    def play(self) -> None:
        self.write_queries()
        outputs_so_far = 0
        for number in range(self.runs):
            self.serve(number)
            self.run(number)
            if number == self.runs - 1:
                break
            if self.rng.random() < 0.4 or number == self.straggler:
                self.digest(number)
                outputs_so_far += 1
            for consumer in CONSUMERS:
                if self.rng.random() < 0.4 or (number == 1 and outputs_so_far == 0):
                    self.export(consumer, number)
                    outputs_so_far += 1
        for consumer in CONSUMERS:
            self.export(consumer, self.runs)
        if self.failures:
            pytest.fail("\n".join(self.failures) + f"\n  rerun: {RERUN.format(seed=self.seed)}",
                        pytrace=False)


def describe(version: Version) -> str:
    parts = []
    if version.title is None:
        parts.append("no title")
    if version.abstract is None:
        parts.append("no abstract")
    elif sum(len(t) for _, t in version.abstract) > 10_000:
        parts.append("huge abstract")
    if not version.has_doi:
        parts.append("no DOI")
    if version.date != "ok":
        parts.append(f"date {version.date}")
    if version.coi:
        parts.append("COI statement")
    return ", ".join(parts) or "complete"


@pytest.mark.parametrize("seed", seeds())
def test_random_runs_never_poison_the_database(seed, workdir, harvest, fake, oa, crossref,
                                               feeds):
    Scenario(seed, workdir, harvest, fake, crossref, feeds).play()
