"""Which rows belong to shard K of N: a stable hash of the row id, so shards are disjoint, cover
the dataset, and do not change when rows are reordered or other rows are added."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class ShardSpec:
    index: int  # K, 1-based
    count: int  # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, row_id: str) -> bool:
        return shard_of_row(row_id, self.count) == self.index

    @property
    def pair(self) -> tuple[int, int]:
        return (self.index, self.count)


def shard_of_row(row_id: str, count: int) -> int:
    """The 1-based shard of ``row_id`` among ``count``: the first 8 bytes of its sha256, mod N
    (sha256, not Python's hash(): the same on every machine and every process)."""
    digest = hashlib.sha256(row_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str) -> ShardSpec:
    """``"K/N"`` -> ShardSpec; anything else (K outside 1..N, N < 1) is exit 2."""
    index, slash, count = text.partition("/")
    try:
        spec = ShardSpec(int(index), int(count)) if slash else None
    except ValueError:
        spec = None
    if spec is None or spec.count < 1 or not 1 <= spec.index <= spec.count:
        raise InputError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. --shard 1/4")
    return spec
