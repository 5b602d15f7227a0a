"""Reading a previous run's ``results.jsonl`` (and the ``gate-result.json`` beside it) as a baseline.

Read in ``prepare``, before any call: a baseline that is missing or unreadable is bad input
(exit 2) naming ``baseline.results``, never a comparison that silently did not happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..scores import Score

RESULTS_FILE = "results.jsonl"
GATE_RESULT_FILE = "gate-result.json"


@dataclass(frozen=True)
class BaselineRun:
    """A previous run's per-row scores; ``dataset_sha256`` None when no gate-result.json was beside it."""

    path: str
    scores: tuple[Score, ...]
    dataset_sha256: str | None


def load_baseline_results(path: str | Path, *, where: dict) -> BaselineRun:
    """``path``: a results.jsonl, a gate-result.json, or the directory holding them.
    ``where``: file/line/key of ``baseline.results`` in the config, for the error."""
    path = Path(path)
    if path.is_dir():
        results, gate_result = path / RESULTS_FILE, path / GATE_RESULT_FILE
    elif path.name == GATE_RESULT_FILE:
        results, gate_result = path.parent / RESULTS_FILE, path
    else:
        results, gate_result = path, path.parent / GATE_RESULT_FILE
    if not results.is_file():
        raise ConfigError(f"baseline results not found: {results} does not exist", **where)
    scores = _scores(results, where)
    sha = _dataset_sha(gate_result, where) if gate_result.is_file() else None
    return BaselineRun(str(results), scores, sha)


def _scores(path: Path, where: dict) -> tuple[Score, ...]:
    scores: list[Score] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    row_id, repeat = str(record["row_id"]), int(record.get("repeat") or 0)
                    for metric, score in (record.get("scores") or {}).items():
                        value = score.get("value")
                        scores.append(Score(row_id, str(metric), None if value is None else float(value),
                                            bool(score.get("passed")), repeat, score.get("error")))
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise ConfigError(f"baseline results {path}:{number} is not a results.jsonl record "
                                      f"({type(exc).__name__}: {exc})", **where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read baseline results {path}: {exc}", **where) from None
    return tuple(scores)


def _dataset_sha(path: Path, where: dict) -> str | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        sha = document["dataset"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the dataset pin from baseline {path} ({type(exc).__name__})", **where) from None
    return str(sha) if sha else None
