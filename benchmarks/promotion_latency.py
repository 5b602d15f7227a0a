"""What a promotion costs once the gate has passed, and what a manifest edit costs.

One gate run of the example config against the stand-in (not timed), then, against the embedded
MLflow (a sqlite file in a temp dir) and the local GitHub API (``gatewise.localgithub``):
``--promotions`` promotions of new sources (gate run logged, version registered, one commit with
two files, PR opened, the previous PR closed as superseded), the same number of idempotent
re-runs, then ``promote --complete`` and a rollback. Also ``set_or_add`` on the realistic KServe
manifest of the tests. Run: ``PYTHONPATH=src .venv/bin/python benchmarks/promotion_latency.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from gatewise.config import load_config
from gatewise.demo import example_config_path
from gatewise.forge import github_client
from gatewise.localgithub import GitHubAPI
from gatewise.manifests import ManifestEdit, set_or_add
from gatewise.promotion import complete, promote, rollback
from gatewise.runner import run_gate
from gatewise.standin import StandinServer, load_answer_table

REPO = Path(__file__).resolve().parents[1]
MANIFEST = (REPO / "tests" / "data" / "manifests" / "inferenceservice.yaml").read_text(encoding="utf-8")
VALUES = "model:\n  revision: v0  # pinned\nreplicas: 2\n"
TOKEN = "bench-token"


def _config_text(example: str, tracking_uri: str, api_url: str) -> str:
    return example.rstrip("\n") + f"""
promote:
  mlflow: {{ tracking_uri: "{tracking_uri}", experiment: bench }}
  manifests:
    repo: bench/manifests
    api_url: {api_url}
    files:
      - {{ path: isvc.yaml, set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }} }}
      - {{ path: values.yaml, set: {{ model.revision: "v{{registry.version}}" }} }}
  canary: {{ traffic_percent: 10 }}
"""


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _line(label: str, seconds: list[float]) -> None:
    print(f"{label}: n={len(seconds)} median {statistics.median(seconds) * 1000:.0f} ms, "
          f"max {max(seconds) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--promotions", type=int, default=10)
    parser.add_argument("--edits", type=int, default=2000)
    args = parser.parse_args()

    edits = [ManifestEdit("spec.predictor.canaryTrafficPercent", 10),
             ManifestEdit("spec.predictor.model.storageUri", "hf://org/qa-model@9a8b7c6"),
             ManifestEdit("spec.predictor.containers[name=kserve-container].args[--model_revision]", "9a8b7c6")]
    started = time.perf_counter()
    for _ in range(args.edits):
        set_or_add(MANIFEST, edits)
    per_edit = (time.perf_counter() - started) / args.edits
    print(f"set_or_add, 3 edits (one adds a key) on a 50-line InferenceService: {per_edit * 1e6:.0f} µs per call")

    example = example_config_path()
    with tempfile.TemporaryDirectory() as tmp, GitHubAPI() as api, \
            StandinServer(answers=load_answer_table(example.parent / "data" / "golden.jsonl"), quality=1.0) as model:
        work = Path(tmp)
        for folder in ("data", "prompts"):  # gate.yaml is written below, with a promote: section
            shutil.copytree(example.parent / folder, work / folder)
        api.add_token(TOKEN)
        api.add_repo("bench/manifests", files={"isvc.yaml": MANIFEST, "values.yaml": VALUES})
        environ = {"GATEWISE_MANIFESTS_TOKEN": TOKEN, "GITHUB_SHA": "b" * 40}
        uri = f"sqlite:///{work / 'mlruns.db'}"
        config_path = work / "gate.yaml"
        config_path.write_text(_config_text(example.read_text(encoding="utf-8"), uri, api.base_url), encoding="utf-8")
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

        configs, firsts, reruns = [], [], []
        for index in range(args.promotions):
            overrides = {"endpoint.base_url": model.base_url, "model.source": f"hf://org/qa-model@rev{index}"}
            config = load_config(config_path, env={}, overrides=overrides)
            out = work / f"out{index}"
            run_gate(config, out_dir=out)
            configs.append((config, out))
        for config, out in configs:
            firsts.append(_timed(lambda: promote(config, out, github_client_factory=github_client, environ=environ)))
        for config, out in configs[-1:] * args.promotions:
            reruns.append(_timed(lambda: promote(config, out, github_client_factory=github_client, environ=environ)))
        config = configs[-1][0]
        done = _timed(lambda: complete(config, github_client_factory=github_client, environ=environ))
        back = _timed(lambda: rollback(config, github_client_factory=github_client, to="1", environ=environ))

    _line("promote (first MLflow use included in the first)", firsts)
    _line("promote, idempotent re-run", reruns)
    print(f"promote --complete: {done * 1000:.0f} ms; rollback --to 1: {back * 1000:.0f} ms")


if __name__ == "__main__":
    main()
