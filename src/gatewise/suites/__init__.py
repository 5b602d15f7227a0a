"""Suites: turn samples into per-row scores. Each kind of suite registers its scorer by name."""

from ._evidently import score_evidently
from ._html import write_evidently_html
from ._inputs import check_suite_inputs
from ._judge import JudgeStage, score_judge
from ._judge_client import JudgeCallError, JudgeClient
from ._measure import DATASET_KINDS, measure_suites
from ._scorer import Scorer, evidently_needed
from ._registry import kind_of, scorer, suite_kind, suite_kinds
from ._worker import ScoringWorker, ScoringWorkerError

__all__ = [
    "DATASET_KINDS", "JudgeCallError", "JudgeClient", "JudgeStage", "Scorer", "ScoringWorker", "ScoringWorkerError",
    "check_suite_inputs", "kind_of", "measure_suites", "score_evidently", "score_judge", "scorer", "suite_kind",
    "suite_kinds", "write_evidently_html",
]
