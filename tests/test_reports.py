"""The report files a gate run leaves behind, and what the PR comment may and may not show."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gatewise.config import Threshold
from gatewise.gate import decide
from gatewise.report import (GITHUB_COMMENT_LIMIT, render_summary, write_gate_result, write_junit,
                             write_reports, write_results_jsonl, write_summary)
from gatewise.report._format import escape_inline, format_value
from gatewise.result import EndpointInfo, GateResult
from gatewise.samples import Message, Sample
from gatewise.scores import Score

CHECKS = ("correctness.exact", "format.length")


def _sample(row: str, output: str | None = "Paris", *, error: str | None = None, repeat: int = 0,
            latency: float = 120.0, question: str | None = None) -> Sample:
    question = question or f"What is the capital of {row}?"
    return Sample(row_id=row, inputs={"id": row, "question": question, "answer": "Paris"},
                  messages=(Message("user", f"Question: {question}"),),
                  output=None if error else output, error=error, repeat=repeat,
                  latency_ms=None if error else latency, model_id=None if error else "qa-model-v2")


def _scores(sample: Sample, *, correct: bool = True, short: bool = True) -> list[Score]:
    if not sample.ok:
        return [Score(sample.row_id, m, None, False, sample.repeat, error="no output") for m in CHECKS]
    length = float(len(sample.output or ""))
    return [Score(sample.row_id, "correctness.exact", 1.0 if correct else 0.0, correct, sample.repeat),
            Score(sample.row_id, "format.length", length, short, sample.repeat)]


def make_result(samples: list[Sample] | None = None, scores: list[Score] | None = None, *,
                thresholds: tuple[Threshold, ...] | None = None, **fields) -> GateResult:
    """Six rows: three pass, one wrong, one wrong and too long, one whose call failed.

    Thresholds: latency p95 passes, correctness pass_rate fails, and the error budget (max_errors 1)
    passes, so the verdict has a passing and a failing threshold and an errored sample.
    """
    if samples is None:
        samples = [_sample("q1"), _sample("q2"), _sample("q3"),
                   _sample("q4", "Lyon"), _sample("q5", "Marseille " * 30),
                   _sample("q6", error="HTTP 500 from endpoint after 4 attempts")]
        scores = [*_scores(samples[0]), *_scores(samples[1]), *_scores(samples[2]),
                  *_scores(samples[3], correct=False), *_scores(samples[4], correct=False, short=False),
                  *_scores(samples[5])]
    assert scores is not None
    ok = [s for s in samples if s.ok]
    errors = len(samples) - len(ok)
    metrics = {
        "correctness.exact": {"mean": 0.6, "pass_rate": sum(1 for s in scores if s.metric == "correctness.exact"
                                                             and s.passed) / len(samples),
                              "fail_count": 3.0, "error_count": float(errors)},
        "format.length": {"mean": 70.2, "max": 300.0, "pass_rate": 4 / 6, "fail_count": 2.0,
                          "error_count": float(errors), "p95": float("nan")},
        "latency_ms": {"mean": 120.0, "p50": 120.0, "p95": 187.5},
        "errors": {"count": float(errors), "rate": errors / len(samples)},
    }
    if thresholds is None:
        thresholds = (Threshold("latency_ms", "p95", "<=", 2500.0, "<= 2500", 30),
                      Threshold("correctness.exact", "pass_rate", ">=", 0.8, ">= 80%", 28))
    verdict = decide(thresholds, metrics, samples, max_errors=1)
    values = dict(
        config_path="quality/gate.yaml", config_sha256="c" * 64,
        dataset_path="quality/data/golden.jsonl", dataset_sha256="eeda5a3e26442a8f9b92fa464e1250df098331f3",
        endpoint=EndpointInfo("http://127.0.0.1:8000/v1", "qa-model", "chat", ("qa-model-v2",)),
        samples=tuple(samples), scores=tuple(scores), metrics=metrics, verdict=verdict,
        started_at="2025-01-01T00:00:00+00:00", timings_s={"calls": 1.5, "scoring": 0.25},
        model_name="qa-assistant",
    )
    values.update(fields)
    return GateResult(**values)


def _one_failing_row(output: str, row: str = "evil") -> GateResult:
    samples = [_sample(row, output), _sample("fine")]
    scores = [*_scores(samples[0], correct=False), *_scores(samples[1])]
    return make_result(samples, scores)


# -- a small CommonMark fence reader, enough to tell whether untrusted text stayed inside its fence --

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def split_fences(markdown: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(text outside fences, [(opening fence, closing line, content)]); fails on an unclosed fence."""
    outside: list[str] = []
    blocks: list[tuple[str, str, str]] = []
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening or (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            outside.append(lines[i])
            i += 1
            continue
        fence = opening.group(1)
        content: list[str] = []
        i += 1
        while i < len(lines):
            closing = re.match(r"^ {0,3}(" + re.escape(fence[0]) + r"{" + str(len(fence)) + r",})\s*$", lines[i])
            if closing:
                blocks.append((fence, closing.group(1), "\n".join(content)))
                break
            content.append(lines[i])
            i += 1
        else:
            pytest.fail(f"fence {fence!r} never closes: the rest of the comment would be code")
        i += 1
    return "\n".join(outside), blocks


# -- gate-result.json ---------------------------------------------------------------------------

def test_gate_result_json_is_to_dict_with_nan_as_null(tmp_path):
    result = make_result()
    path = write_gate_result(result, tmp_path)

    assert path == tmp_path / "gate-result.json"
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)  # strict: json.loads would accept NaN, so check the text too
    assert "NaN" not in text and "Infinity" not in text
    expected = result.to_dict()
    assert math.isnan(expected["metrics"]["format.length"]["p95"])
    expected["metrics"]["format.length"]["p95"] = None
    assert document == expected
    assert list(document) == list(expected)  # to_dict's order: schema_version first
    assert document["schema_version"] == "gatewise.gate-result/v1"
    assert text.startswith("{\n  ")


