"""``publish``: a gate run's verdict shown where people look — the job summary, annotations on
the config's threshold lines, step outputs, and on a pull request the sticky comment and the
commit status. Local outputs are written first, so a GitHub error never hides the verdict."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Mapping

from ..actions import GitHubContext, annotation, append_step_summary, set_outputs
from ..errors import GitHubError, InputError
from ..forge import (CommentRef, comment_body, comment_room, github_client, set_commit_status, sticky_key,
                     sticky_marker, upsert_sticky_comment)
from ..report import SUMMARY_FILE
from ._feedback import Feedback, feedback_for_gate_error, feedback_from_run
from ._load import load_gate_run

if TYPE_CHECKING:
    import github

DEFAULT_CONFIG = "quality/gate.yaml"  # the gate's own default
JOB_SUMMARY_CHARS = 60_000
ClientFactory = Callable[[str, str], "github.Github"]


@dataclass(frozen=True)
class PublishOptions:
    out_dir: Path
    config: str | None = None  # default: the path in gate-result.json, else quality/gate.yaml
    comment: bool = True
    status: bool = True
    token_env: str = "GITHUB_TOKEN"
    gate_exit_code: int | None = None  # the gate step's exit code; 2/3/... means it could not run
    gate_error: str | None = None  # what the gate said when it could not run
    status_context: str | None = None  # default gatewise/<model name or config name>


@dataclass(frozen=True)
class Published:
    feedback: Feedback
    summary_path: Path
    comment: CommentRef | None = None
    status_state: str | None = None  # what the commit status was set to, None if not set
    notes: tuple[str, ...] = field(default_factory=tuple)  # why something was not posted


def publish(options: PublishOptions, context: GitHubContext, *, env: Mapping[str, str] | None = None,
            client_factory: ClientFactory = github_client, stream: IO[str] | None = None) -> Published:
    """Raises ``InputError`` (nothing written) for a missing result and ``GitHubError`` after the
    local outputs are written when GitHub refused or could not be reached."""
    env = os.environ if env is None else env
    stream = stream or sys.stdout
    feedback = _feedback(options, context)
    summary_path = _summary_file(options.out_dir, feedback)
    marker = sticky_marker(sticky_key(feedback.config_path, context.workspace))

    notes: list[str] = []
    errors: list[GitHubError] = []
    comment = status_state = None
    token = env.get(options.token_env) or None
    skip = _why_not_post(options, context, token)
    if skip is not None:
        message, loud = skip
        if loud:
            notes.append(message)
        else:
            print(f"gatewise: {message}", file=sys.stderr)
    else:
        assert token is not None and context.repository and context.pr_number is not None
        client = client_factory(token, context.api_url)
        if options.comment:
            footer = _footer(context)
            body = comment_body(marker, feedback.markdown(comment_room(marker, footer)), footer=footer)
            try:
                comment = upsert_sticky_comment(client, context.repository, context.pr_number, marker, body)
            except GitHubError as exc:
                errors.append(exc)
        if options.status and context.status_sha:
            try:
                set_commit_status(client, context.repository, context.status_sha, state=feedback.state,
                                  description=feedback.headline, context=_status_context(options, feedback),
                                  target_url=context.run_url)
                status_state = feedback.state
            except GitHubError as exc:
                errors.append(exc)
    notes.extend(f"Could not post to GitHub: {exc}" for exc in errors)

    _write_job_summary(feedback, notes, env)
    _annotate(feedback, context, notes, stream)
    set_outputs({
        "passed": feedback.passed,
        "exit-code": feedback.exit_code,
        "result-path": feedback.result_path or "",
        "summary-path": summary_path,
        "comment-url": (comment.url if comment else "") or "",
    }, env)
    if errors:
        raise GitHubError("; ".join(str(e) for e in errors))
    return Published(feedback, summary_path, comment, status_state, tuple(notes))


def _feedback(options: PublishOptions, context: GitHubContext) -> Feedback:
    code = options.gate_exit_code
    if code is not None and code not in (0, 1):
        # any gate-result.json in --out is from an earlier run: this one decided nothing
        config = options.config or DEFAULT_CONFIG
        return feedback_for_gate_error(code, _repo_path(config, context), model_name=_model_name(config),
                                       reason=options.gate_error)
    run = load_gate_run(options.out_dir)
    if code is not None and code != run.result.exit_code:
        raise InputError(f"{run.result_path} says the gate {'passed' if run.result.passed else 'failed'} "
                         f"(exit {run.result.exit_code}) but the gate step exited {code}: the file is stale "
                         "or from another run")
    return feedback_from_run(run, _repo_path(options.config or run.result.config_path, context))


def _why_not_post(options: PublishOptions, context: GitHubContext, token: str | None) -> tuple[str, bool] | None:
    """Why nothing goes to GitHub, and whether that deserves a warning (None: post)."""
    if not (options.comment or options.status):
        return "PR comment and commit status turned off (--no-comment --no-status).", False
    if not context.is_pull_request:
        return (f"No PR comment or commit status: this run is not for a pull request "
                f"(event {context.event_name or 'unknown'})."), False
    if context.read_only_token:
        source = f" ({context.head_repository})" if context.head_repository else ""
        return (f"This pull request comes from a fork{source}. GitHub gives such runs a read-only token and no "
                "secrets, so gatewise posted no PR comment and no commit status; the verdict is this summary "
                "and the job's own result."), True
    if token is None:
        return (f"No PR comment or commit status: no GitHub token (the environment variable "
                f"{options.token_env} is unset or empty)."), True
    if not context.repository:
        return "No PR comment or commit status: GITHUB_REPOSITORY is not set.", True
    return None


def _summary_file(out_dir: Path, feedback: Feedback) -> Path:
    """summary.md as the gate wrote it; for a gate that could not run, the red summary written there."""
    path = Path(out_dir) / SUMMARY_FILE
    if feedback.run is not None and feedback.run.summary_path is not None:
        return feedback.run.summary_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(feedback.markdown(JOB_SUMMARY_CHARS), encoding="utf-8")
    return path


def _write_job_summary(feedback: Feedback, notes: list[str], env: Mapping[str, str]) -> None:
    body = feedback.markdown(JOB_SUMMARY_CHARS)
    extra = "".join(f"\n> **Note:** {note}\n" for note in notes)
    append_step_summary(body.rstrip("\n") + "\n" + extra, env)


def _annotate(feedback: Feedback, context: GitHubContext, notes: list[str], stream: IO[str]) -> None:
    file = feedback.config_path
    lines: list[str] = []
    if feedback.run is None:
        lines.append(_line("error", feedback.headline, context, title="gatewise gate could not run"))
    for item in feedback.failures:
        lines.append(_line("error", item.message, context, file=file, line=item.line,
                           title=f"gatewise: {item.key} failed"))
    lines.extend(_line("warning", note, context, title="gatewise publish") for note in notes)
    for text in lines:
        print(text, file=stream, flush=True)


def _line(level: str, message: str, context: GitHubContext, *, file: str | None = None, line: int | None = None,
          title: str | None = None) -> str:
    if context.in_actions:
        return annotation(message, level=level, file=file, line=line, title=title)
    where = ":".join(str(p) for p in (file, line) if p is not None)
    return f"gatewise: {level}: {where + ': ' if where else ''}{message}"


def _footer(context: GitHubContext) -> str:
    parts = ["gatewise"]
    if context.status_sha:
        parts.append(f"commit `{context.status_sha[:12]}`")
    if context.run_url:
        parts.append(f"[workflow run]({context.run_url}) · [reports in its artifacts]({context.run_url}#artifacts)")
    return "<sub>" + " · ".join(parts) + "</sub>"


def _status_context(options: PublishOptions, feedback: Feedback) -> str:
    if options.status_context:
        return options.status_context
    if feedback.model_name:
        return f"gatewise/{feedback.model_name}"
    stem = Path(feedback.config_path)
    return f"gatewise/{stem.with_suffix('').as_posix()}" if stem.suffix in (".yaml", ".yml") else f"gatewise/{stem}"


def _repo_path(config: str, context: GitHubContext) -> str:
    """The config path relative to the checkout, as annotations and the sticky marker need it."""
    path = Path(config)
    if path.is_absolute():
        for root in (context.workspace, os.getcwd()):
            if root:
                try:
                    return path.relative_to(root).as_posix()
                except ValueError:
                    continue
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


def _model_name(config: str) -> str | None:
    """``model.name`` read from the config as written (no ``${VAR}`` interpolation), so the status
    context matches the one a run with a result would use."""
    try:
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load(Path(config).read_text(encoding="utf-8"))
        name = data["model"]["name"]
    except Exception:  # a config the gate could not read is exactly the case being reported
        return None
    return name if isinstance(name, str) and name.strip() and "$" not in name else None
