"""Numbers as people write them: float noise is 0, no exponent for ordinary values, a few
significant digits. Shared by the terminal, summary.md, junit.xml, the PR comment and PR bodies."""

from __future__ import annotations

import math

# sums of floats leave residues such as 6.9e-18 where the exact answer is 0 (a bootstrap interval
# over rows that all scored 1.0, a difference of equal means); nothing gatewise measures is that small
NOISE = 1e-12


def readable(value: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, without an exponent between 1e-9 and 1e15;
    whole numbers without a decimal point, thousands with separators."""
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if abs(value) < NOISE:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.{max(0, digits - 4)}f}"
    text = f"{value:.{digits}g}"
    if "e" in text and abs(value) >= 1e-9:
        # 4.2e-05 -> 0.000042: fixed notation with the same significant digits
        decimals = digits - 1 - math.floor(math.log10(abs(value)))
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text


def readable_signed(value: float, digits: int = 4) -> str:
    """``readable`` with a sign: a difference (``+0.05``, ``-3``, ``0``)."""
    text = readable(value, digits)
    return text if text == "0" or text.startswith("-") else f"+{text}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless the count is one: ``1 check``, ``3 checks``, ``1,200 rows``."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
