"""Text helpers the reports share: numbers formatted for their statistic, and Markdown made safe.

Everything shown in a PR comment that came from a dataset or a model is untrusted. Outside code it
is escaped so it cannot inject HTML, ping people or link issues; inside code it sits in a fence
longer than any backtick run it contains, so it cannot close the fence early.
"""

from __future__ import annotations

import math
import re

from ..readable import NOISE, readable, readable_signed

RATE_STATISTICS = frozenset({"pass_rate", "rate", "accuracy", "precision", "recall", "f1", "mape", "drifted_share"})
COUNT_STATISTICS = frozenset({"fail_count", "error_count", "count", "drifted_count"})
LATENCY_METRIC = "latency_ms"

ZWJ = "\u200d"
# C0 controls other than tab and newline, DEL, and the bidi overrides behind "Trojan Source" text
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n?")
_BACKTICK_RUN = re.compile(r"`+")
# the characters that open or close inline constructs anywhere in a line: emphasis, code, links
# and images, table cells, strikethrough, math; "(" and ")" are inert once "[" and "]" are escaped
_MD_PUNCTUATION = frozenset("\\`*_{}[]!|~$")
# and those that only mean something at the start of a line: lists, headings, setext underlines
_BLOCK_START = re.compile(r"^(?:[-+=#]|\d{1,9}(?=[.)]))")


# -- numbers -------------------------------------------------------------------------------------

def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def format_value(metric: str, statistic: str, value: float | None, *, against: float | None = None) -> str:
    """``value`` as a reader expects it for its statistic: rates as %, latency in ms, counts whole.

    With ``against`` (a threshold's target), digits are added until the two read differently, so a
    rate of 0.8496 failing ``>= 0.85`` never shows as "85.0%".
    """
    if is_missing(value):
        return "n/a"
    assert value is not None
    text = _format(metric, statistic, value, 0)
    if against is None or is_missing(against) or value == against:
        return text
    for extra in range(1, 6):
        if text != _format(metric, statistic, against, extra - 1):
            break
        text = _format(metric, statistic, value, extra)
    return text


def format_delta(metric: str, statistic: str, delta: float | None) -> str:
    """A difference in the same unit as the value: percentage points, ms, rows, or plain."""
    if is_missing(delta):
        return ""
    assert delta is not None
    if abs(delta) < NOISE:
        delta = 0.0
    if statistic in RATE_STATISTICS:
        return f"{delta * 100:+.1f} pp"
    if statistic in COUNT_STATISTICS:
        return f"{delta:+,.0f}" if float(delta).is_integer() else readable_signed(delta)
    if metric == LATENCY_METRIC:
        return f"{delta:+,.0f} ms" if abs(delta) >= 100 else f"{readable_signed(delta, 3)} ms"
    return readable_signed(delta)


def format_number(value: float, extra: int = 0) -> str:
    if abs(value) >= 1000 and not float(value).is_integer():
        return f"{value:,.{extra}f}"
    return readable(value, 4 + extra)


def _format(metric: str, statistic: str, value: float, extra: int) -> str:
    if abs(value) < NOISE:  # float residue (6.9e-18) reads as 0, never as "-0.0%"
        value = 0.0
    if statistic in RATE_STATISTICS:
        return f"{value * 100:.{1 + extra}f}%"
    if statistic in COUNT_STATISTICS:
        return format_number(value, extra)
    if metric == LATENCY_METRIC:
        return f"{format_number(value, extra)} ms"
    return format_number(value, extra)


# -- untrusted text -----------------------------------------------------------------------------

def shorten(text: str, limit: int) -> tuple[str, int]:
    """The first ``limit`` characters and how many were cut (truncate before escaping, never after)."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def clean_text(text: str) -> str:
    """Line endings as ``\\n`` and no control or bidi-override characters."""
    return _UNSAFE_CHARS.sub("", _LINE_BREAKS.sub("\n", text))


def escape_inline(text: str) -> str:
    """Untrusted text as one line of inert Markdown: no HTML, no formatting, no @mentions, no #refs."""
    text = " ".join(clean_text(text).split())
    out: list[str] = []
    for index, char in enumerate(text):
        if char == "&":
            out.append("&amp;")
        elif char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "@":
            # the joiner keeps the text readable but stops GitHub resolving a user or team
            out.append("@" + ZWJ)
        elif char == "#" and text[index + 1:index + 2].isdigit():
            out.append("\\#" + ZWJ)  # no issue/PR link from "#12" or "org/repo#12"
        elif char in _MD_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    escaped = "".join(out)
    # callers put this after a label, but escape a would-be list or heading start all the same
    lead = _BLOCK_START.match(escaped)
    if lead:
        at = lead.end() if lead.group().isdigit() else 0
        escaped = escaped[:at] + "\\" + escaped[at:]
    return escaped


def code_span(text: str) -> str:
    """Inline code that contains ``text`` literally, whatever backticks it holds."""
    text = " ".join(clean_text(text).split())
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    # the spaces keep a leading or trailing backtick from merging with the delimiter
    return f"{fence} {text} {fence}"


def code_block(text: str, info: str = "text") -> str:
    """A fenced block no line of ``text`` can close: the fence outruns every backtick run in it."""
    text = clean_text(text).rstrip("\n")
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def table_row(cells: list[str]) -> str:
    # a pipe ends a cell even inside a code span unless it is escaped
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
