"""Bench: parse + store PubMed efetch XML, against Bio.Entrez.read parsing the same bytes.

    python bench/parse_store.py                 # 1k, 10k and 100k records
    python bench/parse_store.py --sizes 1000 5000
    python bench/parse_store.py --from-file ../shared/samples/pubmed-efetch/sotawhat_efetch_5records_2026.xml

The input is built from the hand-written fixtures in tests/fixtures/pubmed/ (every PubmedArticle,
each given a fresh PMID and a ReferenceList of REFERENCES cited works, as real 2024+ research
articles have), written as one efetch-shaped file per size. `--from-file` builds it from any
efetch response instead (its records repeated with fresh PMIDs), e.g. a real one. Each measurement runs in its own
process so that its peak resident memory (ru_maxrss) is its own:

- harvester: stream the file in 64 KiB chunks through parse_efetch and store every record in a
  fresh SQLite file, one transaction per 500 records (the efetch batch), as `harvest run` does;
- Bio.Entrez.read: parse the same file (no storing).

Prints records/s (best of --repeat alternating runs), peak memory, and the ratio
harvester/biopython. Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "pubmed"
REFERENCES = 40
DOCTYPE = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
           '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n')
# Shaped like the references of real 2024+ efetch output: a full citation line with authors,
# title, journal and a DOI link, then doi/pubmed/pmc ids (about 420 bytes each).
REFERENCE = ('<Reference><Citation>Author{n} A, Writer B, Scholar C, Reader D, Editor E, '
             'Reviewer F, et al. A multicentre study of tumour immunity and outcome number {n} '
             'in patients treated with checkpoint inhibitors. J Cancer Res. 20{y:02d};{v}:{p}'
             '&#x2013;{q}. https://doi.org/10.1000/jcr.20{y:02d}.{n} .</Citation><ArticleIdList>'
             '<ArticleId IdType="doi">10.1000/jcr.20{y:02d}.{n}</ArticleId><ArticleId '
             'IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="pmc">{pmc}</ArticleId>'
             '</ArticleIdList></Reference>')


def templates(source: Path | None = None) -> list[str]:
    articles = []
    for path in [source] if source else sorted(FIXTURES.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        articles += re.findall(r"<PubmedArticle>.*?</PubmedArticle>", text, flags=re.S)
    return articles


def build(path: Path, count: int, source: Path | None = None) -> None:
    articles = templates(source)
    keep_references = source is not None
    references = "".join(REFERENCE.format(n=n, y=n % 25, v=n % 90 + 1, p=n * 3, q=n * 3 + 9,
                                          pmid=30000000 + n, pmc=8000000 + n)
                         for n in range(REFERENCES))
    reference_list = f"<ReferenceList>{references}</ReferenceList>"
    with path.open("w", encoding="utf-8") as out:
        out.write(DOCTYPE + "<PubmedArticleSet>")
        for i in range(count):
            article = articles[i % len(articles)]
            pmid = 50000000 + i
            article = re.sub(r'<PMID Version="1">\d+</PMID>', f'<PMID Version="1">{pmid}</PMID>',
                             article, count=1)
            article = re.sub(r'<ArticleId IdType="pubmed">\d+</ArticleId>',
                             f'<ArticleId IdType="pubmed">{pmid}</ArticleId>', article, count=1)
            if not keep_references:
                article = re.sub(r"<ReferenceList>.*?</ReferenceList>", "", article, flags=re.S)
                article = article.replace("</PubmedData>", reference_list + "</PubmedData>")
            out.write(article)
        out.write("</PubmedArticleSet>")


def measure_harvester(xml: Path) -> dict:
    from harvester import articles, db
    from harvester.sources.pubmed_xml import parse_efetch

    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Path(tmp) / "bench.db")
        start = time.perf_counter()
        count = 0
        with xml.open("rb") as f:
            chunks = iter(lambda: f.read(64 * 1024), b"")
            items = parse_efetch(chunks)
            done = False
            while not done:
                with db.transaction(conn):
                    writer = articles.PubmedWriter(conn, "2025-01-01T00:00:00Z")
                    for _ in range(500):
                        item = next(items, None)
                        if item is None:
                            done = True
                            break
                        writer.save(item)
                        count += 1
                    writer.flush()
        seconds = time.perf_counter() - start
        stored = conn.execute("SELECT count(*) FROM article").fetchone()[0]
        conn.close()
    assert stored == count
    return {"records": count, "seconds": seconds, "peak_mb": _peak_mb()}


def measure_biopython(xml: Path) -> dict:
    from Bio import Entrez

    start = time.perf_counter()
    with xml.open("rb") as f:
        parsed = Entrez.read(f)
    seconds = time.perf_counter() - start
    return {"records": len(parsed["PubmedArticle"]), "seconds": seconds, "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_child(kind: str, xml: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(xml)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--from-file", type=Path, metavar="EFETCH_XML",
                        help="build the input from this efetch file's records instead of the "
                             "fixtures (e.g. a real NCBI response), repeated to each size")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, xml = args.child
        measure = measure_harvester if kind == "harvester" else measure_biopython
        print(json.dumps(measure(Path(xml))))
        return

    source = args.from_file or f"tests/fixtures/pubmed with {REFERENCES} references per record"
    print(f"parse+store vs Bio.Entrez.read; records from {source}")
    print(f"{'records':>8} {'MB':>6} | {'harvester rec/s':>15} {'peak MB':>8} | "
          f"{'biopython rec/s':>15} {'peak MB':>8} | {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            xml = Path(tmp) / f"efetch_{size}.xml"
            build(xml, size, args.from_file)
            # Alternate the two, best of --repeat each: this machine's speed drifts by 30%.
            runs = [(run_child("harvester", xml), run_child("biopython", xml))
                    for _ in range(args.repeat)]
            ours = min((r[0] for r in runs), key=lambda m: m["seconds"])
            theirs = min((r[1] for r in runs), key=lambda m: m["seconds"])
            assert ours["records"] == theirs["records"] == size, (ours, theirs)
            ours_rate = size / ours["seconds"]
            theirs_rate = size / theirs["seconds"]
            print(f"{size:>8} {xml.stat().st_size / 2**20:>6.1f} | {ours_rate:>15,.0f} "
                  f"{ours['peak_mb']:>8.0f} | {theirs_rate:>15,.0f} {theirs['peak_mb']:>8.0f} | "
                  f"{ours_rate / theirs_rate:>5.1f}x", flush=True)


if __name__ == "__main__":
    main()
