"""``repeats: auto`` (or ``{auto: true, max: K}``): one pass, then disputed rows re-asked until the
baseline comparison is decided or each has been asked K times. Checked here, before pydantic sees
the section, so ``repeats`` stays the plain count every stage reads (1 for auto)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._strict import StrictModel, error_at

DEFAULT_MAX_ASKS = 8
AUTO_KEYS = ("auto", "max")
_HINT = "repeats is a number (fixed repeats), auto, or {auto: true, max: K} (K from 2 to 100)"


class AutoRepeatsConfig(StrictModel):
    """Adaptive repeats: the cap on how often one row may be asked, first pass included."""

    max: int = Field(DEFAULT_MAX_ASKS, ge=2, le=100, description="asks per row at most, first pass included")


def split_auto_repeats(data: Any) -> Any:
    """The config data with ``repeats: auto`` / ``{auto: true, max: K}`` moved to ``repeats_auto``
    and ``repeats`` set to 1; anything else unchanged (pydantic checks a number)."""
    if not isinstance(data, dict):
        return data
    if "repeats_auto" in data:
        raise error_at(("repeats_auto",), "unknown key (check its spelling and the README's config reference)")
    value = data.get("repeats")
    if value == "auto":
        return {**data, "repeats": 1, "repeats_auto": AutoRepeatsConfig()}
    if isinstance(value, str) and not value.strip().isdigit():
        raise error_at(("repeats",), f"{value!r} is not a number of repeats; {_HINT}")
    if not isinstance(value, dict):
        return data
    for key in value:
        if key not in AUTO_KEYS:
            raise error_at(("repeats", key), f"unknown key {key!r}; {_HINT}")
    if value.get("auto") is not True:
        raise error_at(("repeats", "auto") if "auto" in value else ("repeats",),
                       f"auto must be true here (for a fixed number, write repeats: 3); {_HINT}")
    cap = value.get("max", DEFAULT_MAX_ASKS)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 2 <= cap <= 100:
        raise error_at(("repeats", "max"), f"max must be a whole number from 2 to 100, not {cap!r}")
    return {**data, "repeats": 1, "repeats_auto": AutoRepeatsConfig(max=cap)}
