"""Run the demo: the stand-in model and the local GitHub API on free loopback ports, the gate, and
(when it passes) the promotion, the simulated sync and ``verify``."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from ..terminal import Console


def example_config_path() -> Path:
    return Path(__file__).resolve().parent.parent / "example" / "gate.yaml"


def run_demo(*, out_dir: Path, quality: float, latency_ms: float, console: Console, stdout: IO[str],
             promote: bool = True, canary_regression: bool = False) -> int:
    from ..config import load_config
    from ..localgithub import GitHubAPI
    from ..pipeline import run_gate
    from ..standin import Faults, StandinServer, load_answer_table
    from ..verdict_lines import print_verdict
    from ._promotion import DEMO_REPO, DEMO_TOKEN, MANIFEST_PATH, manifest_text, prepare_workspace, promote_demo
    from ._verify import seed_champion, verify_demo

    example = example_config_path()
    base = load_config(example, env={})  # the example's defaults, whatever this shell exports
    answers = load_answer_table(base.resolve(base.dataset.path), question_column="question",
                                answer_column="answer")
    with StandinServer(answers=answers, quality=quality, faults=Faults(latency_ms=latency_ms)) as server, \
            GitHubAPI() as api:
        console.info(f"Stand-in model listening on {server.base_url} (quality {quality:.0%}, {latency_ms:g} ms per call)")
        config_path = example
        if promote:
            api.add_token(DEMO_TOKEN)
            api.add_repo(DEMO_REPO, files={MANIFEST_PATH: manifest_text()})
            workspace = prepare_workspace(example.parent, out_dir, api.base_url)
            config_path = workspace.config
        # every demo gate run is logged to the local MLflow: run it twice and compare the two runs
        tracking = f"sqlite:///{(out_dir / 'mlflow' / 'mlruns.db').resolve().as_posix()}"
        config = load_config(config_path, env={}, overrides={"endpoint.base_url": server.base_url,
                                                            "tracking.uri": tracking})
        result = run_gate(config, out_dir=out_dir, console=console)
        print_verdict(result, out_dir)
        print(f"MLflow: the gate run is in experiment {config.model.name if config.model else 'gatewise'!r}; "
              f"see it (and compare runs) with: mlflow ui --backend-store-uri {tracking}", file=stdout)
        print(f"Open {out_dir / 'summary.md'} for the PR-comment view, {out_dir / 'report.html'} for Evidently's "
              "report.", file=stdout)
        if not promote:
            return result.exit_code
        if result.exit_code != 0:
            print("The gate did not pass, so nothing is promoted (try the default --quality).", file=stdout)
            return result.exit_code
        if canary_regression:
            seed_champion(workspace, config.model.name)
        promote_demo(config, out_dir, workspace, api, stdout)
        return verify_demo(workspace, api, out_dir, answers=answers, quality=quality, latency_ms=latency_ms,
                           regression=canary_regression, console=console, stdout=stdout)
