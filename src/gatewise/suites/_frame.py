"""The table Evidently scores: one row per sample with an output, every column declared as text."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from ..samples import Sample

if TYPE_CHECKING:
    import pandas as pd
    from evidently import DataDefinition

OUTPUT = "output"


def has_output(sample: Sample) -> bool:
    return sample.error is None and sample.output is not None


def as_text(value: Any) -> str | None:
    """Dataset values as text, because every check reads text; missing stays missing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN from CSV/Parquet readers
        return None
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def as_items(value: Any) -> list[str]:
    """A column of items (ItemMatch's second column) as a list: a list as is, JSON text of a list
    parsed, any other text one item; missing: no items."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            pass
    if isinstance(value, (list, tuple)):
        return [text for text in (as_text(v) for v in value) if text is not None]
    text = as_text(value)
    return [] if text is None else [text]


def build_frame(samples: Sequence[Sample], item_columns: frozenset[str] = frozenset()
                ) -> tuple["pd.DataFrame", "DataDefinition"]:
    """``output`` plus every input column (union over samples, first-seen order), as text;
    ``item_columns`` as lists of items.

    An input column called ``output`` is left out: in a check, ``output`` means the model's answer.
    The data definition is complete, so Evidently infers nothing (and guesses no types).
    """
    import pandas as pd
    from evidently import DataDefinition

    columns: dict[str, None] = {OUTPUT: None}
    for sample in samples:
        columns.update(dict.fromkeys(sample.inputs))
    data = {OUTPUT: [s.output for s in samples]}
    for name in columns:
        if name != OUTPUT:
            convert = as_items if name in item_columns else as_text
            data[name] = [convert(s.inputs.get(name)) for s in samples]
    # object dtype keeps None as None (pandas would turn an all-None column into floats)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in data.items()})
    definition = DataDefinition(
        text_columns=list(columns), numerical_columns=[], categorical_columns=[], datetime_columns=[],
        unknown_columns=[], list_columns=[],
    )
    return frame, definition
