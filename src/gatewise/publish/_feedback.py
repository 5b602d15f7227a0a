"""What a gate run tells people, independent of where it is shown: the verdict as Markdown within
a budget, the commit-status state and line, and the failed thresholds to annotate.

Two sources: a gate result read from ``--out``, or a gate that ended before it produced one
(exit 2 or 3), which is reported as red, never as a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..readable import counted, readable
from ..report import code_block, code_span, escape_inline, redact_secrets, render_summary
from ._load import GateRun

FAIL_MARK = "❌"
REASON_CHARS = 1_000
EXIT_MEANINGS = {
    2: "bad input: the config, dataset, pin or a secret it needs",
    3: "infrastructure: the endpoint, judge, MLflow or GitHub could not be reached",
    130: "interrupted",
}


@dataclass(frozen=True)
class FailedThreshold:
    key: str  # metric.statistic
    message: str  # one plain line: value against target
    line: int | None  # where the threshold is in the config


@dataclass(frozen=True)
class Feedback:
    passed: bool
    exit_code: int  # the gate's: 0 passed, 1 failed, 2/3 could not run
    state: str  # commit status: success, failure or error
    headline: str  # one plain line
    config_path: str
    model_name: str | None
    failures: tuple[FailedThreshold, ...] = ()
    run: GateRun | None = None
    reason: str | None = None  # why the gate could not run, as it said

    @property
    def result_path(self) -> Path | None:
        return self.run.result_path if self.run else None

    def markdown(self, max_chars: int) -> str:
        """The summary for a PR comment or the job summary, never longer than ``max_chars``."""
        if self.run is None:
            return _fit(self._could_not_run(), max_chars)
        if self.run.rows_loaded:
            return render_summary(self.run.result, max_chars=max_chars)
        if self.run.summary_path is not None:
            return _fit(self.run.summary_path.read_text(encoding="utf-8"), max_chars)
        note = "\n_The failing rows are not shown: `results.jsonl` was not found beside `gate-result.json`._\n"
        return render_summary(self.run.result, max_chars=max(0, max_chars - len(note))) + note

    def _could_not_run(self) -> str:
        title = f"## {FAIL_MARK} gatewise gate could not run"
        if self.model_name:
            title += f": {escape_inline(self.model_name)}"
        meaning = EXIT_MEANINGS.get(self.exit_code, "it ended before deciding")
        parts = [title,
                 f"**The gate ended with exit code {self.exit_code} ({escape_inline(meaning)}) before it produced "
                 "a result, so nothing was decided. This is not a pass.**"]
        if self.reason:
            reason = redact_secrets(self.reason)
            short = reason[:REASON_CHARS] + (" …" if len(reason) > REASON_CHARS else "")
            parts.append("What it said:\n\n" + code_block(short))
        parts.append(f"Config {code_span(self.config_path)}. The job's log has the details; fix the cause and "
                     "re-run the job.")
        return "\n\n".join(parts) + "\n"


def feedback_from_run(run: GateRun, config_path: str) -> Feedback:
    result = run.result
    failures = tuple(
        FailedThreshold(
            key=item.threshold.key,
            message=(f"{item.threshold.key} = {_plain_value(item.threshold.statistic, item.value)}, "
                     f"target {item.threshold.expression}"
                     + (" (max_errors)" if item.implicit else "") + f", over {counted(item.n, 'row')}"),
            line=item.threshold.line,
        )
        for item in result.verdict.failed
    )
    return Feedback(passed=result.passed, exit_code=result.exit_code,
                    state="success" if result.passed else "failure", headline=result.verdict.headline,
                    config_path=config_path, model_name=result.model_name, failures=failures, run=run)


def feedback_for_gate_error(exit_code: int, config_path: str, *, model_name: str | None = None,
                            reason: str | None = None) -> Feedback:
    meaning = EXIT_MEANINGS.get(exit_code, "it ended before deciding")
    said = f": {' '.join(reason.split())}" if reason and reason.strip() else f" ({meaning})"
    return Feedback(passed=False, exit_code=exit_code, state="error",
                    headline=f"gate could not run (exit {exit_code}){said}", config_path=config_path,
                    model_name=model_name, reason=reason.strip() if reason and reason.strip() else None)


def _plain_value(statistic: str, value: float | None) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{value * 100:.1f}%" if statistic in ("pass_rate", "rate") else readable(value)


def _fit(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    note = f"\n\n_… cut to stay under {max_chars:,} characters; the full results are in the job's artifacts._\n"
    end = text.rfind("\n", 0, max(0, max_chars - len(note)))
    return text[:max(end, 0)] + note if end > 0 else text[:max_chars]
