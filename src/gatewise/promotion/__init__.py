"""``gatewise promote``: a passing, current gate result becomes an MLflow model version (with an
alias) and one pull request in the manifests repository that pins it.

Order, so that bad input never leaves anything behind: check the gate result and the config, read
the manifest and validate every edit, then (unless ``dry_run``) log the MLflow run, register the
version, and write the branch, the commit and the pull request. Every step is safe to repeat.

``complete`` (after a canary) and ``rollback`` move the ``champion`` alias with a PR pinning
the version it lands on.
"""

from ._champion import ChampionMove, complete, rollback
from ._gate_first import GatedPromotion, gate_and_promote
from ._gate_result import check_gate_result
from ._promote import PromotionResult, promote

__all__ = ["ChampionMove", "GatedPromotion", "PromotionResult", "check_gate_result", "complete", "gate_and_promote",
           "promote", "rollback"]
