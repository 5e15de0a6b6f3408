"""Bench: open-access lookups for N new articles behind a slow server, against the serial bound.

    python bench/oa_lookups.py               # 300 articles, 200 ms per response
    python bench/oa_lookups.py --articles 100 --latency 0.1

A loopback server answers Unpaywall (`/unpaywall/{doi}`) and Europe PMC (`/europepmc/search`)
after `--latency` seconds each. harvester's `enrich_oa` runs on a fresh database of N synthetic
articles. Printed: requests made against the lower bound (N Unpaywall + ceil(N/100) Europe PMC
searches), wall time against the time serial requests would take (requests x latency), the
ratio, and the 429s the server sent (it sends one to any client over 20 requests/s).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harvester import db
from harvester.config import UNPAYWALL_RATE
from harvester.enrich.oa import EUROPEPMC_BATCH, enrich_oa
from harvester.http import HttpClient

GOLD = {"doi": None, "is_oa": True, "oa_status": "gold", "journal_is_oa": True,
        "best_oa_location": {"url": "https://example.org/a", "url_for_pdf": None,
                             "license": "cc-by", "version": "publishedVersion",
                             "host_type": "publisher"}}


def serve(latency: float):
    stats = {"requests": 0, "429": 0, "times": []}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(latency)
            with lock:
                now = time.monotonic()
                stats["requests"] += 1
                stats["times"] = [t for t in stats["times"] if now - t < 1.0] + [now]
                too_fast = len(stats["times"]) > 20
            if too_fast:
                stats["429"] += 1
                self.send_response(429)
                self.send_header("Retry-After", "1")
                self.end_headers()
                return
            if self.path.startswith("/unpaywall/"):
                body = dict(GOLD, doi=self.path.split("/unpaywall/")[1].split("?")[0])
            else:
                body = {"hitCount": 0, "resultList": {"result": []}}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    server, stats = serve(args.latency)
    base = f"http://127.0.0.1:{server.server_port}"
    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Path(tmp) / "bench.db")
        with db.transaction(conn):
            for i in range(args.articles):
                conn.execute("INSERT INTO article (pmid, doi, first_seen_at, updated_at) "
                             "VALUES (?, ?, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
                             (60000000 + i, f"10.1000/bench.{i}"))
        # One loopback host plays both services, so it gets Unpaywall's cap (the larger).
        http = HttpClient(contact="bench@harvester.invalid",
                          rates={f"127.0.0.1:{server.server_port}": UNPAYWALL_RATE})
        start = time.perf_counter()
        summary = enrich_oa(conn, http, unpaywall_url=f"{base}/unpaywall",
                            europepmc_url=f"{base}/europepmc", email="bench@harvester.invalid",
                            limit=args.articles)
        seconds = time.perf_counter() - start
    server.shutdown()
    bound = args.articles + math.ceil(args.articles / EUROPEPMC_BATCH)
    serial = bound * args.latency
    assert summary.checked == args.articles, summary
    print(f"OA lookups: {args.articles} articles, {args.latency * 1000:.0f} ms latency")
    print(f"  requests  {stats['requests']:>6} (lower bound {bound}, "
          f"{stats['requests'] / bound:.2f}x)")
    print(f"  wall time {seconds:>6.1f} s (serial {serial:.1f} s, {serial / seconds:.1f}x faster)")
    print(f"  429s      {stats['429']:>6}")


if __name__ == "__main__":
    main()
