"""A unified diff of a manifest edit, as ``git diff`` shows it, for ``--dry-run``."""

from __future__ import annotations

import difflib
import re

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")  # split on '\n' only: '\r\n' stays whole in its line


def unified_diff(path: str, old: str, new: str, *, context: int = 3) -> str:
    """The diff from ``old`` to ``new`` with ``a/path`` / ``b/path`` headers; "" when equal."""
    if old == new:
        return ""
    out = []
    for line in difflib.unified_diff(_LINE.findall(old), _LINE.findall(new), f"a/{path}",
                                     f"b/{path}", n=context):
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)
