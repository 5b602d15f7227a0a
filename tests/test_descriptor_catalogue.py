"""Evidently's catalogue by descriptor name: the table ``validate`` reads matches the installed
evidently, every descriptor it accepts runs offline, and the newly reachable ones score rows the way
an independent computation here says (``ast``, ``json``, character counts), never Evidently's own."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap

import pytest

from gatewise.config import SuiteConfig, descriptor_names
from gatewise.config._checks import defaults_of
from gatewise.config._descriptor_table import DESCRIPTORS, EVIDENTLY_VERSION
from gatewise.config._offline_data import missing_nltk_data, missing_package
from gatewise.samples import Message, Sample
from gatewise.suites import score_evidently


def _sample(i: int, output: str, **inputs: object) -> Sample:
    return Sample(row_id=f"r{i}", inputs={"id": f"r{i}", **inputs}, messages=(Message("user", "q"),), output=output)


def test_the_table_matches_the_installed_evidently():
    import evidently

    from gatewise.suites._descriptor_catalogue import catalogue, render

    assert EVIDENTLY_VERSION == evidently.__version__, \
        "regenerate: python -m gatewise.suites._descriptor_catalogue > src/gatewise/config/_descriptor_table.py"
    assert DESCRIPTORS == catalogue()
    assert render(DESCRIPTORS).startswith('"""Evidently')


def test_the_catalogue_the_issue_names_is_reachable():
    for name in ("IsValidJSON", "IsValidPython", "IsValidSQL", "ItemMatch", "ItemNoMatch", "WordMatch", "Sentiment",
                 "OOVWordsPercentage", "NonLetterCharacterPercentage", "TextMatch", "JSONMatch"):
        assert name in descriptor_names()


def _sample_params(name: str) -> dict[str, object]:
    values = {"str": "Paris", "list[str]": ["Paris"], "schema": {"a": "int"}, "any": ["Paris"]}
    params = {}
    for key, spec in DESCRIPTORS[name]["params"].items():
        if "default" not in spec:
            kind = spec["type"]
            params[key] = kind["choice"][0] if isinstance(kind, dict) else values.get(kind, "Paris")
    return params


def _runnable_here(name: str) -> bool:
    entry = DESCRIPTORS[name]
    return not missing_nltk_data(entry.get("nltk_data", [])) and not (
        entry.get("package") and missing_package(entry["package"]))


def test_every_accepted_descriptor_scores_every_row_offline():
    names = [n for n in descriptor_names() if _runnable_here(n)]
    checks = []
    for name in names:
        check = {"descriptor": name, **_sample_params(name)}
        if DESCRIPTORS[name]["columns"] != "one":
            check["expected"] = "answer"
        checks.append(check)
    suite = SuiteConfig(name="all", evidently=checks)
    samples = [_sample(0, "The capital is Paris.", answer="Paris"), _sample(1, '{"a": 1}', answer='{"a": 1}')]
    scores = score_evidently(samples, [suite])
    assert len(scores) == len(samples) * len(names)
    broken = [(s.metric, s.error) for s in scores if s.error is not None]
    assert not broken
    for s in scores:
        output = DESCRIPTORS[s.metric.removeprefix("all.")]["output"]
        assert s.value is not None and (output == "number" or s.value in (0.0, 1.0))
        if output == "bool":
            assert s.passed == (s.value == 1.0)  # no condition: a boolean passes when True


OUTPUTS = ["print('hi')", "def f(:\n  pass", "x = [1, 2]", "SELECT 1", "Paris!! 42"]