def test_gate_result_json_replaces_the_old_file_and_leaves_no_temp_files(tmp_path):
    (tmp_path / "gate-result.json").write_text("stale")
    write_gate_result(make_result(), tmp_path)
    assert json.loads((tmp_path / "gate-result.json").read_text())["passed"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gate-result.json"]


def test_gate_result_json_keeps_unicode_as_utf8(tmp_path):
    result = make_result(model_name="modèle-é")
    text = write_gate_result(result, tmp_path).read_bytes().decode("utf-8")
    assert "modèle-é" in text


# -- results.jsonl ------------------------------------------------------------------------------

def test_results_jsonl_has_one_line_per_sample_with_its_scores(tmp_path):
    result = make_result()
    lines = write_results_jsonl(result, tmp_path).read_text(encoding="utf-8").splitlines()

    assert len(lines) == len(result.samples)
    by_row = result.scores_by_row()
    for line, sample in zip(lines, result.samples):
        record = json.loads(line)
        expected_scores = by_row[(sample.row_id, sample.repeat)]
        assert {k: v for k, v in record.items() if k not in ("scores", "passed")} == sample.to_dict()
        assert record["scores"] == {s.metric: {"value": s.value, "passed": s.passed, "error": s.error}
                                    for s in expected_scores}
        assert record["passed"] == (sample.ok and all(s.passed for s in expected_scores))
    assert [json.loads(line)["passed"] for line in lines] == [True, True, True, False, False, False]
    errored = json.loads(lines[5])
    assert errored["error"].startswith("HTTP 500") and errored["output"] is None
    assert errored["scores"]["format.length"] == {"value": None, "passed": False, "error": "no output"}


def test_results_jsonl_stays_one_line_per_sample_whatever_the_output_holds(tmp_path):
    output = "line one\nline two\u2028still two\u2029\x85 and NaN"
    samples = [_sample("a", output), _sample("b")]
    scores = [Score("a", "format.length", float("nan"), False), Score("b", "format.length", 3.0, True)]
    path = write_results_jsonl(make_result(samples, scores), tmp_path)

    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 2  # str.splitlines breaks on U+2028, U+2029 and U+0085 too
    first = json.loads(text.splitlines()[0])
    assert first["output"] == output
    assert first["scores"]["format.length"]["value"] is None


# -- junit.xml ----------------------------------------------------------------------------------

def test_junit_has_one_case_per_threshold_and_failure_messages(tmp_path):
    result = make_result()
    root = ET.parse(write_junit(result, tmp_path)).getroot()

    suites = list(root.iter("testsuite"))
    assert [s.get("name") for s in suites] == ["gatewise"]
    suite = suites[0]
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("errors") == "0"
    assert float(suite.get("time")) == pytest.approx(1.75)

    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"errors.count <= 1", "latency_ms.p95 <= 2500", "correctness.exact.pass_rate >= 80%"}
    assert cases["latency_ms.p95 <= 2500"].get("classname") == "gatewise.latency_ms"
    assert cases["latency_ms.p95 <= 2500"].find("failure") is None
    failure = cases["correctness.exact.pass_rate >= 80%"].find("failure")
    assert failure.get("message") == "value 0.5 does not satisfy >= 80%"
    assert "50.0%" in failure.text and "quality/gate.yaml:28" in failure.text
    assert "q4, q5, q6" in failure.text  # the rows that failed this check


