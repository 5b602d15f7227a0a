"""``gatewise demo``: the example gate end to end, against the stand-in model on a free loopback port.

Needs no network and no configuration: the example gate (``quality/`` in the repository) ships
inside the package as ``gatewise/example``.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from .terminal import Console


def example_config_path() -> Path:
    return Path(__file__).resolve().parent / "example" / "gate.yaml"


def run_demo(*, out_dir: Path, quality: float, latency_ms: float, console: Console, stdout: IO[str]) -> int:
    from .commands import print_verdict
    from .config import load_config
    from .runner import run_gate
    from .standin import Faults, StandinServer, load_answer_table

    config_path = example_config_path()
    base = load_config(config_path, env={})  # the example's defaults, whatever this shell exports
    answers = load_answer_table(base.resolve(base.dataset.path), question_column="question",
                                answer_column="answer")
    with StandinServer(answers=answers, quality=quality, faults=Faults(latency_ms=latency_ms)) as server:
        console.info(f"Stand-in model listening on {server.base_url} (quality {quality:.0%}, {latency_ms:g} ms per call)")
        config = load_config(config_path, env={}, overrides={"endpoint.base_url": server.base_url})
        result = run_gate(config, out_dir=out_dir, console=console)
    print_verdict(result, out_dir)
    print(f"Open {out_dir / 'summary.md'} for the PR-comment view, {out_dir / 'report.html'} for Evidently's report.",
          file=stdout)
    return result.exit_code
