"""Deterministic checks: Evidently's per-row values and verdicts, read back as gatewise Scores.

Expected values are computed here independently (``len``, ``json.loads``, ``re``, hand counts),
never by calling Evidently.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import pickle
import re
import signal
import time

import pytest

from gatewise.config import SuiteConfig
from gatewise.errors import GatewiseError, InfraError
from gatewise.samples import Message, Sample, ToolCall
from gatewise.suites import (
    ScoringWorker, ScoringWorkerError, kind_of, score_evidently, scorer, suite_kind, write_evidently_html,
)
from gatewise.suites._worker import PackedSamples
from gatewise.telemetry import disable_telemetry

# output -> (words, sentences), counted by hand; None where "a word" is a matter of definition
TEXTS = {
    "The capital of France is Paris.": (6, 1),
    "Paris": (1, 1),
    "I think it is Paris. It is in France? Yes it is.": (12, 3),
    '{"a": 1, "b": "x"}': (None, 1),
    "42": (None, 1),
    "[1, 2]": (None, 1),
    '{"a": "one"}': (None, 1),
    "As an AI language model, I cannot answer.": (8, 1),
    "damn, it is hell": (4, 1),
    "See https://example.org for the details.": (5, 1),
    "the cat sat": (3, 1),
    "x" * 900: (1, 1),
}

SUITES = [
    SuiteConfig(name="format", evidently=[
        {"descriptor": "TextLength", "name": "length", "min": 3, "max": 800},
        {"descriptor": "WordCount", "name": "words", "max": 10},
        {"descriptor": "SentenceCount", "name": "sentences", "max": 1},
        {"descriptor": "IsValidJSON", "name": "json"},
        {"descriptor": "JSONSchemaMatch", "name": "schema", "expected_schema": {"a": "int"}},
        {"descriptor": "ContainsLink", "name": "link"},
        {"descriptor": "RegExp", "name": "capitalised", "reg_exp": "^[A-Z]"},
        {"descriptor": "BeginsWith", "name": "begins", "prefix": "the", "case_sensitive": False},
        {"descriptor": "EndsWith", "name": "ends", "suffix": "."},
    ]),
    SuiteConfig(name="content", evidently=[
        {"descriptor": "ExactMatch", "name": "exact", "expected": "answer"},
        {"descriptor": "Contains", "name": "mentions_paris", "items": ["paris"]},
        {"descriptor": "Contains", "name": "paris_and_france", "items": ["Paris", "France"], "mode": "all",
         "case_sensitive": True},
        {"descriptor": "DoesNotContain", "name": "no_boilerplate", "items": ["as an AI", "language model"]},
        {"descriptor": "IncludesWords", "name": "has_cat", "words_list": ["cat", "dog"]},
        {"descriptor": "ExcludesWords", "name": "clean", "words_list": ["damn", "hell"]},
        {"descriptor": "TextLength", "name": "question_length", "column": "question"},
    ]),
]


def _sample(i: int, output: str | None, *, answer: object = "Paris", repeat: int = 0, error: str | None = None,
            row_id: str | None = None) -> Sample:
    return Sample(row_id=row_id or f"r{i}", inputs={"id": f"r{i}", "question": f"Question {i}?", "answer": answer},
                  messages=(Message("user", f"Question {i}?"),), output=output, error=error, repeat=repeat)


SAMPLES = (
    [_sample(i, text) for i, text in enumerate(TEXTS)]
    + [_sample(100, "4", answer=4),  # a numeric reference compares as text
       _sample(101, None, error="HTTP 503 after 5 attempts"),
       _sample(102, "Paris", row_id="dup", repeat=0), _sample(102, "Paris", row_id="dup", repeat=1),
       _sample(103, "Paris", row_id="dup2")]
)


def by_key(scores):
    return {(s.row_id, s.repeat, s.metric): s for s in scores}


@pytest.fixture(scope="module")
def worker():
    # started first, so the child imports Evidently while the in-process tests run
    with ScoringWorker() as w:
        yield w


@pytest.fixture(scope="module")
def scores(worker):
    return score_evidently(SAMPLES, SUITES)


@pytest.fixture(scope="module")
def score(scores):
    table = by_key(scores)
    return lambda sample, metric: table[(sample.row_id, sample.repeat, metric)]


def scored_samples():
    return [s for s in SAMPLES if s.output is not None]


# -- shape -------------------------------------------------------------------------------------

def test_one_score_per_sample_per_check_in_order(scores):
    metrics = [f"{suite.name}.{check.label}" for suite in SUITES for check in suite.evidently]
    assert len(scores) == len(SAMPLES) * len(metrics)
    assert [s.metric for s in scores[:len(metrics)]] == metrics
    assert [(s.row_id, s.repeat) for s in scores[::len(metrics)]] == [(s.row_id, s.repeat) for s in SAMPLES]


# -- numeric descriptors -----------------------------------------------------------------------

def test_text_length_is_len_and_passes_within_bounds(score):
    for sample in scored_samples():
        s = score(sample, "format.length")
        assert s.value == len(sample.output)
        assert s.passed == (3 <= len(sample.output) <= 800), sample.output
        assert s.error is None


def test_text_length_reads_a_dataset_column_when_told(score):
    for sample in scored_samples():
        s = score(sample, "content.question_length")
        assert s.value == len(sample.inputs["question"])
        assert s.passed  # no bounds: a value is a pass


def test_word_and_sentence_counts_match_hand_counts(score):
    for sample in scored_samples():
        if sample.output in TEXTS:
            words, sentences = TEXTS[sample.output]
            if words is not None:
                assert score(sample, "format.words").value == words, sample.output
                assert score(sample, "format.words").passed == (words <= 10)
            assert score(sample, "format.sentences").value == sentences, sample.output
            assert score(sample, "format.sentences").passed == (sentences <= 1)


# -- boolean descriptors -----------------------------------------------------------------------

def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def assert_boolean(score, metric, expected):
    for sample in scored_samples():
        s = score(sample, metric)
        want = expected(sample)
        assert (s.value, s.passed, s.error) == (1.0 if want else 0.0, want, None), (metric, sample.output)


def test_is_valid_json_agrees_with_json_loads(score):
    assert_boolean(score, "format.json", lambda s: _parses(s.output))


def test_json_schema_match_needs_the_field_with_its_type(score):
    for sample in scored_samples():
        s = score(sample, "format.schema")
        obj = json.loads(sample.output) if _parses(sample.output) else None
        if obj is not None and not isinstance(obj, (dict, list, str)):
            # Evidently raises on JSON that is a bare number; that row alone is an error
            assert (s.value, s.passed) == (None, False)
            assert "JSONSchemaMatch raised TypeError" in s.error
            continue
        want = isinstance(obj, dict) and isinstance(obj.get("a"), int)
        assert (s.value, s.passed, s.error) == (float(want), want, None), sample.output


def test_contains_link_regexp_begins_and_ends(score):
    assert_boolean(score, "format.link", lambda s: "https://" in s.output)
    assert_boolean(score, "format.capitalised", lambda s: re.search("^[A-Z]", s.output) is not None)
    assert_boolean(score, "format.begins", lambda s: s.output.lower().startswith("the"))
    assert_boolean(score, "format.ends", lambda s: s.output.endswith("."))


def test_contains_any_is_case_insensitive_by_default_and_all_needs_every_item(score):
    assert_boolean(score, "content.mentions_paris", lambda s: "paris" in s.output.lower())
    assert_boolean(score, "content.paris_and_france", lambda s: "Paris" in s.output and "France" in s.output)


def test_does_not_contain_passes_only_without_any_item(score):
    assert_boolean(score, "content.no_boilerplate",
                   lambda s: not any(i.lower() in s.output.lower() for i in ("as an AI", "language model")))


def test_includes_words_any_and_excludes_words_means_none_of_them(score):
    def words(text):
        return set(re.findall(r"[a-z0-9]+", text.lower()))

    assert_boolean(score, "content.has_cat", lambda s: bool(words(s.output) & {"cat", "dog"}))
    # "damn, it is hell" fails, and so would "damn" alone: ExcludesWords defaults to mode all
    assert_boolean(score, "content.clean", lambda s: not words(s.output) & {"damn", "hell"})


def test_exact_match_compares_output_with_the_reference_column_as_text(score):
    assert_boolean(score, "content.exact", lambda s: s.output == str(s.inputs["answer"]))
    assert score(SAMPLES[-5], "content.exact").passed  # output "4", reference the number 4


def test_excludes_words_mode_defaults_to_all_and_can_be_any():
    suite = SuiteConfig(name="s", evidently=[
        {"descriptor": "ExcludesWords", "name": "none", "words_list": ["damn", "hell"]},
        {"descriptor": "ExcludesWords", "name": "not_all", "words_list": ["damn", "hell"], "mode": "any"},
    ])
    scores = by_key(score_evidently([_sample(0, "damn it")], [suite]))
    assert not scores[("r0", 0, "s.none")].passed
    assert scores[("r0", 0, "s.not_all")].passed


# -- rows and checks that cannot be scored -----------------------------------------------------

def test_sample_without_output_scores_as_error_on_every_check(scores):
    errored = [s for s in scores if s.row_id == "r101"]
    assert len(errored) == sum(len(suite.evidently) for suite in SUITES)
    for s in errored:
        assert (s.value, s.passed) == (None, False)
        assert s.error == "no output: HTTP 503 after 5 attempts"


def test_identical_outputs_and_repeats_score_alike(score):
    dup0, dup1, dup2 = SAMPLES[-3:]
    for suite in SUITES:
        for check in suite.evidently:
            metric = f"{suite.name}.{check.label}"
            a, b, c = score(dup0, metric), score(dup1, metric), score(dup2, metric)
            assert (a.value, a.passed) == (b.value, b.passed) == (c.value, c.passed)
            assert (a.repeat, b.repeat) == (0, 1)


def test_check_on_a_missing_column_errors_every_row_and_never_passes():
    suite = SuiteConfig(name="s", evidently=[
        {"descriptor": "ExactMatch", "name": "exact", "expected": "no_such_column"},
        {"descriptor": "TextLength", "name": "length"},
    ])
    scores = score_evidently([_sample(0, "Paris"), _sample(1, "Rome")], [suite])
    broken = [s for s in scores if s.metric == "s.exact"]
    assert len(broken) == 2
    assert all(not s.passed and s.value is None and "no_such_column" in s.error for s in broken)
    assert [s.value for s in scores if s.metric == "s.length"] == [5.0, 4.0]  # the other check still runs


def test_lemmatize_without_the_wordnet_corpus_is_a_clear_error_not_a_download():
    from pydantic import ValidationError

    nltk = pytest.importorskip("nltk")
    try:
        nltk.data.find("corpora/wordnet")
        pytest.skip("wordnet is installed here")
    except LookupError:
        pass
    with pytest.raises(ValidationError) as refused:
        SuiteConfig(name="s", evidently=[{"descriptor": "IncludesWords", "words_list": ["cat"], "lemmatize": True}])
    assert "wordnet" in str(refused.value) and "lemmatize: false" in str(refused.value)


def test_ten_thousand_rows():
    samples = [_sample(i, "Paris." if i % 2 else '{"a": 1}') for i in range(10_000)]
    scores = score_evidently(samples, SUITES[:1])
    assert len(scores) == 10_000 * len(SUITES[0].evidently)
    lengths = [s for s in scores if s.metric == "format.length"]
    assert [s.value for s in lengths[:2]] == [8.0, 6.0] and lengths[-1].value == 6.0


def test_no_checks_or_no_samples_give_no_surprises():
    assert score_evidently([], SUITES) == ()
    only_errors = score_evidently([_sample(0, None, error="boom")], SUITES[:1])
    assert all(s.error == "no output: boom" and not s.passed for s in only_errors)


# -- Evidently's HTML report -------------------------------------------------------------------

def test_html_report_is_written_with_the_checks(tmp_path, scores):
    path = write_evidently_html(SAMPLES, SUITES, tmp_path / "reports" / "evidently.html")
    html = path.read_text(encoding="utf-8")
    assert path.stat().st_size > 100_000  # Evidently inlines its scripts
    assert "<html" in html.lower()
    for metric in ("format.length", "format.json", "content.exact", "content.no_boilerplate"):
        assert metric in html


def test_html_report_without_any_output_says_so(tmp_path):
    path = write_evidently_html([_sample(0, None, error="down")], SUITES, tmp_path / "empty.html")
    assert "No rows to report" in path.read_text(encoding="utf-8")


# -- the scoring worker process ----------------------------------------------------------------

def test_worker_gives_the_same_scores_as_in_process(worker, scores):
    assert worker.fallback_reason is None
    assert worker.pid not in (None, os.getpid())
    assert worker.score(SAMPLES, SUITES) == scores


def test_worker_writes_the_html_report(worker, tmp_path):
    path = worker.write_html(SAMPLES, SUITES, tmp_path / "w.html")
    assert path.stat().st_size > 100_000 and "format.length" in path.read_text(encoding="utf-8")


def _without_generated_ids(page: str) -> str:
    # Evidently names each drawn metric with a fresh uuid; everything else in the page is data
    return re.sub(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "ID", page)


def test_worker_draws_the_same_page_as_this_process(worker, tmp_path):
    there = worker.write_html(SAMPLES, SUITES, tmp_path / "worker.html").read_text(encoding="utf-8")
    here = write_evidently_html(SAMPLES, SUITES, tmp_path / "here.html").read_text(encoding="utf-8")
    assert there != here  # the ids differ: the comparison below is not of one file with itself
    assert _without_generated_ids(there) == _without_generated_ids(here)


def test_what_the_worker_is_sent_is_every_field_of_a_sample_but_its_prompt():
    full = Sample(row_id="r1", inputs={"q": "Q?", "n": 3}, messages=(Message("user", "Q?"),), output="A",
                  error=None, repeat=2, latency_ms=12.5, prompt_tokens=7, completion_tokens=2, finish_reason="stop",
                  model_id="m", attempts=3, cached=True, prediction=1.5,
                  tool_calls=(ToolCall("lookup", '{"q": 1}', "call-1"),), turns=2)
    failed = Sample(row_id="r2", inputs={}, messages=(), output=None, error="HTTP 503")
    sent = pickle.loads(pickle.dumps(PackedSamples.of([full, failed])))
    assert sent.unpack() == (dataclasses.replace(full, messages=()), failed)


def test_closing_while_the_page_is_drawn_waits_for_the_whole_page(tmp_path):
    # close() stops a child with nothing left to do at once; one still drawing is waited for
    with ScoringWorker() as w:
        w.start_html(SAMPLES, SUITES, tmp_path / "p.html")  # never waited for by the caller
        # handed to the child (a task still queued when the pool shuts down is cancelled, not drawn)
        (page,) = w._tasks
        while not (page.running() or page.done()):
            time.sleep(0.005)
    assert (tmp_path / "p.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_in_process_worker_scores_alike(scores):
    with ScoringWorker(in_process=True) as w:
        assert w.pid is None and w.fallback_reason
        assert w.score(SAMPLES, SUITES) == scores


def test_worker_that_dies_after_starting_raises_never_passes():
    w = ScoringWorker()
    try:
        os.kill(w.pid, signal.SIGKILL)
        with pytest.raises(ScoringWorkerError, match="died while scoring 2 samples") as info:
            w.score([_sample(0, "Paris"), _sample(1, "Rome")], SUITES)
        assert isinstance(info.value, InfraError) and isinstance(info.value, GatewiseError)
        with pytest.raises(ScoringWorkerError):  # and stays failed
            w.score([_sample(0, "Paris")], SUITES)
    finally:
        w.close()


def test_worker_that_cannot_start_falls_back_to_this_process(scores):
    before = {p.pid for p in multiprocessing.active_children()}
    with ScoringWorker() as w:
        for child in multiprocessing.active_children():  # kill it before it has imported anything
            if child.pid not in before:
                os.kill(child.pid, signal.SIGKILL)
        assert w.score(SAMPLES, SUITES) == scores
        assert "died while starting" in w.fallback_reason


# -- registry and telemetry --------------------------------------------------------------------

def test_evidently_is_a_registered_suite_kind():
    assert scorer("evidently") is score_evidently
    assert kind_of(SUITES[0]) == "evidently"
    with pytest.raises(ValueError, match="already registered"):
        suite_kind("evidently")(lambda samples, suites: ())
    with pytest.raises(KeyError, match="no suite kind"):
        scorer("no-such-kind")


def test_disable_telemetry_sets_the_opt_outs(monkeypatch):
    for name in ("DO_NOT_TRACK", "EVIDENTLY_DISABLE_TELEMETRY", "DEEPEVAL_TELEMETRY_OPT_OUT"):
        monkeypatch.delenv(name, raising=False)
    disable_telemetry()
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["EVIDENTLY_DISABLE_TELEMETRY"] == "1"
    assert os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] == "YES"
