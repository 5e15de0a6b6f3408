"""One run per database: an exclusive flock on `<db>.lock`, released by the kernel if we die."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from harvester.errors import DatabaseError, LockedError


class RunLock:
    def __init__(self, db_path: Path):
        self.path = Path(f"{db_path}.lock")
        self._file = None

    def acquire(self, started_at: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+")
        except OSError as e:
            raise DatabaseError(f"{self.path.parent}: cannot write here ({e.strerror}); give this "
                                "user write access to the database's folder") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise LockedError(f"another harvest run is using {self.path.with_suffix('')} "
                              f"({holder}); wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {started_at}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
