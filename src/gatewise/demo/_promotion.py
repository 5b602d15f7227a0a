"""The demo's promotion: a promotable copy of the example gate, the local manifests repository,
the promotion itself, and where to look afterwards."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DEMO_REPO = "demo/ai-manifests"
MANIFEST_PATH = "kserve/qa-assistant/inferenceservice.yaml"
# the local API accepts only the tokens it is given; this one exists only inside the demo
DEMO_TOKEN = "demo-token-for-the-local-github-api"
TOKEN_ENV = "GATEWISE_MANIFESTS_TOKEN"
CANARY_PERCENT = 10


@dataclass(frozen=True)
class DemoWorkspace:
    config: Path  # the example gate plus a promote: section
    tracking_uri: str  # sqlite:///… in the demo directory
    database: Path


def prepare_workspace(example_dir: Path, out_dir: Path, api_url: str) -> DemoWorkspace:
    """Copy the example gate into ``out_dir/quality`` and give it a ``promote:`` section."""
    quality = out_dir / "quality"
    shutil.copytree(example_dir, quality, dirs_exist_ok=True)
    database = (out_dir / "mlflow" / "mlruns.db").resolve()
    tracking_uri = f"sqlite:///{database.as_posix()}"
    config = quality / "gate.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.rstrip("\n") + f"""

# added by `gatewise demo`: promote into a local MLflow and a local manifests repository
promote:
  mlflow: {{ tracking_uri: "{tracking_uri}", experiment: gatewise-demo, alias: candidate }}
  manifests:
    repo: {DEMO_REPO}
    path: {MANIFEST_PATH}
    set: {{ "spec.predictor.model.storageUri": "{{model.source}}" }}
    token_env: {TOKEN_ENV}
    api_url: {api_url}
  canary: {{ traffic_percent: {CANARY_PERCENT} }}
""", encoding="utf-8")
    return DemoWorkspace(config, tracking_uri, database)


def manifest_text() -> str:
    return (Path(__file__).resolve().parent / "inferenceservice.yaml").read_text(encoding="utf-8")


def promote_demo(config: Any, out_dir: Path, workspace: DemoWorkspace, api: Any, stdout: IO[str]) -> None:
    """Promote the passing gate in ``out_dir`` and print where each piece landed."""
    from ..forge import github_client
    from ..promotion import promote

    done = promote(config, out_dir, github_client_factory=github_client, environ={TOKEN_ENV: DEMO_TOKEN})
    branch = f"gatewise/{done.model_name}-v{done.version}"
    edited = api.file(DEMO_REPO, MANIFEST_PATH, branch) if done.pr_number else None
    saved = out_dir / "manifests" / MANIFEST_PATH
    if edited is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(edited, encoding="utf-8")
    (out_dir / "manifests.diff").write_text(done.diff, encoding="utf-8")

    registered = "registered" if done.created else "already registered (same source, same commit)"
    lines = ["", "Promotion:",
             f"  MLflow: model {done.model_name} version {done.version} {registered}, alias {done.alias}, "
             f"run {done.run_id}",
             f"    look: mlflow ui --backend-store-uri {workspace.tracking_uri}"]
    if done.pr_number:
        lines += [f"  Manifests PR #{done.pr_number} in {DEMO_REPO} (local GitHub API, gone when the demo ends):",
                  f"    branch {branch}: {MANIFEST_PATH}, {CANARY_PERCENT}% canary traffic",
                  f"    edited file: {saved}", f"    diff: {out_dir / 'manifests.diff'}", ""]
        print("\n".join(lines), file=stdout)
        print(done.diff, end="", file=stdout)
    else:
        lines.append(f"  {DEMO_REPO}:{MANIFEST_PATH} already pins {done.source}: no pull request")
        print("\n".join(lines), file=stdout)
    print(f"\nThe promotable gate config: {workspace.config} (gatewise promote --help, gatewise rollback --help)",
          file=stdout)
