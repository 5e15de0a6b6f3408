"""Where a digest or export goes, and the record that it went there.

A file is written to a temporary name beside it, flushed and fsynced, and renamed into place
only when complete, so a reader never sees half of one. The `outputs` row and a consumer's
`delivery` rows are committed in the transaction that does the rename, after the data is on
disk: an interrupted export leaves no file and records nothing, and the next export for that
consumer holds the same articles again.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from harvester import db
from harvester.errors import ConfigError


class Destination:
    """stdout, or a file (-o) that appears only once complete."""

    def __init__(self, path: Path | None):
        self.path = path
        self.temp: Path | None = None
        if path is None:
            self.stream: TextIO = sys.stdout
            return
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; give -o a file name such as "
                              f"{path / 'export.jsonl'}")
        if not path.parent.is_dir():
            raise ConfigError(f"{path}: its folder {path.parent} does not exist; create it or "
                              "choose another -o")
        try:
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        except OSError as e:
            raise ConfigError(f"{path}: cannot write there ({e.strerror}); choose another "
                              "-o") from None
        self.temp = Path(temp)
        self.stream = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def finish(self) -> None:
        """Make what was written durable; the file is renamed by publish()."""
        self.stream.flush()
        if self.temp is not None:
            os.fsync(self.stream.fileno())
            self.stream.close()

    def publish(self) -> None:
        if self.temp is None:
            return
        os.replace(self.temp, self.path)
        self.temp = None
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a power cut
        finally:
            os.close(folder)

    def discard(self) -> None:
        """Remove the temporary file of an output that did not complete."""
        if self.temp is not None:
            self.stream.close()
            self.temp.unlink(missing_ok=True)
            self.temp = None


def save_output(conn: sqlite3.Connection, destination: Destination, *, kind: str, fmt: str,
                article_ids: list[int], through: int, consumer: str | None = None,
                now: str | None = None, notice_ids: list[int] = ()) -> int:
    """Publish the finished output and record it (and, for a consumer, each article delivered)
    in one transaction. Raises ConfigError if another export delivered some of these articles
    to the same consumer meanwhile; then nothing is published."""
    destination.finish()
    with db.transaction(conn):
        if consumer is not None and article_ids:
            clash = conn.execute(
                "SELECT count(*) FROM delivery WHERE consumer = ? AND article_id IN "
                "(SELECT value FROM json_each(?))",
                (consumer, _json_ids(article_ids))).fetchone()[0]
            if clash:
                raise ConfigError(f"another export delivered {clash} of these articles to "
                                  f"consumer {consumer!r} meanwhile; run the export again")
        output_id = conn.execute(
            "INSERT INTO outputs (kind, format, consumer, path, articles, article_id_through, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, fmt, consumer, str(destination.path) if destination.path else None,
             len(article_ids), through, now or db.now_iso())).lastrowid
        if consumer is not None:
            conn.executemany("INSERT INTO delivery VALUES (?, ?, ?)",
                             [(consumer, i, output_id) for i in article_ids])
            # articles given again for a retraction or an expression of concern
            conn.executemany("INSERT OR IGNORE INTO notice_delivery VALUES (?, ?, ?)",
                             [(consumer, n, output_id) for n in notice_ids])
        destination.publish()
    return output_id


def _json_ids(ids: list[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"
