"""The one hook the gate calls after its reports are written: log the run when ``tracking:`` is set.

Tracking never decides. The verdict and the exit code are already fixed when this runs; a server
that is down, slow or refusing is a warning on stderr (an ``::warning`` annotation in Actions) and
``tracking-exit-code=3`` in the step outputs, never a failed gate. The delay is bounded twice:
MLflow's HTTP client is given few retries and a short timeout, and the whole logging runs in a
thread the gate waits for at most ``tracking.timeout_s``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from ..config import GateConfig
from ..result import GateResult
from ..terminal import Console
from ..mlflow_http import http_limits

T = TypeVar("T")
DEFAULT_EXPERIMENT = "gatewise"


@dataclass(frozen=True)
class TrackedRun:
    tracking_uri: str  # public: without credentials
    experiment: str
    run_id: str | None  # None: the run could not be logged
    experiment_id: str | None = None
    error: str | None = None

    @property
    def logged(self) -> bool:
        return self.run_id is not None

    @property
    def exit_code(self) -> int:
        """0 logged, 3 not: the step output ``tracking-exit-code`` (never the gate's exit code)."""
        return 0 if self.logged else 3


def tracking_uri(config: GateConfig) -> str:
    """``tracking.uri``, else ``promote.mlflow.tracking_uri``, else a sqlite file next to the config."""
    from ..registry import tracking_uri_or_default

    configured = config.tracking.uri if config.tracking else None
    if not configured and config.promote is not None:
        configured = config.promote.mlflow.tracking_uri
    return tracking_uri_or_default(configured, Path(config.base_dir))


def experiment_name(config: GateConfig) -> str:
    """``tracking.experiment``, else the model's name: one history per model."""
    if config.tracking is not None and config.tracking.experiment:
        return config.tracking.experiment
    return config.model.name if config.model is not None else DEFAULT_EXPERIMENT


def track_gate_run(result: GateResult, config: GateConfig, *, out_dir: str | Path | None,
                   console: Console | None = None, env: Mapping[str, str] | None = None) -> TrackedRun | None:
    """Log ``result`` (and the reports in ``out_dir``) as an MLflow run; None when tracking is off."""
    settings = config.tracking
    if settings is None:
        return None
    from ..actions import annotation, set_outputs
    from ..errors import InputError
    from ..registry import public_uri

    console = console or Console(quiet=True)
    uri = tracking_uri(config)
    experiment = experiment_name(config)
    tracked = _log_within(settings.timeout_s, uri, experiment, result, config,
                          Path(out_dir) if out_dir is not None else None, env, settings.token_env, settings.traces)
    try:
        set_outputs({"mlflow-gate-run-id": tracked.run_id or "", "tracking-exit-code": tracked.exit_code})
    except InputError as exc:  # an unwritable GITHUB_OUTPUT: the gate's own reporting says so
        print(f"gatewise: warning: {exc}", file=console.stream, flush=True)
    if tracked.logged:
        console.info(f"MLflow: gate run {tracked.run_id} in experiment {experiment!r} at {public_uri(uri)}")
    else:
        message = f"the gate run was not logged to MLflow ({tracked.error}); the verdict stands"
        # a warning is shown even with --quiet: the history has a gap someone should know about
        print(f"gatewise: warning: {message}", file=console.stream, flush=True)
        if console.github:
            print(annotation(message, level="warning", title="gatewise tracking"), flush=True)
    return tracked


def _log_within(timeout_s: float, uri: str, experiment: str, result: GateResult, config: GateConfig,
                out_dir: Path | None, env: Mapping[str, str] | None, token_env: str, traces: bool) -> TrackedRun:
    from ..errors import GatewiseError
    from ..registry import connect, public_uri
    from ..registry._errors import registry_errors
    from ._context import run_context
    from ._log import log_tracked_run

    shown = public_uri(uri)
    context = run_context(Path(config.base_dir), env)

    def work() -> tuple[str, str]:
        client = connect(uri)
        with registry_errors(client, f"logging the gate run in experiment {experiment!r}"):
            return log_tracked_run(client, uri, experiment, result, out_dir, context, traces=traces)

    try:
        with http_limits(token_env, env):
            experiment_id, run_id = _within(timeout_s, work)
    except TimeoutError:
        return TrackedRun(shown, experiment, None, error=f"MLflow at {shown} did not finish within {timeout_s:g} s")
    except GatewiseError as exc:
        return TrackedRun(shown, experiment, None, error=str(exc))
    except Exception as exc:  # tracking never fails the gate, whatever MLflow raised
        from ..registry._uri import scrub_credentials

        return TrackedRun(shown, experiment, None, error=scrub_credentials(f"{type(exc).__name__}: {exc}")[:500])
    return TrackedRun(shown, experiment, run_id, experiment_id)


def _within(timeout_s: float, work: Callable[[], T]) -> T:
    """``work()``, or TimeoutError after ``timeout_s``; the thread left behind is a daemon, so it
    never keeps the process (and the job) alive."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="gatewise-tracking", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
