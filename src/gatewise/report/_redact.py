"""Masking anything that looks like a credential before it reaches a PR comment.

Secrets are never part of a ``GateResult``, but model outputs and error messages are free text: an
endpoint may echo a header or a config line back. The per-row ``results.jsonl`` keeps text as it
was; only what is rendered for people goes through here.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_PATTERNS = (
    # api_key=..., "token": "...", Authorization: Bearer ...
    (re.compile(r"(?i)\b((?:[a-z0-9]+[_-])?(?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|"
                r"authorization))(\"?'?\s*[:=]\s*\"?'?)(?:bearer\s+|basic\s+)?[^\s\"',;&]+"),
     rf"\1\2{REDACTED}"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # OpenAI-style keys and GitHub tokens, wherever they appear
    (re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"\b(?:ghp|gho|ghs|ghu|ghr|github_pat)_[A-Za-z0-9_]{20,}"), REDACTED),
    # credentials in a URL: https://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]+@"), rf"\1{REDACTED}@"),
)


def redact_secrets(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
