"""The summary's sections about repeats and the baseline comparison (``summary.md``), kept apart
from the rest of the summary so each part stays small."""

from __future__ import annotations

from ..readable import counted
from ..result import GateResult
from ._format import code_span, escape_inline, is_missing, shorten, table_row

PASS_MARK, FAIL_MARK = "✅", "❌"


def repeats_section(result: GateResult) -> str:
    if result.adaptive is not None:
        return auto_repeats_section(result)
    if not result.agreement:
        return ""
    lines = [table_row(["Suite", "Rows", "Agreement", "Flaky rows", "Flakiness"]),
             table_row(["---", "---:", "---:", "---:", "---:"])]
    for suite in result.agreement:
        lines.append(table_row([code_span(suite.suite), f"{suite.rows:,}", f"{suite.agreement:.1%}",
                                f"{suite.flaky_rows:,}", f"{suite.flakiness:.1%}"]))
    return (f"### Repeats\n\nEach row was sent {result.repeats} times. Agreement: the share of a row's repeats "
            "whose outcome matches its most common one; a row is flaky when its outcome changed.\n\n"
            + "\n".join(lines))


def baseline_section(result: GateResult) -> str:
    comparison = result.baseline
    if comparison is None:
        return ""
    source = code_span(shorten(comparison.source, 120)[0])
    how = "paired over the same rows" if comparison.paired else "aggregates only, rows not paired"
    rule = {"significant": f"fails when the drop exceeds {comparison.max_regression:g} and the interval is below 0",
            "confident": f"fails when the whole interval is below -{comparison.max_regression:g}",
            "point": f"fails when the drop exceeds {comparison.max_regression:g}"}[comparison.rule]
    parts = [f"### Compared with the baseline\n\nBaseline {source} ({comparison.kind}), {how}; "
             f"{comparison.confidence:.0%} interval of the difference; rule `{comparison.rule}`: {rule}."]
    if comparison.note:
        parts.append(f"_Note: {escape_inline(comparison.note)}._")
    lines = [table_row(["Metric", "Baseline", "Candidate", "Delta", f"{comparison.confidence:.0%} interval",
                        "Rows worse", "Rows better"]),
             table_row(["---", "---:", "---:", "---:", "---:", "---:", "---:"])]
    for item in comparison.metrics:
        interval = "" if item.interval is None else f"[{item.interval[0]:+.4f}, {item.interval[1]:+.4f}]"
        lines.append(table_row([
            code_span(f"{item.metric}.{item.statistic}"), _plain(item.baseline), _plain(item.candidate),
            "n/a" if item.delta is None else f"{item.delta:+.4f}", interval,
            f"{item.worse_count:,}" if comparison.paired else "", f"{item.better_count:,}" if comparison.paired else "",
        ]))
    parts.append("\n".join(lines))
    for item in comparison.metrics:
        if not item.worse_rows:
            continue
        rows = [table_row(["Row", "Baseline", "Candidate"]), table_row(["---", "---:", "---:"])]
        for change in item.worse_rows:
            rows.append(table_row([code_span(shorten(change.row_id, 80)[0]),
                                   f"{_outcome(change.baseline_passed)} {change.baseline:.2f}",
                                   f"{_outcome(change.candidate_passed)} {change.candidate:.2f}"]))
        more = item.worse_count - len(item.worse_rows)
        tail = f"\n\n_{more:,} more in `gate-result.json`'s count; every row is in `results.jsonl`._" if more else ""
        worse = f"{escape_inline(item.metric)}: {counted(item.worse_count, 'row')} got worse"
        parts.append(f"<details>\n<summary>{worse}</summary>\n\n" + "\n".join(rows) + f"{tail}\n\n</details>")
    return "\n\n".join(parts)


def _plain(value: float | None) -> str:
    return "n/a" if value is None or is_missing(value) else f"{value:.4f}"


def _outcome(passed: bool) -> str:
    return PASS_MARK if passed else FAIL_MARK


def _thresholds_table(auto) -> str:
    """Each threshold's rule under auto: decided when, on how many asks, and why."""
    lines = [table_row(["Threshold", "Decision", "Asks per row", "Rows asked again", "Estimate", "Margin", "Why"]),
             table_row(["---", "---", "---:", "---:", "---:", "---:", "---"])]
    for look in auto.thresholds:
        lines.append(table_row([
            code_span(look.key), look.decision, _asks(look), f"{look.reasked_rows:,}",
            "" if look.estimate is None else f"{look.estimate:.4f}",
            "" if look.half_width is None else f"±{look.half_width:.4f}", escape_inline(look.reason)]))
    return "\n".join(lines)


def _asks(look) -> str:
    """Asks per row a threshold was decided on; "1 + pilot: m rows" when round 2's pilot decided it."""
    if look.looks == 1 and look.pilot_rows and look.reasked_rows:
        return f"1 + pilot: {look.pilot_rows:,} rows"
    return str(look.looks)


def auto_repeats_section(result: GateResult) -> str:
    """``repeats: auto``: how many rows were asked again, why, and each compared suite's decision."""
    auto = result.adaptive
    assert auto is not None
    reason = auto.reason[:1].upper() + auto.reason[1:]
    parts = [f"### Repeats: auto\n\n{escape_inline(reason)}."]
    if auto.reasked_rows:
        together = ", model and baseline together," if auto.looks else ""
        pilot = next((t.pilot_rows for t in auto.thresholds if t.pilot_rows), 0)
        pilot_note = f"pilot: {pilot:,} rows; " if pilot else ""
        parts[0] += (f" {counted(auto.reasked_rows, 'row')} asked again: {counted(auto.extra_calls, 'extra call')}"
                     f"{together} in {counted(auto.rounds - 1, 'more round')} "
                     f"({pilot_note}cap: {counted(auto.max_asks, 'ask')} per row).")
        if auto.looks:
            parts[0] += (" The comparison table below is the first pass's; the verdict on the comparison is a "
                         "sequential sign test over every ask, whose false-block rate holds however many rounds it "
                         "takes.")
    reasked = [t for t in auto.thresholds if t.looks > 1]
    if auto.thresholds:
        parts.append(_thresholds_table(auto))
        if reasked:
            parts.append("A re-asked threshold's value is the mean over every ask of its rounds (every row asked "
                         "as often, as `repeats: k` would report it); its rule may stop early only when the estimate "
                         "is further from the target than the asking noise allows, so an early wrong decision stays "
                         "as rare as the confidence level says however many rounds it takes.")
    if auto.looks:
        lines = [table_row(["Suite", "Decision", "Asks", "Losses", "Wins", "Delta (est.)", "Boundary", "Why"]),
                 table_row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---"])]
        for look in auto.looks:
            lines.append(table_row([
                code_span(look.metric), look.decision, str(look.looks), f"{look.losses:,}", f"{look.wins:,}",
                "n/a" if look.estimate is None else f"{look.estimate:+.4f}",
                "" if look.boundary is None else str(look.boundary), escape_inline(look.reason)]))
        parts.append("\n".join(lines))
    if result.agreement:
        rows = [table_row(["Suite", "Rows asked again", "Agreement", "Flaky rows"]),
                table_row(["---", "---:", "---:", "---:"])]
        for suite in result.agreement:
            rows.append(table_row([code_span(suite.suite), f"{suite.rows:,}", f"{suite.agreement:.1%}",
                                   f"{suite.flaky_rows:,}"]))
        parts.append("\n".join(rows))
    return "\n\n".join(parts)
