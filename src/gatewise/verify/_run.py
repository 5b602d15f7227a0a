"""``verify``: observe, decide, act, in that order; an earlier run's decision is re-applied as is."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable, Mapping

from ..config import GateConfig
from ..errors import ConfigError
from ..terminal import Console
from ._actions import act, recorded_decision, wants_registry
from ._checks import run_checks
from ._decision import Decision, decide, too_little_traffic
from ._window import Observed


def observe(config: GateConfig, environ: Mapping[str, str] | None = None, *,
            sleep: Callable[[float], None] | None = None) -> Observed:
    """Both sides' serving metrics over the window, from the configured source."""
    verify = config.verify
    if verify.metrics.prometheus is not None:
        from ._prometheus import observe_prometheus

        return observe_prometheus(verify, environ)
    from ._scrape import observe_scrape

    return observe_scrape(verify, **({"sleep": sleep} if sleep else {}))


def verify(config: GateConfig, *, out_dir: str | Path, github_client_factory: Callable,
           console: Console | None = None, environ: Mapping[str, str] | None = None,
           sleep: Callable[[float], None] | None = None) -> Decision:
    """Decide on the live canary and act on it; ``environ`` holds the tokens (default: ``os.environ``).

    Raises ``InputError`` / ``InfraError`` (exit 2 / 3): an unreachable Prometheus or a query without series never completes anything."""
    console = console or Console(quiet=True)
    if config.verify is None:
        raise ConfigError("gatewise verify needs a verify: section (metrics source, checks, actions)",
                          file=config.source)
    out = Path(out_dir)
    if wants_registry(config) and (earlier := recorded_decision(config)) is not None:
        decision = Decision(earlier, (f"decided by an earlier run: {earlier}",), recorded=True)
    else:
        with console.group("Reading the serving metrics"):
            observed = observe(config, environ, sleep=sleep)
        decision = too_little_traffic(config.verify, observed)
        if decision is None:
            checks = run_checks(config.verify, observed)
            quality = None
            if config.verify.quality is not None:
                with console.group("Paired quality check: canary vs champion"):
                    from ._quality import run_quality

                    quality = run_quality(config, out, console)
            decision = decide(checks, observed, quality)
    acted = act(config, decision.outcome, environ=environ, github_client_factory=github_client_factory)
    decision = dataclasses.replace(decision, actions=acted.lines, pr_url=acted.pr_url)
    write_result(decision, out)
    return decision


def to_dict(decision: Decision) -> dict:
    observed = decision.observed
    sides = None
    if observed is not None:
        sides = {side: {"requests": m.requests, "errors": m.errors}
                 for side, m in (("canary", observed.canary), ("champion", observed.champion))}
    quality = decision.quality
    return {
        "schema_version": "gatewise.verify-result/v1",
        "outcome": decision.outcome, "exit_code": decision.exit_code, "reasons": list(decision.reasons),
        "recorded": decision.recorded,
        "source": observed.source if observed else None, "window": observed.window if observed else None,
        "traffic": sides,
        "checks": [c.to_dict() for c in decision.checks],
        "quality": None if quality is None else {
            "passed": quality.passed, "headline": quality.verdict.headline, "rows": quality.verdict.row_count,
            "baseline": quality.baseline.to_dict() if quality.baseline else None},
        "actions": list(decision.actions),
        "manifests_pr_url": decision.pr_url,
    }


def write_result(decision: Decision, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "verify-result.json").write_text(json.dumps(to_dict(decision), indent=2) + "\n", encoding="utf-8")