def test_junit_says_when_nothing_could_be_measured(tmp_path):
    rule = Threshold("judge", "mean", ">=", 0.5, ">= 0.5", 3)
    result = make_result(thresholds=(rule,))
    failure = ET.parse(write_junit(result, tmp_path)).getroot().find(".//testcase[@name='judge.mean >= 0.5']/failure")
    assert failure.get("message") == "no value could be measured, which does not satisfy >= 0.5"


def test_junit_is_valid_xml_whatever_the_text_holds(tmp_path):
    rule = Threshold("fmt\x00<&>\"\x1b", "mean", ">=", 0.5, ">= 0.5", 3)
    result = make_result(thresholds=(rule,), started_at="2025\x07-01")
    root = ET.parse(write_junit(result, tmp_path)).getroot()
    names = [c.get("classname") for c in root.iter("testcase")]
    assert "gatewise.fmt\ufffd<&>\"\ufffd" in names


# -- summary.md ---------------------------------------------------------------------------------

def test_summary_shows_verdict_thresholds_and_failing_rows(tmp_path):
    result = make_result()
    text = write_summary(result, tmp_path).read_text(encoding="utf-8")

    assert text.startswith("## ❌ gatewise gate failed: qa-assistant\n")
    assert "FAILED: 1 of 3 thresholds did not hold" in text.replace("\\", "")
    assert "| ✅ pass | `latency_ms` | p95 | `<= 2500` | 187.5 ms | -2,312 ms |" in text
    assert "| ❌ **fail** | `correctness.exact` | pass_rate | `>= 80%` | 50.0% | -30.0 pp |" in text
    assert "| ✅ pass | `errors` (max\\_errors) | count | `<= 1` | 1 | +0 |" in text
    assert "Dataset `eeda5a3e2644` · 6 rows · 1 error · model `qa-model` (endpoint reported `qa-model-v2`)" in text
    assert "<details>\n<summary>All metric statistics</summary>" in text

    # errors first, then the row failing most checks
    rows = re.findall(r"^#### (\d+)\. ❌ `(\w+)`", text, flags=re.M)
    assert rows == [("1", "q6"), ("2", "q5"), ("3", "q4")]
    assert "**Call failed:** HTTP 500 from endpoint after 4 attempts" in text
    assert "`format.length` (value 300)" in text
    assert "What is the capital of q4?" in text.replace("\\", "")
    assert "```text\nLyon\n```" in text
    assert "Showing 3 of 3 failing rows" in text


def test_summary_of_a_passing_gate_says_no_row_failed():
    samples = [_sample("q1"), _sample("q2")]
    result = make_result(samples, [*_scores(samples[0]), *_scores(samples[1])],
                         thresholds=(Threshold("latency_ms", "p95", "<=", 2500.0, "<= 2500", 30),))
    text = render_summary(result)
    assert text.startswith("## ✅ gatewise gate passed")
    assert "None: every row passed every check." in text


