"""``results.jsonl``: one line per sample with its scores, the per-row record of a gate run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from ..result import GateResult
from ._atomic import atomic_writer
from ._jsonable import jsonable
from ._rows import RowOutcome, row_outcomes

RESULTS_FILE = "results.jsonl"

# JSON allows these raw inside strings, but Python's str.splitlines() and some JSONL readers treat
# them as line ends; escaping them keeps "one line per sample" true for every reader
_LINE_SEPARATORS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def row_record(outcome: RowOutcome) -> dict[str, Any]:
    record = outcome.sample.to_dict()
    record["scores"] = {score.metric: _score_record(score) for score in outcome.scores}
    record["passed"] = outcome.passed
    return record


def _score_record(score) -> dict[str, Any]:
    record = {"value": score.value, "passed": score.passed, "error": score.error}
    if score.reason is not None or score.judge_model is not None:  # judged rows
        record.update(reason=score.reason, judge_model=score.judge_model)
    return record


def render_results_lines(result: GateResult) -> Iterator[str]:
    for outcome in row_outcomes(result):
        record = row_record(outcome)
        if result.agreement:
            # the row's agreement across its repeats, per suite (the same on each repeat's line)
            record["agreement"] = {a.suite: a.row_agreement.get(outcome.sample.row_id) for a in result.agreement}
        yield render_results_line(record)


def render_results_line(record: dict[str, Any]) -> str:
    """One record as one line of results.jsonl, newline included.

    orjson writes what ``json.dumps(jsonable(record), ensure_ascii=False, allow_nan=False)`` would
    (NaN and infinity as null, odd scalars through ``jsonable``) at a tenth of the cost, which
    counts twice a row: streamed as the call finishes, and again scored at the end. Numbers may
    be spelt differently (``1e-5`` for ``1e-05``); their values are the same.
    """
    import orjson

    try:
        line = orjson.dumps(record, default=jsonable,
                            option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME).decode("utf-8")
    except orjson.JSONEncodeError:  # an integer past 64 bits, a nesting past orjson's limit
        line = json.dumps(jsonable(record), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if "\u2028" in line or "\u2029" in line or "\x85" in line:
        line = line.translate(_LINE_SEPARATORS)
    return line + "\n"


def write_results_jsonl(result: GateResult, out_dir: Path) -> Path:
    path = Path(out_dir) / RESULTS_FILE
    with atomic_writer(path) as handle:
        handle.writelines(render_results_lines(result))
    return path
