"""A gate run in one direction: ``prepare`` (rows, checked) -> ``_sampling`` (samples) ->
``_scoring`` (scores) -> ``_deciding`` (verdict) -> ``_writing`` (reports); ``run_gate`` strings
them together."""

from ._plan import GatePlan, prepare
from ._run import run_gate

__all__ = ["GatePlan", "prepare", "run_gate"]
