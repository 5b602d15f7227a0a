"""``gatewise promote`` without ``--result``: run the gate, then promote what it wrote if it passed.

Everything promotion needs from the config and the environment is checked before the gate calls
the endpoint, so a missing token or ``promote:`` key costs no gate run and writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..config import GateConfig
from ._pin import GitHubClientFactory, check_registry_input, manifests_token, model_and_source, promote_settings
from ._promote import PromotionResult, promote

if TYPE_CHECKING:
    from ..result import GateResult
    from ..terminal import Console


@dataclass(frozen=True)
class GatedPromotion:
    gate: "GateResult"
    promotion: PromotionResult | None  # None: the gate did not pass, nothing was promoted

    @property
    def exit_code(self) -> int:
        return self.gate.exit_code if self.promotion is None else 0


def gate_and_promote(config: GateConfig, out_dir: str | Path, *, github_client_factory: GitHubClientFactory,
                     dry_run: bool = False, environ: Mapping[str, str] | None = None,
                     console: "Console | None" = None) -> GatedPromotion:
    """Run the gate into ``out_dir``; when it passes, promote its result (see ``promote``)."""
    from ..pipeline import run_gate

    env = os.environ if environ is None else environ
    settings = promote_settings(config)
    name, source = model_and_source(config)
    manifests_token(settings, env)
    check_registry_input(name, source, settings.mlflow.alias)
    gate = run_gate(config, out_dir=out_dir, console=console)
    if gate.exit_code != 0:
        return GatedPromotion(gate, None)
    return GatedPromotion(gate, promote(config, out_dir, github_client_factory=github_client_factory,
                                        dry_run=dry_run, environ=env))
