"""The gate run's old address: ``run_gate``, ``prepare`` and ``GatePlan`` now live in ``gatewise.pipeline``."""

from .pipeline import GatePlan, prepare, run_gate

__all__ = ["GatePlan", "prepare", "run_gate"]
