"""The COI classifier against the hand-labelled development set: accuracy, companies, authors,
speed against the classifier at commit 4932716 (issue #12).

    python bench/coi_classify.py                       # bench/coi/devset.jsonl, else /work/devset
    python bench/coi_classify.py path/to/set.jsonl     # one file (or several)
    python bench/coi_classify.py --part dev --misses   # tuning: the dev part and its errors

The set is split by a hash of the id: a record is in the frozen test part when
int(sha1(id), 16) % 10 < 3 (30%), in the dev part otherwise. Rules are tuned on the dev part only;
`--misses` refuses to print the test part's errors.

Companies are compared after a light normalisation of both sides that does not use the
classifier's own (casefold, legal suffix words dropped from the end, non-alphanumerics dropped),
so "Genentech, Inc." and "genentech" match but "GSK" and "GlaxoSmithKline" do not.
Speed: statements/s of the current classifier and of the baseline (4932716's module and
companies.json, loaded from git into a temporary module) on the same statements (all of them,
texts only, and those of 300 characters or more, whose median is near the 500 characters the
goal speaks of), best of --repeat passes each, alternating, as this machine's speed drifts.
The last lines are a harness.py table against the issue's goals.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):   # harvester, and harness.py's table when run as a script
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from harvester.enrich.coi_classify import classify  # noqa: E402

DEFAULT_SET = ROOT / "bench" / "coi" / "devset.jsonl"
SHARED_SET = "/work/devset/*.jsonl"
BASELINE_COMMIT = "4932716"
LABELS = ("declared", "none_declared", "unclear")
LONG = 300      # characters: the statements the speed goal is about
GOALS = {"status": 0.97, "precision": 0.95, "recall": 0.90, "rate": 250.0}  # issue #12
LEGAL_WORDS = {"inc", "incorporated", "ltd", "limited", "llc", "gmbh", "ag", "co", "corp",
               "corporation", "plc", "sa", "sas", "spa", "srl", "bv", "nv", "kk", "kg", "lp",
               "pty", "ab", "as", "oy", "se", "company"}


def is_test(record_id: str) -> bool:
    return int(hashlib.sha1(record_id.encode()).hexdigest(), 16) % 10 < 3


def load_set(paths: list[str]) -> list[dict]:
    if not paths:
        paths = [str(DEFAULT_SET)] if DEFAULT_SET.exists() else sorted(glob.glob(SHARED_SET))
    rows, seen = [], set()
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:    # a file being written: its last line may be cut
                continue
            if row.get("id") in seen or row.get("status") not in LABELS:
                continue
            seen.add(row["id"])
            rows.append(row)
    return rows


def norm_org(name: str) -> str:
    words = re.findall(r"\w+", name.casefold())
    while len(words) > 1 and words[-1] in LEGAL_WORDS:
        words.pop()
    return "".join(words)


def score(rows: list[dict], classify_fn) -> dict:
    per_label = {label: [0, 0] for label in LABELS}
    org = Counter()
    auth = Counter()
    misses = []
    for row in rows:
        got = classify_fn(row["text"], row.get("authors"))
        ok = got.status == row["status"]
        per_label[row["status"]][0] += ok
        per_label[row["status"]][1] += 1
        want = {norm_org(o) for o in row.get("organizations") or []}
        have = {norm_org(o) for o in got.organizations}
        org["tp"] += len(want & have)
        org["fp"] += len(have - want)
        org["fn"] += len(want - have)
        if row.get("authors"):
            want_a, have_a = set(row.get("authors_declaring") or []), set(got.authors_declaring)
            auth["n"] += 1
            auth["tp"] += len(want_a & have_a)
            auth["fp"] += len(have_a - want_a)
            auth["fn"] += len(want_a - have_a)
        if not ok or want != have:
            misses.append((row, got, sorted(have - want), sorted(want - have)))
    return {"n": len(rows), "per_label": per_label, "org": org, "auth": auth, "misses": misses}


def precision_recall(c: Counter) -> tuple[float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return p, r


def _pr(c: Counter) -> str:
    p, r = precision_recall(c)
    return f"precision {p:.3f}  recall {r:.3f}  (tp {c['tp']}, fp {c['fp']}, fn {c['fn']})"


def table_rows(name: str, s: dict, base: dict | None = None) -> list:
    """The part's figures as bench/harness.py rows, against the issue's goals, beside the
    baseline classifier's on the same statements."""
    from harness import Row, ratio
    if not s["n"]:
        return []

    def figures(score: dict) -> tuple[float, float, float]:
        return (sum(v[0] for v in score["per_label"].values()) / score["n"],
                *precision_recall(score["org"]))

    ours = figures(s)
    theirs = figures(base) if base else (None, None, None)
    bench = f"COI {name} part (n={s['n']})"
    return [Row(bench, f"{label} {value:.3f}",
                f"{BASELINE_COMMIT}: {old:.3f}" if old is not None else "-",
                ratio(value, old) if old else "-", f">= {GOALS[goal]:.2f}", value >= GOALS[goal])
            for label, goal, value, old in zip(
                ("status accuracy", "companies precision", "companies recall"),
                ("status", "precision", "recall"), ours, theirs)]