def test_summary_caps_the_rows_it_shows():
    samples = [_sample(f"r{i}", "wrong") for i in range(30)]
    scores = [s for sample in samples for s in _scores(sample, correct=False)]
    text = render_summary(make_result(samples, scores), max_rows=4)
    assert len(re.findall(r"^#### ", text, flags=re.M)) == 4
    assert "Showing 4 of 30 failing rows" in text
    assert "left out" not in text  # capping is not dropping for size


@pytest.mark.parametrize("metric, statistic, value, expected", [
    ("format", "pass_rate", 0.98, "98.0%"),
    ("errors", "rate", 0.0, "0.0%"),
    ("latency_ms", "p95", 2345.6, "2,346 ms"),
    ("latency_ms", "mean", 87.25, "87.25 ms"),
    ("format", "fail_count", 3.0, "3"),
    ("format.length", "mean", 123.456, "123.5"),
    ("judge", "mean", 0.8333333, "0.8333"),
    ("judge", "mean", None, "n/a"),
    ("judge", "mean", float("nan"), "n/a"),
])
def test_values_read_in_the_unit_of_their_statistic(metric, statistic, value, expected):
    assert format_value(metric, statistic, value) == expected


def test_a_near_miss_never_reads_as_the_target():
    assert format_value("format", "pass_rate", 0.8496, against=0.85) == "84.96%"
    assert format_value("latency_ms", "p95", 2500.4, against=2500.0) == "2,500.4 ms"


# -- untrusted text in the summary --------------------------------------------------------------

HOSTILE = (
    "Sure! <script>alert(1)</script> cc @octocat and @org/team, fixes #12.\n"
    "```\n"
    "closed? ``` no\n"
    "````\n"
    "<img src=x onerror=alert(2)> </details> <!-- hidden\n"
    "    ````````\n"
    "~~~\n"
)


def test_an_output_cannot_break_out_of_its_fence():
    result = _one_failing_row(HOSTILE)
    text = render_summary(result)

    outside, blocks = split_fences(text)
    (opening, closing, content), = blocks
    assert closing == opening  # the fence that opens is the one that closes
    assert len(opening) > 8  # longer than the longest backtick run in the output
    assert content == HOSTILE.rstrip("\n")
    for raw in ("<script", "<img", "<!--", "@octocat", "#12"):
        assert raw not in outside
    assert outside.count("</details>") == 1  # ours, closing the metric table


def test_untrusted_text_outside_code_cannot_ping_link_or_inject_html():
    question = "Ask @octocat about #12 <script>alert(1)</script> **bold** [x](http://evil) ``"
    samples = [_sample("q1", "wrong", question=question)]
    result = make_result(samples, _scores(samples[0], correct=False))
    text = render_summary(result)

    outside, _ = split_fences(text)
    assert "@\u200doctocat" in outside and "@octocat" not in outside
    assert "\\#\u200d12" in outside and " #12" not in outside
    assert "&lt;script&gt;" in outside and "<script" not in outside
    assert "\\*\\*bold\\*\\*" in outside and "\\[x\\](http:" in outside


def test_row_ids_with_backticks_stay_in_their_code_span():
    result = _one_failing_row("x", row="a`b``c")
    assert "#### 1. ❌ ``` a`b``c ```" in render_summary(result)


