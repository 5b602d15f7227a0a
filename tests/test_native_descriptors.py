"""The checks gatewise computes itself give, row for row, what Evidently 0.7.23 gives.

Every native descriptor runs with every parameter it takes over an awkward corpus (unicode, case,
empty and blank text, punctuation, numbers, JSON edge cases, missing values) through both paths:
Evidently's (``score_evidently``) and gatewise's (``score_row_checks``). Values, pass/fail and
reasons must be identical. Where Evidently's own code raises on some row, the native path must
hand the check to Evidently (never guess): those checks are listed in ``HANDED_TO_EVIDENTLY``.
"""

from __future__ import annotations

import itertools

import pytest

from gatewise.config import SuiteConfig
from gatewise.samples import Sample
from gatewise.suites import score_evidently
from gatewise.suites._native import is_native
from gatewise.suites._row_checks import score_row_checks

OUTPUTS = [
    "", " ", "   leading and trailing   ", "Hello World.", "hello world", "HELLO", "Straße STRASSE strasse",
    "ǅemal titlecase", "İstanbul istanbul", "naïve café", "日本語のテキスト。", "emoji 😀 text", "42", "-3.5",
    '{"a": 1, "b": null}', '{"a": "x", "b": [1, 2]}', '{"b": 2}', "[1, 2, 3]", '"just a string"', "null", "true",
    "{bad json", "NaN", "def f(x):\n    return x", "print('hi'", "Visit https://example.com now", "ftp://x.y",
    "www.example.com", "Mr. Smith went. Did he? Yes! e.g. this. U.S.A. is big.", "a.b.c. d", "one. two? three",
    "word1 word2, word3; WORD1!", "tab\tseparated\nnewline", "a|b", "(paren", "cat dog", "Cats and DOGS.",
    "hello-world hello_world", "100%", "...", "?",
]
# text with no empty value (NonLetterCharacterPercentage divides by the length)
NON_EMPTY = [text or "x" for text in OUTPUTS]
MAYBE = [None, float("nan"), 42, 3.5, True, {"a": 1}, ["a", "b"], "Hello World.", "", "hello"]
TAGS = [["hello", "world"], '["Hello", "x"]', "hello", None, [], ["ß"], ["cat", "dog"], [1, "two"], "[bad", ["."]]
JSONS = ['{"a": 1, "b": "x"}', '{"a": "1"}', '{"a": null}', "{}", '{"a": 1, "b": [1], "c": {}}', "[1, 2]",
         '{"a": 1.5, "b": ["x"]}', "not json", "", '{"a": true, "b": {"c": 1}}']


def _samples() -> list[Sample]:
    samples = []
    for i, output in enumerate(OUTPUTS):
        k = i % len(MAYBE)
        samples.append(Sample(
            row_id=f"r{i}", messages=(), output=output, repeat=0,
            inputs={"expected": OUTPUTS[(i * 7) % len(OUTPUTS)] if i % 3 else output, "maybe": MAYBE[k],
                    "tags": TAGS[i % len(TAGS)], "json": JSONS[i % len(JSONS)], "text": NON_EMPTY[i],
                    "same_json": output if i % 2 else JSONS[i % len(JSONS)]}))
    samples.append(Sample(row_id="failed", inputs={"expected": "x"}, messages=(), output=None, error="HTTP 503"))
    samples.append(Sample(row_id="r0", inputs={"expected": ""}, messages=(), output="", repeat=1))
    return samples


CASES = [True, False]
ANY_ALL = ["any", "all"]


