"""``junit.xml``: one test case per threshold, so CI test tabs list what held and what did not."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..readable import counted, readable
from ..result import GateResult, ThresholdResult
from ._atomic import atomic_writer
from ._format import format_number, format_value
from ._redact import redact_secrets
from ._row_facts import clip, row_facts
from ._rows import RowOutcome, outcomes_of

JUNIT_FILE = "junit.xml"
SUITE_NAME = "gatewise"
FAILING_ROWS_LISTED = 20
ROWS_DETAILED = FAILING_ROWS_LISTED  # each listed row also shown with input, output and expected value
TEXT_CHARS = 240

# XML 1.0 has no way to write these, not even as character references
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def failure_message(item: ThresholdResult) -> str:
    expression = item.threshold.expression
    if item.value is None:
        return f"no value could be measured, which does not satisfy {expression}"
    return f"value {readable(item.value, 6)} does not satisfy {expression}"


def render_junit(result: GateResult) -> ET.Element:
    tests = len(result.verdict.results)
    failures = len(result.verdict.failed)
    elapsed = f"{sum(result.timings_s.values()):.3f}"
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0", "skipped": "0", "time": elapsed}

    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts, "timestamp": xml_text(result.started_at)})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(result):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})

    for item in result.verdict.results:
        t = item.threshold
        case = ET.SubElement(suite, "testcase", {
            "classname": xml_text(f"{SUITE_NAME}.{t.metric}"),
            "name": xml_text(f"{t.key} {t.expression}"),
            "time": "0",
        })
        if not item.passed:
            failure = ET.SubElement(case, "failure", {"message": xml_text(failure_message(item)),
                                                      "type": "ThresholdNotMet"})
            failure.text = xml_text(_details(result, item))
    return root


def write_junit(result: GateResult, out_dir: Path) -> Path:
    path = Path(out_dir) / JUNIT_FILE
    tree = ET.ElementTree(render_junit(result))
    ET.indent(tree)
    with atomic_writer(path, binary=True) as handle:
        tree.write(handle, encoding="utf-8", xml_declaration=True)
        handle.write(b"\n")
    return path


def _properties(result: GateResult) -> list[tuple[str, str]]:
    props = [("schema_version", result.schema_version), ("passed", str(result.passed).lower()),
             ("dataset_sha256", result.dataset_sha256), ("config_sha256", result.config_sha256),
             ("endpoint_model", result.endpoint.model),
             ("reported_model_ids", ",".join(result.endpoint.reported_model_ids))]
    if result.model_name:
        props.insert(2, ("model_name", result.model_name))
    if result.judge is not None:
        props.append(("judge_model", result.judge.model))
    return props


def _details(result: GateResult, item: ThresholdResult) -> str:
    t = item.threshold
    lines = [
        f"{t.key}: {format_value(t.metric, t.statistic, item.value, against=t.target)} "
        f"(target {t.expression}, over {counted(item.n, 'row')})",
    ]
    if t.line is not None:
        lines.append(f"config: {result.config_path}:{t.line}")
    elif item.implicit:
        lines.append("rule: rows whose call failed after retries (raise max_errors to tolerate some)")
    rows = _failing_rows(result, t.metric)
    if rows:
        shown = ", ".join(rows[:FAILING_ROWS_LISTED])
        more = f" and {len(rows) - FAILING_ROWS_LISTED} more" if len(rows) > FAILING_ROWS_LISTED else ""
        lines.append(f"failing rows: {shown}{more} (see results.jsonl)")
        detailed = set(rows[:ROWS_DETAILED])
        outcomes = {_label(o.sample.row_id, o.sample.repeat): o for o in outcomes_of(
            result, [s for s in result.samples if _label(s.row_id, s.repeat) in detailed])}
        for label in rows[:ROWS_DETAILED]:
            if label in outcomes:
                lines.extend(_row_lines(label, outcomes[label], result))
    return "\n".join(lines)


def _row_lines(label: str, outcome: RowOutcome, result: GateResult) -> list[str]:
    """One failing row: input, answer, expected value and the judge's reasons, each on one line."""
    facts = row_facts(outcome, result.expected_columns)
    lines = ["", f"row {label}:"]
    if facts.input is not None:
        lines.append(f"  input ({facts.input[0]}): {clip(redact_secrets(facts.input[1]), TEXT_CHARS)}")
    if facts.output is None:
        lines.append(f"  output: none (the call failed: {clip(redact_secrets(outcome.sample.error or 'no output'), TEXT_CHARS)})")
    else:
        lines.append(f"  output: {clip(redact_secrets(facts.output), TEXT_CHARS)}")
    for column, text in facts.expected:
        lines.append(f"  expected ({column}): {clip(redact_secrets(text), TEXT_CHARS)}")
    for metric, value, reason, judged in facts.reasons:
        score = f", score {format_number(value)}" if judged and value is not None else ""
        lines.append(f"  {'judge' if judged else 'note'} ({metric}{score}): {clip(redact_secrets(reason), TEXT_CHARS)}")
    return lines


def _label(row_id: str, repeat: int) -> str:
    return f"{row_id}#{repeat}" if repeat else row_id


def _failing_rows(result: GateResult, metric: str) -> list[str]:
    if metric == "errors":
        return [_label(s.row_id, s.repeat) for s in result.samples if not s.ok]
    seen: dict[str, None] = {}
    for score in result.scores:
        # a suite's threshold ("format") fails on any of its checks ("format.length", ...)
        if (score.metric == metric or score.metric.startswith(metric + ".")) and not score.passed:
            seen.setdefault(_label(score.row_id, score.repeat), None)
    return list(seen)
