"""The demo after the canary PR: a simulated sync (the PR merged; a champion and a canary stand-in
serving traffic), then ``gatewise verify`` reading their own ``/metrics`` and running the paired
quality check, ending in the completion PR or, with ``--canary-regression``, the rollback PR."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Mapping

from ..terminal import Console
from ._promotion import DEMO_REPO, DEMO_TOKEN, TOKEN_ENV, DemoWorkspace

# what the demo's champion pinned before this promotion (the demo manifest's storageUri)
CHAMPION_SOURCE = "hf://gatewise/qa-assistant@v0"
WINDOW_S = 3.0


def seed_champion(workspace: DemoWorkspace, model_name: str) -> None:
    """An earlier version as champion, so that a rollback has somewhere to go."""
    from ..registry import Lineage, connect, register_version

    register_version(connect(workspace.tracking_uri), model_name, CHAMPION_SOURCE, None, Lineage(),
                     alias="champion")


def verify_demo(workspace: DemoWorkspace, api: Any, out_dir: Path, *, answers: Mapping[str, str],
                quality: float, latency_ms: float, regression: bool, console: Console, stdout: IO[str]) -> int:
    from ..config import load_config
    from ..forge import github_client
    from ..standin import Faults, StandinServer
    from ..verify import summary_lines, verify

    config = load_config(workspace.config, env={})
    name = config.model.name
    version = _candidate(workspace, name)
    api.merge(DEMO_REPO, f"gatewise/{name}-v{version}")  # Argo CD would now sync the canary
    healthy = Faults(latency_ms=latency_ms, jitter_ms=latency_ms / 4, seed=1)
    canary_faults = (Faults(latency_ms=latency_ms * 3, jitter_ms=latency_ms / 4, error_rate=0.1, seed=2)
                     if regression else Faults(latency_ms=latency_ms, jitter_ms=latency_ms / 4, seed=2))
    with StandinServer(answers=answers, quality=quality, faults=healthy) as champion, \
            StandinServer(answers=answers, quality=0.6 if regression else quality, seed=3 if regression else 0,
                          faults=canary_faults) as canary:
        _add_verify_section(workspace.config, canary, champion)
        what = "slower, erring and less accurate" if regression else "as good as the champion"
        print(f"\nVerify: the canary PR is merged; a champion and a canary stand-in ({what}) serve traffic, "
              f"their /metrics scraped {WINDOW_S:g} s apart", file=stdout)
        stop = threading.Event()
        traffic = threading.Thread(target=_traffic, args=((canary.base_url, champion.base_url), list(answers), stop),
                                   daemon=True)
        traffic.start()
        try:
            decision = verify(load_config(workspace.config, env={}), out_dir=out_dir / "verify",
                              github_client_factory=github_client, console=console, environ={TOKEN_ENV: DEMO_TOKEN})
        finally:
            stop.set()
            traffic.join(10)
    print("\n".join(summary_lines(decision)), file=stdout)
    print(f"Decision: {out_dir / 'verify' / 'verify-result.json'}", file=stdout)
    return decision.exit_code


def _candidate(workspace: DemoWorkspace, name: str) -> str:
    from ..registry import alias_version, connect

    return alias_version(connect(workspace.tracking_uri), name, "candidate")


def _add_verify_section(config: Path, canary: Any, champion: Any) -> None:
    text = config.read_text(encoding="utf-8").split("\n# added by `gatewise demo verify`")[0]
    config.write_text(text.rstrip("\n") + f"""

# added by `gatewise demo verify`: the two stand-ins' own /metrics, and the paired quality check
verify:
  metrics:
    scrape: {{ canary: "{canary.root_url}/metrics", champion: "{champion.root_url}/metrics", window_s: {WINDOW_S:g} }}
  min_requests: 50
  checks:
    latency_p95: {{ max_ratio: 1.5 }}
    error_rate: {{ max_increase: 0.02 }}
  quality: {{ canary_url: "{canary.base_url}", champion_url: "{champion.base_url}", sample: 20 }}
""", encoding="utf-8")


def _traffic(urls: tuple[str, ...], questions: list[str], stop: threading.Event) -> None:
    """Users of both revisions, four at a time each, until the window is over."""
    import httpx

    with httpx.Client(timeout=10) as client, ThreadPoolExecutor(8) as pool:
        def one(url: str, question: str) -> None:
            try:
                client.post(url + "/chat/completions", json={
                    "model": "standin-model", "messages": [{"role": "user", "content": f"Question: {question}"}]})
            except httpx.HTTPError:
                pass  # a user whose request failed; the canary's metrics count it

        n = 0
        while not stop.is_set():
            list(pool.map(lambda i: one(urls[i % 2], questions[(n + i) % len(questions)]), range(8)))
            n += 8
