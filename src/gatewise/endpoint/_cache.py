"""On-disk response cache keyed on the full request plus the endpoint's identity.

Only successful responses are stored, so a cached run can never turn an error into a pass.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Mapping

from ..samples import Message, Sample
from ._tool_calls import sample_fields

DEFAULT_CACHE_DIR = ".gatewise-cache"


def request_key(identity: Mapping[str, Any], request: Mapping[str, Any], repeat: int) -> str:
    # repeat is part of the key: k repeats of a row are k independent draws, not one draw k times
    blob = json.dumps({"endpoint": identity, "request": request, "repeat": repeat},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A sqlite file of request key -> response record; safe to share between runs."""

    def __init__(self, directory: str | Path = DEFAULT_CACHE_DIR, *, read: bool = True) -> None:
        self.path = Path(directory) / "responses.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.read = read  # --no-cache: still write fresh answers, never read old ones
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, record TEXT NOT NULL)")
        # written in batches; read from here too, so a later stage of the same run (the baseline
        # judged after the candidate) finds what an earlier one stored
        self._pending: dict[str, str] = {}
        self.hits = 0

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.read:
            return None
        with self._lock:
            record = self._pending.get(key)
            if record is None:
                row = self._db.execute("SELECT record FROM responses WHERE key = ?", (key,)).fetchone()
                record = row[0] if row is not None else None
        if record is None:
            return None
        self.hits += 1
        return json.loads(record)

    def sample(self, key: str, *, row_id: str, inputs: Mapping[str, Any], messages: tuple[Message, ...],
               repeat: int) -> Sample | None:
        """The answer an earlier run stored for this request, as a sample marked cached; None on a miss."""
        hit = self.get(key)
        if hit is None:
            return None
        return Sample(row_id=row_id, inputs=inputs, messages=messages, repeat=repeat, attempts=0, cached=True,
                      **sample_fields(hit))

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        with self._lock:
            self._pending[key] = json.dumps(record, ensure_ascii=False)
            if len(self._pending) >= 256:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)", self._pending.items())
            self._db.execute("COMMIT")
            self._pending.clear()

    def close(self) -> None:
        with self._lock:
            self._flush()
            self._db.close()
