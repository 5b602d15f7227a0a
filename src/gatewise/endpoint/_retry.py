"""When to retry a failed call, and for how long to wait: exponential backoff with full jitter
that never waits less than the server's ``Retry-After``."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

# statuses worth another try; 4xx other than these are the caller's mistake and final
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# a server asking for longer than this is treated as down for this run
MAX_RETRY_AFTER_S = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 20.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        backoff = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
        jittered = rng.uniform(backoff / 2, backoff)
        if retry_after is not None:
            return max(min(retry_after, MAX_RETRY_AFTER_S), jittered * 0.1)
        return jittered


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
