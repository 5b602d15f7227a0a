"""gatewise: quality gates and GitOps promotion for model and prompt changes.

The public API is re-exported here lazily, so ``import gatewise`` and ``gatewise --help`` stay fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_config": "gatewise.config",
    "GateConfig": "gatewise.config",
    "run_gate": "gatewise.pipeline",
    "prepare": "gatewise.pipeline",
    "GateResult": "gatewise.result",
    "Verdict": "gatewise.result",
    "Sample": "gatewise.samples",
    "Score": "gatewise.scores",
    "GatewiseError": "gatewise.errors",
    "InputError": "gatewise.errors",
    "InfraError": "gatewise.errors",
    "StandinServer": "gatewise.standin",
    "Faults": "gatewise.standin",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'gatewise' has no attribute {name!r}")
