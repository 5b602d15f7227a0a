"""``summary.md``: the Markdown that the PR comment and the GitHub job summary both show.

``render_summary`` is pure, so the forge and actions code can reuse it with their own limits.
Dataset text and model outputs are untrusted; ``_format`` makes them inert, ``_redact`` masks
anything shaped like a credential.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..config._thresholds import STATISTICS
from ..endpoint import ConcurrencyStats
from ..readable import counted
from ..result import GateResult, ThresholdResult
from ._atomic import atomic_writer
from ._format import (RATE_STATISTICS, code_block, code_span, escape_inline, format_delta, format_number,
                      format_value, is_missing, shorten, table_row)
from ._redact import redact_secrets
from ._row_facts import row_facts
from ._rows import RowOutcome, failing_outcomes, worst_first
from ._summary_stats import baseline_section, repeats_section

SUMMARY_FILE = "summary.md"
GITHUB_COMMENT_LIMIT = 65_536  # characters in an issue or PR comment body

OUTPUT_CHARS = 400
QUESTION_CHARS = 200
ERROR_CHARS = 300
HEADLINE_CHARS = 300
CHECKS_LISTED = 20
_NOTES_RESERVE = 500  # room kept for the lines that say what was left out

PASS_MARK, FAIL_MARK = "✅", "❌"
METRICS_OMITTED = "_The table of every metric statistic was left out to fit; it is in `gate-result.json`._"


def render_summary(result: GateResult, *, max_rows: int = 10, max_chars: int = 60_000) -> str:
    """The whole summary, never longer than ``max_chars``: rows are dropped first, then it is cut."""
    head = [_verdict(result), _context(result), _threshold_table(result)]
    head.extend(part for part in (repeats_section(result), baseline_section(result)) if part)
    metrics = _metric_details(result)
    failing = worst_first(failing_outcomes(result))
    candidates = failing[:max(0, max_rows)]
    show_repeat = any(s.repeat for s in result.samples)

    budget = max_chars - len("\n\n".join([*head, metrics])) - _NOTES_RESERVE
    blocks: list[str] = []
    for number, outcome in enumerate(candidates, start=1):
        block = _row_block(number, outcome, show_repeat, result.expected_columns)
        if len(block) + 2 > budget:
            break
        blocks.append(block)
        budget -= len(block) + 2
    rows = _rows_section(blocks, len(failing), len(candidates) - len(blocks), max_chars)
    doc = _join(*head, metrics, rows)
    if len(doc) <= max_chars:
        return doc

    # the fixed parts alone are too long (a config with hundreds of thresholds): no rows, no
    # metric table, and only the threshold lines that fit, failing ones first
    rows = _rows_section([], len(failing), len(candidates), max_chars)
    room = max_chars - len(_join(head[0], head[1], "", METRICS_OMITTED, rows)) - _NOTES_RESERVE
    doc = _join(head[0], head[1], _threshold_table(result, room), METRICS_OMITTED, rows)
    if len(doc) <= max_chars:
        # the baseline's verdict lines are in the threshold table; its detail section was dropped
        return doc
    if len(doc) <= max_chars:
        return doc
    return _cut(doc, max_chars)


def write_summary(result: GateResult, out_dir: Path, *, max_rows: int = 10, max_chars: int = 60_000) -> Path:
    path = Path(out_dir) / SUMMARY_FILE
    with atomic_writer(path) as handle:
        handle.write(render_summary(result, max_rows=max_rows, max_chars=max_chars))
    return path


def _join(*parts: str) -> str:
    return "\n\n".join(parts) + "\n"


def _cut(doc: str, max_chars: int) -> str:
    note = (f"\n\n_… summary cut to stay under {max_chars:,} characters; "
            "the full results are in `gate-result.json` and `results.jsonl`._\n")
    # only tables and plain lines are left by now, so a line boundary is a safe place to cut
    end = doc.rfind("\n", 0, max(0, max_chars - len(note)))
    if end <= 0:  # a limit too small for anything useful: still never over it
        return doc[:max_chars]
    return doc[:end] + note


# -- the parts -----------------------------------------------------------------------------------

def _verdict(result: GateResult) -> str:
    mark, word = (PASS_MARK, "passed") if result.passed else (FAIL_MARK, "failed")
    title = f"## {mark} gatewise gate {word}"
    if result.model_name:
        title += f": {escape_inline(result.model_name)}"
    # the headline names every failed threshold; a config with hundreds would fill the comment
    return f"{title}\n\n**{_inline(result.verdict.headline, HEADLINE_CHARS)}**"


def _context(result: GateResult) -> str:
    errors = result.verdict.error_count
    rows = result.verdict.row_count
    endpoint = result.endpoint
    model = f"model {code_span(endpoint.model)}"
    reported = [m for m in endpoint.reported_model_ids if m != endpoint.model]
    if reported:
        model += " (endpoint reported " + ", ".join(code_span(m) for m in reported) + ")"
    parts = [
        f"Dataset {code_span(result.dataset_sha256[:12])}",
        f"{rows:,} row{'s' if rows != 1 else ''}",
        f"{errors:,} error{'s' if errors != 1 else ''}",
        model,
    ]
    if result.shards > 1:
        parts.append(f"merged from {counted(result.shards, 'shard')}")
    if (pushed := _concurrency(endpoint.concurrency)) is not None:
        parts.append(pushed)
    turns, calls = sum(s.turns for s in result.samples), sum(len(s.tool_calls) for s in result.samples)
    if turns > len(result.samples):  # simulated conversations: more model turns than rows
        parts.append(f"{turns:,} conversation turns")
    if calls:
        parts.append(f"{calls:,} tool call{'s' if calls != 1 else ''}")
    if (judge := result.judge) is not None:
        # which judge gave the judge suites' scores matters as much as which model was judged
        said = f"judge {code_span(judge.model)}"
        judge_reported = [m for m in judge.reported_model_ids if m != judge.model]
        if judge_reported:
            said += " (judge reported " + ", ".join(code_span(m) for m in judge_reported) + ")"
        if judge.skipped:
            said += (f": {judge.skipped:,} row judgement{'s' * (judge.skipped != 1)} skipped by only_if "
                     f"(failed, not judged), about {judge.calls_saved:,} judge calls saved")
        parts.append(said)
    return " · ".join(parts)


def _concurrency(stats: ConcurrencyStats | None) -> str | None:
    """The concurrency the endpoint really got, when its push-back (429 / 503) cut it."""
    if stats is None or not stats.backoffs:
        return None
    return (f"concurrency cut {stats.backoffs:,} time{'s' if stats.backoffs != 1 else ''} by 429/503 "
            f"(configured {stats.configured}, min {stats.min}, mean {stats.mean:g}, final {stats.final})")


def _threshold_table(result: GateResult, room: int | None = None) -> str:
    """Every threshold, or, with ``room``, the ones that fit in it (failing first) and a count."""
    header = [table_row(["Result", "Metric", "Statistic", "Target", "Value", "vs target"]),
              table_row(["---", "---", "---", "---", "---:", "---:"])]
    items = result.verdict.results
    lines = [table_row(_threshold_cells(item)) for item in items]
    if room is None:
        legend = ""
        if any(item.ci for item in items):
            against = (f"; on a `vs baseline` line, the {result.baseline.confidence:.0%} interval of the difference"
                       if result.baseline is not None else "")
            legend = (f"\n\n_[lo, hi]: the {result.confidence_level:.0%} confidence interval{against}; "
                      "a `confident` target is checked against its far end._")
        return "\n".join(header + lines) + legend
    room -= sum(len(line) + 1 for line in header)
    keep: set[int] = set()
    for index in sorted(range(len(items)), key=lambda i: items[i].passed):
        if len(lines[index]) + 1 > room:
            break
        keep.add(index)
        room -= len(lines[index]) + 1
    table = "\n".join(header + [line for i, line in enumerate(lines) if i in keep])
    left = len(items) - len(keep)
    if not left:
        return table
    failing_left = sum(1 for i, item in enumerate(items) if i not in keep and not item.passed)
    return (f"{table}\n\n_{left:,} more threshold{'s' if left != 1 else ''} ({failing_left:,} failing) "
            "left out to fit; all are in `gate-result.json` and `junit.xml`._")


def _threshold_cells(item: ThresholdResult) -> list[str]:
    t = item.threshold
    result = f"{PASS_MARK} pass" if item.passed else f"{FAIL_MARK} **fail**"
    metric = code_span(t.metric) + (" (max\\_errors)" if item.implicit else "")
    value = format_value(t.metric, t.statistic, item.value, against=t.target)
    delta = "" if is_missing(item.value) else format_delta(t.metric, t.statistic, item.value - t.target)
    target = code_span(t.expression)
    if t.statistic in RATE_STATISTICS and "%" not in t.expression:
        # the value reads as a percentage, so say what "0.85" means in the same unit
        target += f" ({format_value(t.metric, t.statistic, t.target)})"
    if t.mode != "point":
        # confident mode checks the interval's far end, so the reader must know which number decided
        target += f" ({t.mode})"
    if item.ci is not None:
        value += f" {_interval(t.metric, t.statistic, item.ci)}"
    return [result, metric, t.statistic, target, value, delta]


def _interval(metric: str, statistic: str, ci: tuple[float, float]) -> str:
    return f"[{format_value(metric, statistic, ci[0])}, {format_value(metric, statistic, ci[1])}]"


def _metric_details(result: GateResult) -> str:
    present = {stat for stats in result.metrics.values() for stat in stats}
    columns = [s for s in STATISTICS if s in present] + sorted(present - set(STATISTICS))
    lines = [table_row(["Metric", *columns]), table_row(["---", *["---:"] * len(columns)])]
    for metric, stats in result.metrics.items():
        cells = [format_value(metric, stat, stats[stat]) if stat in stats else "" for stat in columns]
        lines.append(table_row([code_span(metric), *cells]))
    table = "\n".join(lines)
    # blank lines around the table: without them GitHub renders it as raw text inside <details>
    return f"<details>\n<summary>All metric statistics</summary>\n\n{table}\n\n</details>"


def _rows_section(blocks: list[str], failing: int, dropped: int, max_chars: int) -> str:
    if not failing:
        return "### Failing rows\n\nNone: every row passed every check."
    shown = len(blocks)
    parts = [f"### Worst failing rows\n\nShowing {shown} of {failing:,} failing row{'s' if failing != 1 else ''}: "
             "failed calls first, then the rows failing most checks. Every row is in `results.jsonl`."]
    parts.extend(blocks)
    if dropped:
        parts.append(f"_{dropped:,} more row{'s were' if dropped != 1 else ' was'} left out to keep this "
                     f"summary under {max_chars:,} characters._")
    return "\n\n".join(parts)


def _row_block(number: int, outcome: RowOutcome, show_repeat: bool, expected_columns: Mapping[str, str]) -> str:
    sample = outcome.sample
    title = f"#### {number}. {FAIL_MARK} {code_span(shorten(sample.row_id, 80)[0])}"
    if show_repeat:
        title += f" (repeat {sample.repeat})"
    facts: list[str] = []
    if sample.error is not None:
        facts.append(f"- **Call failed:** {_inline(sample.error, ERROR_CHARS)}")
    if outcome.failed_checks:
        facts.append(f"- **Failed checks:** {_failed_checks(outcome)}")
    seen = row_facts(outcome, expected_columns)
    if seen.input is not None:
        key, text = seen.input
        facts.append(f"- **{escape_inline(key)}:** {_inline(text, QUESTION_CHARS)}")
    for column, text in seen.expected:  # beside the output below: what the row should have said
        facts.append(f"- **Expected ({code_span(column)}):** {_inline(text, QUESTION_CHARS) if text else '_empty_'}")
    for metric, value, reason, judged in seen.reasons[:CHECKS_LISTED]:
        # a judge said why: the most useful line for a reviewer (or why the judge was not asked)
        shown = "" if value is None or not judged else f" {format_number(value)}"
        facts.append(f"- **{'Judge' if judged else 'Why'}{shown} ({code_span(metric)}):** "
                     f"{_inline(reason, ERROR_CHARS)}")
    return "\n\n".join([title, "\n".join(facts), _output(outcome)])


def _failed_checks(outcome: RowOutcome) -> str:
    failed = outcome.failed_checks
    if not outcome.sample.ok and all(s.error is not None for s in failed):
        names = ", ".join(code_span(s.metric) for s in failed[:CHECKS_LISTED])
        more = f" and {len(failed) - CHECKS_LISTED} more" if len(failed) > CHECKS_LISTED else ""
        return f"{names}{more}: not scored, the call failed"
    described = []
    for score in failed[:CHECKS_LISTED]:
        text = code_span(score.metric)
        if score.error is not None:
            text += f" (not scored: {_inline(score.error, 120)})"
        elif score.value is not None and score.value not in (0.0, 1.0) and not is_missing(score.value):
            # 1.0 / 0.0 are the values of yes/no checks; a length or a count is worth showing
            text += f" (value {format_number(score.value)})"
        described.append(text)
    if len(failed) > CHECKS_LISTED:
        described.append(f"and {len(failed) - CHECKS_LISTED} more")
    return ", ".join(described)


def _output(outcome: RowOutcome) -> str:
    sample = outcome.sample
    if sample.output is None:
        return "_No output: the call failed._" if sample.error is not None else "_No output._"
    text, cut = shorten(redact_secrets(sample.output), OUTPUT_CHARS)
    if not cut:
        return f"**Output:**\n\n{code_block(text)}"
    total = len(text) + cut
    return (f"**Output** (first {len(text):,} of {total:,} characters):\n\n{code_block(text)}\n\n"
            f"_… output truncated: {cut:,} more characters in `results.jsonl`._")


def _inline(text: str, limit: int) -> str:
    short, cut = shorten(redact_secrets(text), limit)
    return escape_inline(short) + (" …" if cut else "")