def _python_valid(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _json_valid(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _by_metric(scores):
    table: dict[str, list] = {}
    for s in scores:
        table.setdefault(s.metric, []).append(s)
    return table


def test_new_descriptors_score_as_computed_here():
    suite = SuiteConfig(name="c", evidently=[
        {"descriptor": "IsValidPython", "name": "python"},
        {"descriptor": "IsValidJSON", "name": "not_json", "equals": False},
        {"descriptor": "NonLetterCharacterPercentage", "name": "symbols", "max": 20},
        {"descriptor": "ItemMatch", "name": "mentions_an_item", "expected": "items"},
        {"descriptor": "ItemNoMatch", "name": "avoids_forbidden", "expected": "forbidden"},
        {"descriptor": "TextMatch", "name": "regex", "match_items": ["^[a-z]"], "match_type": "regex"},
    ])
    items = [["print"], ["def", "class"], "x", ["SELECT", "FROM"], '["paris"]']
    forbidden = [["hi"], ["nothing"], ["x"], ["DROP"], ["42"]]
    samples = [_sample(i, text, items=items[i], forbidden=forbidden[i]) for i, text in enumerate(OUTPUTS)]
    got = _by_metric(score_evidently(samples, [suite]))
    assert [s.passed for s in got["c.python"]] == [_python_valid(t) for t in OUTPUTS]
    assert [s.passed for s in got["c.not_json"]] == [not _json_valid(t) for t in OUTPUTS]
    # the share of characters that are neither letters nor spaces (a newline counts), in percent
    expected = [100 * sum(1 for ch in t if not ch.isalpha() and ch != " ") / len(t) for t in OUTPUTS]
    assert [s.value for s in got["c.symbols"]] == pytest.approx(expected)
    assert [s.passed for s in got["c.symbols"]] == [v <= 20 for v in expected]
    as_list = [i if isinstance(i, list) else json.loads(i) if i.startswith("[") else [i] for i in items]
    assert [s.passed for s in got["c.mentions_an_item"]] == [
        any(item in text for item in row) for text, row in zip(OUTPUTS, as_list)]
    assert [s.passed for s in got["c.avoids_forbidden"]] == [
        not any(item in text for item in row) for text, row in zip(OUTPUTS, forbidden)]
    assert [s.passed for s in got["c.regex"]] == [t[:1].islower() for t in OUTPUTS]


def test_gatewise_defaults_where_they_differ_from_evidentlys():
    assert defaults_of("IncludesWords")["lemmatize"] is False  # Evidently: True (needs wordnet)
    assert defaults_of("ExcludesWords")["mode"] == "all"
    assert defaults_of("Contains")["case_sensitive"] is False
    assert defaults_of("JSONSchemaMatch")["validate_types"] is True
    assert defaults_of("BeginsWith") == {"case_sensitive": True}  # Evidently's own where gatewise has none


def test_validating_a_config_does_not_import_evidently(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"id": "1", "question": "q", "answer": "a"}\n')
    (tmp_path / "gate.yaml").write_text(textwrap.dedent("""\
        endpoint: {base_url: "http://127.0.0.1:9/v1", model: m}
        prompt: {user: "{question}"}
        dataset: {path: rows.jsonl}
        suites:
          - name: checks
            evidently:
              - {descriptor: IsValidPython}
              - {descriptor: ItemMatch, expected: answer, mode: all}
              - {descriptor: NonLetterCharacterPercentage, max: 30}
        """))
    probe = ("import sys; from gatewise.config import load_config; load_config(sys.argv[1]); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('evidently', 'nltk', 'pandas')))")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "gate.yaml")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_sentiment_runs_offline_from_installed_nltk_data_without_calling_download(tmp_path, monkeypatch):
    import zipfile

    nltk = pytest.importorskip("nltk")
    # a tiny VADER lexicon where nltk looks for the real one: word, mean, std, ratings
    data = tmp_path / "nltk_data"
    (data / "sentiment").mkdir(parents=True)
    with zipfile.ZipFile(data / "sentiment" / "vader_lexicon.zip", "w") as archive:
        archive.writestr("vader_lexicon/vader_lexicon.txt", "good\t1.9\t0.9\t[2, 2]\nawful\t-2.5\t0.5\t[-2, -3]")
    monkeypatch.setenv("NLTK_DATA", str(data))  # what validation looks at
    monkeypatch.setattr(nltk.data, "path", [str(data), *nltk.data.path])  # nltk read NLTK_DATA at import

    def no_download(*args, **kwargs):
        raise AssertionError(f"nltk.download{args} was called: a gate must never download")

    monkeypatch.setattr(nltk, "download", no_download)
    suite = SuiteConfig(name="tone", evidently=[{"descriptor": "Sentiment", "min": 0}])
    texts = ["good good", "awful", "neutral words"]
    scores = score_evidently([_sample(i, t) for i, t in enumerate(texts)], [suite])
    assert [s.error for s in scores] == [None, None, None]
    values = [s.value for s in scores]
    assert values[0] > 0 > values[1] and values[2] == 0
    assert [s.passed for s in scores] == [True, False, True]
