"""The manifests pull request's title and body: verdict, thresholds, registry and lineage."""

from __future__ import annotations

from typing import Any, Mapping

from ..readable import readable
from ..registry import Lineage, RegisteredVersion
from ..report import escape_inline

MARKER = "<!-- gatewise:promote:{name} -->"


def pull_title(name: str, version: str, source: str) -> str:
    return f"gatewise: promote {name} v{version} ({source})"


def pull_body(document: Mapping[str, Any], *, name: str, source: str, version: RegisteredVersion, run_id: str,
              lineage: Lineage, tracking_uri: str, canary: int | None = None) -> str:
    lines = [MARKER.format(name=name), f"## gatewise: promote `{name}` v{version.version}", "",
             f"**{escape_inline(str(document.get('headline') or ''))}**", "",
             "| threshold | target | value | |", "| --- | --- | --- | --- |"]
    for item in document.get("thresholds") or []:
        value = item.get("value")
        shown = "n/a" if value is None else readable(value)
        key = f"{item.get('metric')}.{item.get('statistic')}"
        lines.append(f"| `{key}` | `{item.get('expression')}` | {shown} | {'✅' if item.get('passed') else '❌'} |")
    lines += ["", f"- pins: `{source}`"]
    if canary is not None:
        lines.append(f"- canary: {canary}% of traffic to this version; after watching it, "
                     "`gatewise promote --complete` moves all traffic and the `champion` alias")
    lines.append(f"- MLflow: model `{name}` version {version.version} (alias `{version.alias}`), "
                 f"run `{run_id}` on {tracking_uri}")
    if lineage.repository and lineage.git_sha:
        lines.append(f"- source commit: {lineage.repository}@{lineage.git_sha}")
    elif lineage.git_sha:
        lines.append(f"- source commit: {lineage.git_sha}")
    if lineage.repository and lineage.source_pr:
        lines.append(f"- source pull request: {lineage.repository}#{lineage.source_pr}")
    if lineage.workflow_run_url:
        lines.append(f"- workflow run: {lineage.workflow_run_url}")
    return "\n".join(lines) + "\n"


def champion_title(name: str, version: str, source: str, *, rollback: bool) -> str:
    return f"gatewise: {'roll back' if rollback else 'complete'} {name} to v{version} ({source})"


def champion_body(*, name: str, version: str, source: str, run_id: str | None, previous: str | None,
                  rollback: bool, canary_path: str | None, tracking_uri: str) -> str:
    """The body of a completion or rollback PR: what is pinned, where the alias moves from and to."""
    what = "roll back" if rollback else "complete the rollout of"
    lines = [MARKER.format(name=name), f"## gatewise: {what} `{name}` v{version}", "",
             f"- pins: `{source}`"]
    if canary_path is not None:
        lines.append(f"- `{canary_path}`: 100 (all traffic to this version)")
    moved = f"from version {previous} " if previous else ""
    lines.append(f"- MLflow: alias `champion` of `{name}` moves {moved}to version {version}"
                 + (f" (run `{run_id}`)" if run_id else "") + f" on {tracking_uri}")
    return "\n".join(lines) + "\n"
