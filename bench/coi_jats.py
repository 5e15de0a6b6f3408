"""COI retrieval from real JATS full texts: is every statement found, and nothing taken from
an article that has none?

The articles are listed in bench/coi/jats_manifest.jsonl (publisher, the repository, path and
commit the XML comes from, and the statement a person found in it). The XML itself is not in
this repository: each file is read back with `git --git-dir=MIRROR show COMMIT:PATH` from a
snapshot of its repository (the record's "mirror", or --mirrors DIR/<owner>+<name>/repo).
Files that cannot be read are counted and named, never guessed.

    python bench/coi_jats.py                     # this version against 4932716's extract_coi

Found: the text found holds every sentence of the expected statement (whitespace and case
aside); partial: some of them; missed: none. False find: text taken from an article without
a statement. The baseline is the retrieval as it was before issue #12 (commit 4932716), run on
the same files in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from harness import Row, print_table, ratio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harvester.enrich.coi_jats import JatsError, find_coi  # noqa: E402

MANIFEST = ROOT / "bench" / "coi" / "jats_manifest.jsonl"
BASELINE_COMMIT = "4932716"
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def read_xml(record: dict, mirrors: Path | None) -> bytes | None:
    source = record["source"]
    candidates = [record.get("mirror")]
    if mirrors:
        candidates.append(str(mirrors / source["repo"].replace("/", "+") / "repo"))
    for git_dir in filter(None, candidates):
        for rev in (source.get("commit"), "HEAD"):
            if not rev:
                continue
            done = subprocess.run(["git", "--git-dir", git_dir, "show", f"{rev}:{source['path']}"],
                                  capture_output=True)
            if done.returncode == 0:
                return done.stdout
    return None


def baseline_extractor():
    """extract_coi as it was at BASELINE_COMMIT, loaded from git into a module of its own."""
    text = subprocess.run(["git", "-C", str(ROOT), "show",
                           f"{BASELINE_COMMIT}:harvester/enrich/coi_jats.py"],
                          capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "coi_jats_baseline.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("coi_jats_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract_coi


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


# The statement as a person copied it may start with its heading; harvester leaves headings out.
HEADING = re.compile(r"(?i)^\s*(?:declarations?\s+of\s+(?:competing\s+)?interests?|(?:potential\s+)?"
                     r"(?:competing|conflicting)\s+(?:financial\s+)?interests?(?:\s+statement)?"
                     r"|(?:potential\s+)?conflicts?\s+of\s+interests?(?:\s+statement)?"
                     r"|(?:financial\s+)?disclosures?|dualit(?:y|ies)\s+of\s+interests?)"
                     r"\s*(?:[:.]\s*|$)")


def verdict(expected: str | None, found: str | None) -> str:
    if expected is None:
        return "false find" if found else "right (none)"
    if not found:
        return "missed"
    got = _norm(found)
    parts = [HEADING.sub("", part) for part in expected.split("\n")]
    sentences = [_norm(s) for part in parts for s in SENTENCE.split(part) if s.strip()]
    hits = sum(s in got for s in sentences)
    return "found" if hits == len(sentences) else "partial" if hits else "missed"


def measure(manifest: Path, mirrors: Path | None) -> tuple[list[Row], list[str]]:
    records = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    old = baseline_extractor()
    tally = {"new": defaultdict(lambda: defaultdict(int)),
             "old": defaultdict(lambda: defaultdict(int))}
    unreadable, misses, seconds = [], [], 0.0
    for record in records:
        xml = read_xml(record, mirrors)
        if xml is None:
            unreadable.append(record["id"])
            continue
        expected = record["statement"] if record["has_statement"] else None
        for name, extract in (("new", lambda x: (find_coi(x) or None) and find_coi(x).text),
                              ("old", old)):
            start = time.perf_counter()
            try:
                found = extract(xml)
            except (JatsError, ValueError):
                found = None
            if name == "new":
                seconds += time.perf_counter() - start
            result = verdict(expected, found)
            for key in (record["publisher"], "all"):
                tally[name][key][result] += 1
            if name == "new" and result not in ("found", "right (none)"):
                misses.append(f"{record['id']} ({record['publisher']}): {result}")
    rows = []
    for publisher in sorted(tally["new"], key=lambda p: (p == "all", p)):
        new, old_ = tally["new"][publisher], tally["old"][publisher]
        with_statement = new["found"] + new["partial"] + new["missed"]
        without = new["right (none)"] + new["false find"]
        share = new["found"] / with_statement if with_statement else 1.0
        old_share = old_["found"] / with_statement if with_statement else 1.0
        rows.append(Row(
            f"COI in JATS, {publisher}",
            f"found {new['found']}/{with_statement} ({share:.0%}), partial {new['partial']}, "
            f"missed {new['missed']}; false finds {new['false find']}/{without}",
            f"4932716: found {old_['found']}/{with_statement} ({old_share:.0%}), "
            f"false finds {old_['false find']}/{without}",
            ratio(share, old_share),
            ">= 98% found, 0 false" if publisher == "all" else "-",
            (share >= 0.98 and new["false find"] == 0) if publisher == "all" else None))
    read = len(records) - len(unreadable)
    rows.append(Row("COI in JATS, speed", f"{read / seconds:,.0f} articles/s" if seconds else "-",
                    f"{read} read, {len(unreadable)} unreadable", "-", "-", None))
    return rows, misses + [f"{i}: could not be read" for i in unreadable]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--mirrors", type=Path, help="folder of repository snapshots")
    args = parser.parse_args()
    rows, notes = measure(args.manifest, args.mirrors)
    print_table(rows)
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    main()
