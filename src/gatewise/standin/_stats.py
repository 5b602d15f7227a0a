"""Counting what the stand-in has seen, so tests and benchmarks can check what really happened."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Stats:
    """A snapshot of the stand-in's counters since it started."""

    requests: int = 0
    """Requests read, whatever happened to them."""
    completions: int = 0
    """Chat and text completions answered 200 (faulted ones excluded)."""
    by_status: Mapping[int, int] = field(default_factory=dict)
    """Responses started, by HTTP status code (counted just before the first byte is written)."""
    by_fault: Mapping[str, int] = field(default_factory=dict)
    """Faults injected, by kind: reset, hang, error, rate_limit, malformed."""
    peak_in_flight: int = 0
    """Most requests being answered at once: what a client's concurrency bound let through."""


class StatsRecorder:
    """The live counters: written by the server's loop, read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = self._completions = 0
        self._by_status: Counter[int] = Counter()
        self._by_fault: Counter[str] = Counter()
        self._in_flight = self._peak_in_flight = 0

    def request(self) -> None:
        with self._lock:
            self._requests += 1

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def response(self, status: int, *, completion: bool = False) -> None:
        with self._lock:
            self._by_status[status] += 1
            self._completions += completion

    def fault(self, kind: str) -> None:
        with self._lock:
            self._by_fault[kind] += 1

    def snapshot(self) -> Stats:
        with self._lock:
            return Stats(self._requests, self._completions, dict(self._by_status), dict(self._by_fault),
                         self._peak_in_flight)