def test_a_huge_output_and_many_failing_rows_keep_the_summary_under_the_limit():
    huge = "A" * 200_000
    samples = [_sample("big", huge)] + [_sample(f"r{i:03}", "wrong " + "`" * 5 + " x" * 300) for i in range(500)]
    scores = [s for sample in samples for s in _scores(sample, correct=False)]
    result = make_result(samples, scores)

    text = render_summary(result, max_rows=500)  # 501 fail; the 501st is past max_rows, not dropped for size
    assert len(text) <= 60_000 < GITHUB_COMMENT_LIMIT
    assert "200,000 characters" in text and "output truncated: 199,600 more characters" in text
    shown = len(re.findall(r"^#### ", text, flags=re.M))
    assert 10 < shown < 500
    assert f"Showing {shown} of 501 failing rows" in text
    assert f"_{500 - shown} more rows were left out to keep this summary under 60,000 characters._" in text
    outside, blocks = split_fences(text)
    assert all(opening == closing for opening, closing, _ in blocks)
    assert len(blocks) == shown

    # with the default cap the same result fits without dropping anything for size
    text = render_summary(result)
    assert len(text) <= 60_000 and "Showing 10 of 501 failing rows" in text and "left out" not in text


def test_the_summary_is_cut_when_even_the_threshold_table_is_too_long():
    # 400 failing thresholds (nothing measured for any of them) and the error budget, which passes
    thresholds = tuple(Threshold(f"suite{i}.check", "mean", ">=", 0.5, ">= 0.5", i) for i in range(400))
    result = make_result(thresholds=thresholds)

    text = render_summary(result, max_chars=5_000)
    assert len(text) <= 5_000
    assert text.startswith("## ❌ gatewise gate failed")
    assert "every metric statistic was left out" in text
    kept = re.findall(r"^\| (✅ pass|❌ \*\*fail\*\*) \|", text, flags=re.M)
    assert 10 < len(kept) < 401 and "✅ pass" not in kept  # the failing ones come first
    assert f"_{401 - len(kept)} more thresholds ({401 - len(kept) - 1} failing) left out to fit" in text
    assert "_3 more rows were left out" in text
    split_fences(text)
    for limit in (50, 300, 1_000):
        assert len(render_summary(result, max_chars=limit)) <= limit


def test_the_summary_never_shows_credentials():
    output = ("config: api_key=sk-live-1234567890abcdefghij and Authorization: Bearer abcdefghijklmnop "
              "at https://user:hunter2@example.com")
    samples = [_sample("q1", output, question="token: s3cr3t-value"), _sample("q2", error="401: api_key='k-999999'")]
    scores = [*_scores(samples[0], correct=False), *_scores(samples[1])]
    result = make_result(samples, scores,
                         endpoint=EndpointInfo("https://user:pw@host/v1?api_key=zzz", "m", "chat", ()))
    text = render_summary(result)
    for secret in ("sk-live-1234567890", "abcdefghijklmnop", "hunter2", "s3cr3t-value", "k-999999", "zzz", ":pw@"):
        assert secret not in text
    assert "[redacted]" in text


# -- all of them ---------------------------------------------------------------------------------

def test_write_reports_writes_every_file(tmp_path):
    out = tmp_path / "gate-out"
    paths = write_reports(make_result(), out)
    assert {name: p.name for name, p in paths.items()} == {
        "results": "results.jsonl", "junit": "junit.xml", "summary": "summary.md", "gate_result": "gate-result.json"}
    assert sorted(p.name for p in out.iterdir()) == ["gate-result.json", "junit.xml", "results.jsonl", "summary.md"]
    assert all(p.stat().st_size > 0 for p in paths.values())


@pytest.mark.parametrize("text, expected", [
    ("1. not a list", "1\\. not a list"),
    ("- not a bullet", "\\- not a bullet"),
    ("# not a heading", "\\# not a heading"),
    ("a ~~b~~ $x$ | c", "a \\~\\~b\\~\\~ \\$x\\$ \\| c"),
    ("two\nlines\r\nand\x00 \u202egnirts", "two lines and gnirts"),
])
def test_inline_text_cannot_start_a_block_or_open_a_construct(text, expected):
    assert escape_inline(text) == expected


def test_a_rate_target_written_as_a_fraction_is_also_shown_as_a_percentage():
    rule = Threshold("correctness.exact", "pass_rate", ">=", 0.85, ">= 0.85", 28)
    text = render_summary(make_result(thresholds=(rule,)))
    assert "| `>= 0.85` (85.0%) | 50.0% | -35.0 pp |" in text