def report(name: str, s: dict) -> None:
    right = sum(v[0] for v in s["per_label"].values())
    print(f"## {name} part: n = {s['n']}")
    if not s["n"]:
        return
    print(f"status accuracy   {right / s['n']:.3f}  ({right}/{s['n']})")
    for label, (ok, n) in s["per_label"].items():
        print(f"  {label:<14}  {ok / n if n else 0:.3f}  ({ok}/{n})")
    print(f"organizations     {_pr(s['org'])}")
    print(f"authors_declaring {_pr(s['auth'])}  over {s['auth']['n']} records with authors")


def load_baseline(tmp: Path):
    """The classifier at BASELINE_COMMIT with that commit's companies.json."""
    def show(path: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:{path}"],
                              capture_output=True, text=True, check=True).stdout
    module_file = tmp / "coi_classify_baseline.py"
    module_file.write_text(show("harvester/enrich/coi_classify.py"), encoding="utf-8")
    companies = tmp / "companies.json"
    companies.write_text(show("harvester/data/companies.json"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("coi_classify_baseline", module_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    module.COMPANIES_FILE = companies
    return module.classify


def rate(classify_fn, items: list[tuple[str, list | None]]) -> float:
    start = time.perf_counter()
    for text, authors in items:
        classify_fn(text, authors)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="JSONL files (default: bench/coi/devset.jsonl "
                                                 f"if it exists, else {SHARED_SET})")
    parser.add_argument("--part", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--misses", action="store_true", help="print the dev part's errors")
    parser.add_argument("--repeat", type=int, default=3, help="timing passes (best is kept)")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()

    rows = load_set(args.paths)
    baseline_classify = load_baseline(Path(tempfile.mkdtemp()))
    dev = [r for r in rows if not is_test(r["id"])]
    test = [r for r in rows if is_test(r["id"])]
    print(f"COI development set: {len(rows)} records ({len(dev)} dev, {len(test)} test)")
    rows_out = []
    if args.part in ("dev", "both"):
        s = score(dev, classify)
        report("dev", s)
        base = score(dev, baseline_classify)
        report(f"dev, baseline {BASELINE_COMMIT}", base)
        rows_out += table_rows("dev", s, base)
        if args.misses:
            for row, got, extra, missing in s["misses"]:
                print(f"\n- {row['id']} [{row['status']} -> {got.status}] +{extra} -{missing}")
                print(f"  authors: want {row.get('authors_declaring')} got "
                      f"{got.authors_declaring}")
                print("  " + row["text"][:1500].replace("\n", " | "))
    if args.part in ("test", "both"):
        s = score(test, classify)
        report("test", s)
        base = score(test, baseline_classify)
        report(f"test, baseline {BASELINE_COMMIT}", base)
        rows_out += table_rows("test", s, base)

    if args.no_speed or not rows:
        _print_table(rows_out)
        return
    items = [(r["text"], r.get("authors")) for r in rows]
    # The goal is stated for real-length statements (median about 500 characters): the set's
    # statements of LONG characters or more have about that median.
    long_items = [item for item in items if len(item[0]) >= LONG]
    from harness import Row, ratio
    with tempfile.TemporaryDirectory() as tmp:
        baseline = load_baseline(Path(tmp))
        for fn in (classify, baseline):     # warm caches (compiled patterns, company list)
            fn("A.B. received fees from Pfizer.", ["Ana Bianchi"])
        for label, subset in (("all", items), (f">= {LONG} chars", long_items)):
            if not subset:
                continue
            lengths = sorted(len(t) for t, _ in subset)
            ours = theirs = 0.0
            for _ in range(args.repeat):
                ours = max(ours, rate(classify, subset))
                theirs = max(theirs, rate(baseline, subset))
            print(f"## speed, {label}: {len(subset)} statements (median "
                  f"{lengths[len(lengths) // 2]:,} chars, longest {lengths[-1]:,}), best of "
                  f"{args.repeat}")
            print(f"current {ours:,.0f} statements/s   baseline {BASELINE_COMMIT} {theirs:,.0f} "
                  f"statements/s   ratio {ours / theirs:.2f}x")
            rows_out.append(Row(f"COI speed, {label} (median {lengths[len(lengths) // 2]:,} "
                                f"chars)", f"{ours:,.0f} statements/s",
                                f"{BASELINE_COMMIT}: {theirs:,.0f} statements/s",
                                ratio(ours, theirs), f">= {GOALS['rate']:.0f}/s",
                                ours >= GOALS["rate"]))
    _print_table(rows_out)


def _print_table(rows: list) -> None:
    if rows:
        from harness import print_table
        print()
        print_table(rows)


if __name__ == "__main__":
    main()
