"""Bench: the COI statement found in real JATS full texts, find_coi against the old extract_coi.

    python bench/coi_jats.py               # bench/coi/jats_manifest.jsonl, else the devset's
    python bench/coi_jats.py path/to/manifest.jsonl --details

The manifest has one JSON object per line: id, publisher, source {repo, path, commit}, optional
mirror (a bare git directory on this machine), has_statement, statement (every COI part, joined
by a blank line), elements. Each article is read back with `git --git-dir=MIRROR show
COMMIT:PATH`; a record whose file cannot be read is skipped and counted as unreadable. The
baseline is extract_coi as it was at BASELINE_COMMIT (first COI element only), loaded from git
into a temporary module and run on the same bytes in the same run.

How an answer is scored (texts compared after NFKC, case folding, quotes and dashes unified and
whitespace collapsed; each expected part loses a first line that is a heading, at most 8 words
without a final full stop, and a leading run-in "Label:" of at most 6 words, because the
statement is compared without its heading):
- found: every expected part is contained in the text found (it covers the statement);
- partial: some expected part is contained in it, or some part found is contained in the
  expected statement (a piece of it);
- missed: nothing found, or nothing in common;
- false find: text found in an article that has no statement.
"found" also reports how many found texts are much longer than the statement ("long": more than
twice its length plus 200 characters), text from around the statement that came with it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import types
import unicodedata
from collections import defaultdict
from pathlib import Path

from harvester.enrich.coi_jats import JatsError, find_coi

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = [ROOT / "bench" / "coi" / "jats_manifest.jsonl",
             Path("/work/devset/jats_manifest.jsonl")]
MIRRORS = Path("/work/.mirror")  # where `fetch` puts repository snapshots: owner+name/repo
BASELINE_COMMIT = "4932716"
GOAL_FOUND = 0.98
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " "})
HEADING_LINE_WORDS = 8
LABEL = re.compile(r"^([^:.]{1,80}):\s*")
LABEL_WORDS = 6


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(QUOTES).casefold()
    return " ".join(text.split())


def core(part: str) -> str:
    """An expected part without its heading line or run-in label."""
    lines = [line for line in part.split("\n") if line.strip()]
    if len(lines) > 1 and len(lines[0].split()) <= HEADING_LINE_WORDS \
            and not lines[0].rstrip().endswith("."):
        lines = lines[1:]
    text = norm(" ".join(lines))
    label = LABEL.match(text)
    if label and len(label.group(1).split()) <= LABEL_WORDS and text[label.end():]:
        text = text[label.end():]
    return text.strip()


def score(expected: str | None, parts: list[str]) -> str:
    """found / partial / missed for an article with a statement; "none" or "false" without."""
    if not expected:
        return "false" if parts else "none"
    if not parts:
        return "missed"
    got = norm(" ".join(parts))
    cores = [c for c in (core(p) for p in expected.split("\n\n")) if c]
    if all(c in got for c in cores):
        return "found"
    whole = norm(expected)
    if any(c in got for c in cores) or any(norm(p) in whole for p in parts if norm(p)):
        return "partial"
    return "missed"


def skeleton(paths: list[str]) -> set[str]:
    """Element paths without their predicates: back/notes[@notes-type='x'] -> back/notes."""
    return {re.sub(r"\[[^\]]*\]|\s*\(.*\)$", "", path) for path in paths}


def load_baseline() -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:harvester/enrich/coi_jats.py"],
        check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("coi_jats_baseline")
    exec(compile(source, f"{BASELINE_COMMIT}:coi_jats.py", "exec"), module.__dict__)
    return module


def mirror_of(record: dict) -> Path | None:
    if record.get("mirror"):
        return Path(record["mirror"])
    owner, _, name = record["source"]["repo"].partition("/")
    for candidate in (MIRRORS / f"{owner}+{name}" / "repo" / ".git",
                      MIRRORS / f"{owner}+{name}" / "repo"):
        if candidate.is_dir():
            return candidate
    return None


def read_xml(record: dict) -> bytes | None:
    mirror, source = mirror_of(record), record["source"]
    if mirror is None:
        return None
    done = subprocess.run(["git", f"--git-dir={mirror}", "show",
                           f"{source['commit']}:{source['path']}"], capture_output=True)
    return done.stdout if done.returncode == 0 and done.stdout else None


def run(records: list[dict], details: bool) -> None:
    baseline = load_baseline()
    tally = {"new": defaultdict(lambda: defaultdict(int)),
             "old": defaultdict(lambda: defaultdict(int))}
    unreadable, misses, elapsed = [], [], 0.0
    places = [0, 0]  # found articles whose element paths agree with the manifest's, all found
    for record in records:
        xml = read_xml(record)
        if xml is None:
            unreadable.append(record["id"])
            continue
        expected = record.get("statement") if record.get("has_statement") else None
        start = time.perf_counter()
        try:
            coi = find_coi(xml)
            parts, elements = (list(coi.parts), list(coi.elements)) if coi else ([], [])
        except JatsError:
            parts, elements = [], []
        elapsed += time.perf_counter() - start
        try:
            old = baseline.extract_coi(xml)
        except baseline.JatsError:
            old = None
        new_score, old_score = score(expected, parts), score(expected, [old] if old else [])
        if new_score == "found" and len(norm(" ".join(parts))) > 2 * len(norm(expected)) + 200:
            tally["new"][record["publisher"]]["long"] += 1
        for which, verdict in (("new", new_score), ("old", old_score)):
            tally[which][record["publisher"]][verdict] += 1
        if new_score == "found" and record.get("elements"):
            places[1] += 1
            places[0] += skeleton(record["elements"]) == skeleton(elements)
        if new_score not in ("found", "none"):
            misses.append((record, new_score, parts, elements))
    print_table(tally)
    n = len(records) - len(unreadable)
    print(f"\n{n} articles read, {len(unreadable)} unreadable (skipped)"
          + (f": {', '.join(unreadable)}" if unreadable else "")
          + (f"; find_coi {n / elapsed:.0f} articles/s" if elapsed else ""))
    if places[1]:
        print(f"element paths agree with the manifest's (tags only, predicates dropped) for "
              f"{places[0]} of {places[1]} articles found")
    print("found = every expected part (heading and run-in label removed) is inside the text "
          "found, after NFKC, case folding, quote/dash unification and whitespace collapsing; "
          "partial = some part is, or a part found lies inside the statement; long = found "
          "text over twice the statement's length + 200 characters.")
    for record, verdict, parts, elements in misses:
        print(f"\n{verdict.upper()}: {record['id']} ({record['publisher']}) "
              f"{record['source']['path']}")
        if details:
            print(f"  expected: {(record.get('statement') or '')[:300]!r}")
            for text, element in zip(parts, elements):
                print(f"  found {element}: {text[:300]!r}")


def print_table(tally: dict) -> None:
    publishers = sorted(set(tally["new"]) | set(tally["old"]), key=str.lower)
    header = ["publisher", "with", "found", "partial", "missed", "long", "without", "false",
              "old found", "old partial", "old missed", "old false"]
    rows = []
    total = {"new": defaultdict(int), "old": defaultdict(int)}
    for publisher in publishers + ["all"]:
        if publisher == "all":
            new, old = total["new"], total["old"]
        else:
            new, old = tally["new"][publisher], tally["old"][publisher]
            for key, value in new.items():
                total["new"][key] += value
            for key, value in old.items():
                total["old"][key] += value
        with_ = new["found"] + new["partial"] + new["missed"]
        without = new["none"] + new["false"]
        rows.append([publisher, with_, new["found"], new["partial"], new["missed"], new["long"],
                     without, new["false"], old["found"], old["partial"], old["missed"],
                     old["false"]])
    table = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    all_new, all_old = total["new"], total["old"]
    with_ = all_new["found"] + all_new["partial"] + all_new["missed"]
    without = all_new["none"] + all_new["false"]
    publishers_with = sum(1 for p in publishers if tally["new"][p]["found"]
                          + tally["new"][p]["partial"] + tally["new"][p]["missed"])
    if with_:
        print(f"\nstatement found: {all_new['found']}/{with_} = {all_new['found'] / with_:.1%} "
              f"(baseline {all_old['found']}/{with_} = {all_old['found'] / with_:.1%}); "
              f"goal >= {GOAL_FOUND:.0%} from >= 6 publishers ({publishers_with} with a statement)")
    if without:
        print(f"false finds: {all_new['false']}/{without} articles without a statement "
              f"(baseline {all_old['false']}); goal 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", nargs="?", type=Path,
                        help="JSON lines (default: the first of "
                             + ", ".join(str(m) for m in MANIFESTS) + " that exists)")
    parser.add_argument("--details", action="store_true",
                        help="print the expected and found text of every article not found")
    args = parser.parse_args()
    manifest = args.manifest or next((m for m in MANIFESTS if m.exists()), None)
    if manifest is None or not manifest.exists():
        sys.exit(f"no manifest: pass one, or create {MANIFESTS[0]}")
    records = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    print(f"manifest: {manifest} ({len(records)} records)")
    run(records, args.details)


if __name__ == "__main__":
    main()