def _checks() -> list[dict]:
    checks: list[dict] = []
    for column in ("output", "maybe", "text", "json"):
        for name in ("TextLength", "WordCount", "SentenceCount", "NonLetterCharacterPercentage"):
            checks += [{"descriptor": name, "column": column},
                       {"descriptor": name, "column": column, "min": 2, "max": 12},
                       {"descriptor": name, "column": column, "equals": 1}]
        for name in ("IsValidJSON", "IsValidPython", "ContainsLink"):
            checks += [{"descriptor": name, "column": column}, {"descriptor": name, "column": column, "equals": False}]
        for reg_exp in (r"\d+", r"[A-Za-z ]+\.", "None", r"(?i)hello.*", ""):
            checks.append({"descriptor": "RegExp", "column": column, "reg_exp": reg_exp})
        for items, case, mode in itertools.product(
                (["hello"], ["Hello", "world"], ["a.b"], ["straße"], ["(paren"], ["İ"], ["|"]), CASES, ANY_ALL):
            for name in ("Contains", "DoesNotContain"):
                checks.append({"descriptor": name, "column": column, "items": items, "case_sensitive": case,
                               "mode": mode})
        for affix, case in itertools.product(("hello", "HELLO", "", "ß", "STRASSE", "."), CASES):
            checks += [{"descriptor": "BeginsWith", "column": column, "prefix": affix, "case_sensitive": case},
                       {"descriptor": "EndsWith", "column": column, "suffix": affix, "case_sensitive": case}]
        for words in (["hello"], ["hello", "world"], ["word1"], ["HELLO"], ["cat", "dog"]):
            checks.append({"descriptor": "TriggerWordsPresent", "column": column, "words_list": words,
                           "lemmatize": False})
            for mode in ANY_ALL:
                for name in ("IncludesWords", "ExcludesWords"):
                    checks.append({"descriptor": name, "column": column, "words_list": words, "mode": mode,
                                   "lemmatize": False})
            for mode in ("includes_any", "includes_all", "excludes_any", "excludes_all"):
                checks.append({"descriptor": "WordsPresence", "column": column, "words_list": words, "mode": mode,
                               "lemmatize": False})
        for items, match_type, mode, case, bounds in itertools.product(
                (["hello"], ["Hello", "world"], ["hello world"], [r"\d+"]), ("contains", "not_contains", "exact", "regex"),
                ANY_ALL, CASES, CASES):
            checks.append({"descriptor": "TextMatch", "column": column, "match_items": items, "match_type": match_type,
                           "match_mode": mode, "case_sensitive": case, "word_boundaries": bounds})
        for schema, exact, types in itertools.product(({"a": "int"}, {"a": "str", "b": "list"}, {"b": "dict"}),
                                                      CASES, CASES):
            checks.append({"descriptor": "JSONSchemaMatch", "column": column, "expected_schema": schema,
                           "exact_match": exact, "validate_types": types})
    for column, expected in (("output", "expected"), ("output", "maybe"), ("text", "expected"), ("output", "json"),
                             ("output", "same_json")):
        checks += [{"descriptor": "ExactMatch", "column": column, "expected": expected},
                   {"descriptor": "ExactMatch", "column": column, "expected": expected, "equals": False},
                   {"descriptor": "JSONMatch", "column": column, "expected": expected}]
    for column in ("output", "maybe", "text"):
        for mode in ANY_ALL:
            for name in ("WordMatch", "WordNoMatch"):
                checks.append({"descriptor": name, "column": column, "expected": "tags", "mode": mode,
                               "lemmatize": False})
            for case in CASES:
                for name in ("ItemMatch", "ItemNoMatch"):
                    checks.append({"descriptor": name, "column": column, "expected": "tags", "mode": mode,
                                   "case_sensitive": case})
    return [{**check, "name": f"c{i}"} for i, check in enumerate(checks)]


CHECKS = _checks()
SUITES = [SuiteConfig(name=f"s{k}", evidently=CHECKS[k:k + 60]) for k in range(0, len(CHECKS), 60)]


@pytest.fixture(scope="module")
def both_paths():
    samples = _samples()
    handed: list[str] = []

    def evidently(rows, suites):
        handed.extend(f"{suite.name}.{check.label}" for suite in suites for check in suite.evidently or ())
        return score_evidently(rows, suites)

    return score_evidently(samples, SUITES), score_row_checks(samples, SUITES, evidently), handed


def test_every_descriptor_here_is_native():
    assert all(is_native(c["descriptor"], {"lemmatize": False}) for c in CHECKS)


def test_native_values_pass_and_reasons_equal_evidentlys_row_for_row(both_paths):
    theirs, ours, _ = both_paths
    assert len(ours) == len(theirs)
    differ = []
    for a, b in zip(theirs, ours):
        assert (a.row_id, a.repeat, a.metric) == (b.row_id, b.repeat, b.metric)
        if a != b:  # value, passed, error and reason alike
            check = next(c for c in CHECKS if c["name"] == b.metric.split(".")[1])
            differ.append((check, a, b))
    assert not differ, "\n".join(map(repr, differ[:20]))


def test_only_checks_evidentlys_code_raises_on_are_handed_to_it(both_paths):
    theirs, _, handed = both_paths
    erred = {s.metric for s in theirs if s.error is not None and " raised " in s.error}
    # every check Evidently raised on went to Evidently; nothing else did
    assert set(handed) == erred
    assert erred and len(handed) < len(CHECKS) / 4  # the corpus is nasty, not hopeless: most checks stay native


def test_scoring_leaves_the_cycle_collector_as_it_found_it():
    import gc

    samples = _samples()[:5]
    suites = [SuiteConfig(name="s", evidently=[{"descriptor": "TextLength"}])]
    assert gc.isenabled()
    assert len(score_row_checks(samples, suites, score_evidently)) == len(samples)
    assert gc.isenabled()
    gc.disable()
    try:
        score_row_checks(samples, suites, score_evidently)
        assert not gc.isenabled()
    finally:
        gc.enable()
