"""A failing row reads on its own: its input, the model's answer, what it should have answered
(the expected column, or the judge's reason) in summary.md, the PR comment and junit.xml; numbers
read as people write them."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest

from gatewise.config import Threshold
from gatewise.readable import counted, readable, readable_signed
from gatewise.result import ThresholdResult, Verdict
from gatewise.report import render_summary, write_gate_result, write_junit, write_results_jsonl
from gatewise.report._format import format_delta, format_value
from gatewise.scores import Score
from gatewise.verdict_lines import print_verdict

from .conftest import example_rows, gate_cli_run, write_gate
from .test_reports import _sample, _scores, make_result

EXPECTED = {"correctness.exact": "answer"}


def _judged_result():
    samples = [_sample("q1"), _sample("q2", "Lyon"), _sample("q3", "x" * 2000)]
    scores = [*_scores(samples[0]), *_scores(samples[1], correct=False), *_scores(samples[2], correct=False),
              Score("q2", "grounded.faithfulness", 0.0, False, reason="The context does not say Lyon.",
                    judge_model="judge-model")]
    return make_result(samples, scores, expected_columns=EXPECTED)


def test_summary_shows_input_expected_value_judge_reason_and_output_of_a_failing_row():
    text = render_summary(_judged_result())
    block = text[text.index("`q2`"):]
    block = block[:block.index("####")] if "####" in block else block
    assert "**question:** What is the capital of q2?" in block.replace("\\", "")
    assert "**Expected (`answer`):** Paris" in block
    assert "**Judge 0 (`grounded.faithfulness`):** The context does not say Lyon." in block
    assert "```text\nLyon\n```" in block
    # the order a reviewer reads: input, expected, why, then the answer itself
    assert block.index("question") < block.index("Expected") < block.index("Judge") < block.index("Lyon\n```")


def test_a_row_skipped_by_only_if_says_so_without_pretending_a_judge_scored_it():
    samples = [_sample("q1", "")]
    scores = [Score("q1", "correctness.g-eval", 0.0, False,
                    reason="not judged: the row failed format (only_if), so it fails this suite")]
    text = render_summary(make_result(samples, scores, expected_columns={"correctness.g-eval": "answer"}))
    assert "**Why (`correctness.g-eval`):** not judged: the row failed format (only_if)" in text.replace("\\", "")
    assert "Judge 0" not in text


def test_junit_failure_lists_each_failing_row_with_input_output_and_expected(tmp_path):
    root = ET.parse(write_junit(_judged_result(), tmp_path)).getroot()
    failure = root.find(".//testcase[@classname='gatewise.correctness.exact']/failure")
    text = failure.text
    assert "row q2:\n  input (question): What is the capital of q2?\n  output: Lyon\n  expected (answer): Paris" in text
    assert "  judge (grounded.faithfulness, score 0): The context does not say Lyon." in text
    # a long answer is cut on one line, saying how much was left out
    assert f"  output: {'x' * 240}… (1,760 more characters)" in text


def test_expected_columns_survive_the_round_trip_the_pr_comment_takes(tmp_path):
    from gatewise.publish._load import load_gate_run

    result = _judged_result()
    write_gate_result(result, tmp_path)
    write_results_jsonl(result, tmp_path)
    loaded = load_gate_run(tmp_path).result
    assert loaded.expected_columns == EXPECTED
    assert "**Expected (`answer`):** Paris" in render_summary(loaded)


@pytest.mark.parametrize("value, text", [
    (6.938893903907228e-18, "0"), (-6.9e-18, "0"), (0.0, "0"), (1.0, "1"), (0.85, "0.85"), (0.8333333, "0.8333"),
    (4.2e-05, "0.000042"), (123.456, "123.5"), (12345.0, "12,345"),
])
def test_numbers_read_as_people_write_them(value, text):
    assert readable(value) == text


def test_an_interval_at_zero_prints_zero_everywhere(capsys, tmp_path):
    noise = 6.938893903907228e-18
    assert format_value("correctness", "mean", noise) == "0"
    assert format_value("correctness", "pass_rate", -noise) == "0.0%"
    assert format_delta("correctness", "mean", -noise) == "0" and readable_signed(0.05) == "+0.05"
    rule = Threshold("correctness.exact", "mean", ">=", 0.5, ">= 0.5", 3)
    result = make_result(thresholds=(rule,))
    at_zero = ThresholdResult(rule, noise, False, 6, (-noise, noise))
    result = dataclasses.replace(result, verdict=dataclasses.replace(result.verdict, results=(at_zero,)))
    print_verdict(result, None)
    printed = capsys.readouterr().out
    assert "e-18" not in printed and "[0, 0]" in printed
    failure = ET.parse(write_junit(result, tmp_path)).getroot().find(".//failure")
    assert failure.get("message") == "value 0 does not satisfy >= 0.5"
    assert "e-18" not in render_summary(result)


def test_a_count_of_one_reads_singular():
    assert [counted(n, "check") for n in (0, 1, 3)] == ["0 checks", "1 check", "3 checks"]
    assert counted(1200, "row") == "1,200 rows" and counted(2, "series", "series") == "2 series"


def test_a_verdict_over_one_threshold_and_one_row_reads_singular(capsys, tmp_path):
    rule = Threshold("correctness.exact", "mean", ">=", 0.5, ">= 0.5", 3)
    held = Verdict(passed=True, results=(ThresholdResult(rule, 1.0, True, 1),), row_count=1, error_count=0)
    assert held.headline == "PASSED: 1 of 1 threshold held over 1 row"
    missed = Verdict(passed=False, results=(ThresholdResult(rule, 0.0, False, 1),), row_count=1, error_count=0)
    assert missed.headline == "FAILED: 1 of 1 threshold did not hold (correctness.exact.mean)"
    result = dataclasses.replace(make_result(thresholds=(rule,)), verdict=missed)
    failure = ET.parse(write_junit(result, tmp_path)).getroot().find(".//failure")
    assert "over 1 row)" in failure.text


def test_a_gate_over_one_row_says_one_sample_and_one_row_as_it_runs(capsys, tmp_path, standin):
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(1))
    code, _, progress = gate_cli_run(capsys, config, tmp_path / "out", "--no-html")
    assert code == 0, progress
    assert "Scoring 1 sample with Evidently" in progress and "1 row" in progress
    # "1/1 rows" is the progress bar's fraction of all rows; a count of one is singular
    assert not re.search(r"(?<![/\d])1 (samples|rows|outputs)\b", progress), progress
