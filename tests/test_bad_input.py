"""Bad input is refused before anything happens: exit 2, a message that names the place, no
request to the endpoint, no file written.

Every case starts from ``GOOD``, a small valid gate over three questions, breaks one thing and
runs ``gatewise gate`` in-process against a real stand-in endpoint that counts requests. Line
numbers in the assertions are lines of the broken file, which ``replace_line`` checks against
``GOOD`` so a reader can trust them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gatewise.cli import main
from gatewise.standin import StandinServer

ROWS = [
    {"id": "q1", "question": "What is the capital of France?", "answer": "Paris"},
    {"id": "q2", "question": "What is the capital of Japan?", "answer": "Tokyo"},
    {"id": "q3", "question": "What is the capital of Canada?", "answer": "Ottawa"},
]
JSONL = "".join(json.dumps(row) + "\n" for row in ROWS)

# <base_url>, <dataset> and <sha256> are filled in by ``Workspace.gate``.
GOOD = """\
version: 1
endpoint:
  base_url: <base_url>
  model: standin-model
  concurrency: 4
  max_tokens: 64
prompt:
  system: You answer questions about capitals.
  user: "Question: {question}"
dataset:
  path: <dataset>
  sha256: "<sha256>"
suites:
  - name: correctness
    evidently:
      - descriptor: ExactMatch
        expected: answer
      - descriptor: TextLength
        name: length
        min: 1
        max: 200
thresholds:
  correctness:
    pass_rate: ">= 0.9"
  latency_ms:
    p95: "<= 2500"
"""


def replace_line(number: int, old: str, new: str, text: str = GOOD) -> str:
    """``text`` with ``old`` on line ``number`` (1-based) replaced by ``new``."""
    lines = text.splitlines(keepends=True)
    assert old in lines[number - 1], f"line {number} is {lines[number - 1]!r}, not one holding {old!r}"
    lines[number - 1] = lines[number - 1].replace(old, new)
    return "".join(lines)


def insert_after(number: int, new_lines: str, text: str = GOOD) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:number] + [new_lines] + lines[number:])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def standin():
    # overrides conftest's stand-in: this module counts requests to a server that knows its own rows
    with StandinServer(answers={row["question"]: row["answer"] for row in ROWS}) as server:
        yield server


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    requests: int  # requests the stand-in saw during the command


@dataclass(frozen=True)
class Workspace:
    root: Path
    base_url: str

    def gate(self, config: str = GOOD, *, dataset: str | bytes | None = JSONL, dataset_name: str = "golden.jsonl",
             name: str = "gate.yaml") -> Path:
        """Write the dataset (unless None) and the config pinned to it; return the config's path."""
        data = self.root / dataset_name
        if dataset is not None:
            data.write_bytes(dataset.encode() if isinstance(dataset, str) else dataset)
        sha = sha256_of(data) if data.is_file() else "0" * 64
        text = config.replace("<base_url>", self.base_url).replace("<dataset>", dataset_name)
        path = self.root / name
        path.write_text(text.replace("<sha256>", sha), encoding="utf-8")
        return path


@pytest.fixture
def ws(tmp_path, standin, monkeypatch) -> Workspace:
    # relative defaults (.gatewise-cache, gate-out) land in tmp_path, where "nothing written" is checked
    monkeypatch.chdir(tmp_path)
    for name in ("GATEWISE_ENDPOINT_URL", "GATEWISE_ENDPOINT_MODEL", "GATEWISE_ENDPOINT_KEY"):
        monkeypatch.delenv(name, raising=False)  # the pin tests' config reads them
    return Workspace(tmp_path, standin.base_url)


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.fixture
def cli(standin, capsys):
    def run(*argv: str) -> Outcome:
        before = standin.stats.requests
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err, standin.stats.requests - before)

    return run


@pytest.fixture
def refused(ws, cli):
    """Run ``gatewise gate`` on a config; check it was refused cleanly; return its stderr."""

    def run(config: Path, *extra: str) -> str:
        out = ws.root / "out"
        before = _tree(ws.root)
        result = cli("gate", "--config", str(config), "--out", str(out),
                     "--cache", "--cache-dir", str(ws.root / "cache"), *extra)
        assert result.code == 2, f"exit {result.code}, stderr:\n{result.stderr}"
        assert result.stderr.startswith("gatewise: error: "), result.stderr
        assert "Traceback" not in result.stderr
        assert result.requests == 0, "the endpoint was called"
        assert not out.exists(), "the report directory was created"
        assert _tree(ws.root) == before, "a file was written or changed"
        return result.stderr

    return run


def test_the_counting_endpoint_sees_requests_it_is_sent(standin):
    # the control that makes "saw 0 requests" below mean something
    before = standin.stats.requests
    assert httpx.get(standin.base_url + "/models").status_code == 200
    assert standin.stats.requests == before + 1


def test_the_good_config_passes_every_check_that_needs_no_network(ws, cli):
    config = ws.gate()
    result = cli("validate", "--config", str(config))
    assert result.code == 0, result.stderr
    assert "3 rows" in result.stdout
    assert result.requests == 0


# --- the YAML itself -----------------------------------------------------------------------

def test_yaml_syntax_error_names_the_line(ws, refused):
    config = ws.gate(replace_line(5, "concurrency: 4", "concurrency: 4: 5"))
    err = refused(config)
    assert f"{config}:5" in err
    assert "YAML syntax error" in err


def test_top_level_must_be_a_mapping(ws, refused):
    config = ws.gate("- endpoint\n- prompt\n")
    err = refused(config)
    assert f"{config}:1" in err
    assert "must be a mapping" in err


@pytest.mark.parametrize("text", ["", "# nothing here yet\n"], ids=["empty", "only-a-comment"])
def test_empty_config_names_the_missing_sections(ws, refused, text):
    config = ws.gate(text)
    err = refused(config)
    assert f"{config}:1 [endpoint]: required key is missing" in err
    assert "[prompt]: required key is missing" in err
    assert "[dataset]: required key is missing" in err


def test_config_file_not_found(ws, refused):
    err = refused(ws.root / "missing.yaml")
    assert f"{ws.root / 'missing.yaml'}: config file not found" in err


# --- keys and types ------------------------------------------------------------------------

def test_unknown_top_level_key(ws, refused):
    config = ws.gate(replace_line(22, "thresholds:", "threshold:"))
    err = refused(config)
    assert f"{config}:22 [threshold]: unknown key" in err


def test_unknown_nested_key_such_as_a_typo(ws, refused):
    config = ws.gate(replace_line(5, "concurrency:", "concurency:"))
    err = refused(config)
    assert f"{config}:5 [endpoint.concurency]: unknown key" in err


@pytest.mark.parametrize("line, old, new, key, message", [
    (5, "concurrency: 4", "concurrency: abc", "endpoint.concurrency", "valid integer"),
    (5, "concurrency: 4", "concurrency: 0", "endpoint.concurrency", "greater than or equal to 1"),
    (6, "max_tokens: 64", "max_tokens: -1", "endpoint.max_tokens", "greater than or equal to 1"),
    (1, "version: 1", "version: 2", "version", "Input should be 1"),
    (14, "name: correctness", "name: 2nd correctness", "suites[0].name", "should match pattern"),
], ids=["concurrency-abc", "concurrency-0", "max_tokens-negative", "version-2", "suite-name-not-identifier"])
def test_wrong_type_or_range_names_line_and_key(ws, refused, line, old, new, key, message):
    config = ws.gate(replace_line(line, old, new))
    err = refused(config)
    assert f"{config}:{line} [{key}]: " in err
    assert message in err


def test_missing_required_key_names_its_section(ws, refused):
    config = ws.gate(replace_line(4, "  model: standin-model\n", ""))
    err = refused(config)
    assert f"{config}:2 [endpoint.model]: required key is missing" in err


def test_base_url_must_be_http(ws, refused):
    config = ws.gate(replace_line(3, "<base_url>", "127.0.0.1:8000/v1"))
    err = refused(config)
    assert f"{config}:3 [endpoint.base_url]: must start with http:// or https://" in err


def test_a_bad_endpoint_url_flag_is_blamed_on_the_flag_not_the_file(ws, refused):
    config = ws.gate()
    err = refused(config, "--endpoint-url", "127.0.0.1:8000/v1")
    assert "[endpoint.base_url]" in err
    assert "must start with http:// or https://" in err
    assert "command line" in err
    assert f"{config}:3" not in err  # line 3 of the file holds a good URL


def test_a_flag_overrides_an_unset_variable_in_the_file(ws, refused, monkeypatch, standin):
    # the file's URL is never used, so its unset variable must not be what stops the run
    monkeypatch.delenv("GATEWISE_TEST_URL", raising=False)
    config = replace_line(3, "<base_url>", "${GATEWISE_TEST_URL}")
    config = ws.gate(replace_line(5, "concurrency: 4", "concurrency: abc", config))
    err = refused(config, "--endpoint-url", standin.base_url)
    assert f"{config}:5 [endpoint.concurrency]" in err
    assert "GATEWISE_TEST_URL" not in err


# --- environment variables -----------------------------------------------------------------

def test_missing_environment_variable_without_default(ws, refused, monkeypatch):
    monkeypatch.delenv("GATEWISE_TEST_NOPE", raising=False)
    config = ws.gate(replace_line(4, "standin-model", "${GATEWISE_TEST_NOPE}"))
    err = refused(config)
    assert f"{config}:4 [endpoint.model]: environment variable GATEWISE_TEST_NOPE is not set" in err
    assert "${GATEWISE_TEST_NOPE:-default}" in err


@pytest.mark.parametrize("env, model", [(None, "standin-model"), ("", "standin-model"), ("other-model", "other-model")],
                         ids=["unset", "empty", "set"])
def test_environment_variable_default_is_used_when_unset_or_empty(ws, cli, monkeypatch, env, model):
    if env is None:
        monkeypatch.delenv("GATEWISE_TEST_MODEL", raising=False)
    else:
        monkeypatch.setenv("GATEWISE_TEST_MODEL", env)
    config = ws.gate(replace_line(4, "standin-model", "${GATEWISE_TEST_MODEL:-standin-model}"))
    result = cli("validate", "--config", str(config))
    assert result.code == 0, result.stderr
    assert f"model {model}" in result.stdout


def test_environment_default_gets_past_interpolation_to_the_next_error(ws, refused, monkeypatch):
    monkeypatch.delenv("GATEWISE_TEST_MODEL", raising=False)
    config = replace_line(4, "standin-model", "${GATEWISE_TEST_MODEL:-standin-model}")
    config = ws.gate(replace_line(5, "concurrency: 4", "concurrency: abc", config))
    err = refused(config)
    assert f"{config}:5 [endpoint.concurrency]" in err
    assert "GATEWISE_TEST_MODEL" not in err


# --- the dataset and its pin ---------------------------------------------------------------

def test_missing_dataset_file(ws, refused):
    config = ws.gate(dataset=None)
    err = refused(config)
    assert f"dataset file not found: {ws.root / 'golden.jsonl'} (dataset.path in {config})" in err


def test_dataset_that_changed_since_it_was_pinned(ws, refused):
    config = ws.gate()
    pinned = sha256_of(ws.root / "golden.jsonl")
    (ws.root / "golden.jsonl").write_text(JSONL.replace("Ottawa", "Toronto"))
    actual = sha256_of(ws.root / "golden.jsonl")
    err = refused(config)
    assert "does not match its pin" in err
    assert f"pinned (dataset.sha256): {pinned}" in err
    assert f"actual (file bytes):     {actual}" in err
    assert f"gatewise pin {ws.root / 'golden.jsonl'} --config {config}" in err


def test_dataset_that_is_not_pinned(ws, refused):
    config = ws.gate(replace_line(12, '  sha256: "<sha256>"\n', ""))
    err = refused(config)
    assert f"is not pinned: its sha256 is {sha256_of(ws.root / 'golden.jsonl')}" in err
    assert f"gatewise pin {ws.root / 'golden.jsonl'} --config {config}" in err


def test_a_pin_that_is_not_a_sha256(ws, refused):
    config = ws.gate(replace_line(12, "<sha256>", "abc123"))
    err = refused(config)
    assert f"{config}:12 [dataset.sha256]: " in err


def test_dataset_path_is_a_directory(ws, refused):
    (ws.root / "golden.jsonl").mkdir()
    config = ws.gate(dataset=None)
    err = refused(config)
    assert f"dataset path is a directory, not a file: {ws.root / 'golden.jsonl'} (dataset.path in {config})" in err


def test_malformed_jsonl_line_is_named(ws, refused):
    lines = JSONL.splitlines(keepends=True)
    config = ws.gate(dataset=lines[0] + '{"id": "q2", "question": "What is\n' + lines[2])
    err = refused(config)
    assert f"dataset {ws.root / 'golden.jsonl'}:2: not valid JSON" in err


def test_jsonl_line_that_is_not_an_object(ws, refused):
    config = ws.gate(dataset=JSONL + '["q4", "a list"]\n')
    err = refused(config)
    assert f"dataset {ws.root / 'golden.jsonl'}:4: each line must be a JSON object" in err


def test_dataset_that_is_not_utf8(ws, refused):
    config = ws.gate(dataset=JSONL.encode() + '{"id": "q4", "question": "Qu\u00e9bec?"}\n'.encode("latin-1"))
    err = refused(config)
    assert f"dataset {ws.root / 'golden.jsonl'}" in err
    assert "not UTF-8" in err


CSV = "id,question,answer\nq1,What is the capital of France?,Paris\nq2,What is the capital of Japan?,Tokyo\n"


@pytest.mark.parametrize("row, problem", [
    ("q3,What is the capital of Canada?,Ottawa,extra", "more fields than the header has"),
    ("q3,What is the capital of Canada?", "fewer fields than the header has"),
], ids=["too-many-fields", "too-few-fields"])
def test_csv_with_a_ragged_row_names_its_line(ws, refused, row, problem):
    config = ws.gate(dataset=CSV + row + "\n", dataset_name="golden.csv")
    err = refused(config)
    assert f"dataset {ws.root / 'golden.csv'}:4: {problem}" in err


def test_csv_line_numbers_count_newlines_inside_quoted_fields(ws, refused):
    config = ws.gate(dataset=CSV + 'q3,"What is the capital\nof Canada?",Ottawa\nq4,Why?\n', dataset_name="golden.csv")
    err = refused(config)
    assert f"dataset {ws.root / 'golden.csv'}:6: fewer fields than the header has" in err


def test_unknown_dataset_suffix(ws, refused):
    config = ws.gate(dataset=JSONL, dataset_name="golden.txt")
    err = refused(config)
    assert f"dataset {ws.root / 'golden.txt'}: cannot tell the format from '.txt'" in err
    assert "dataset.format" in err


def test_duplicate_row_ids_name_both_lines(ws, refused):
    config = ws.gate(dataset=JSONL + json.dumps({**ROWS[0], "question": "Again?"}) + "\n")
    err = refused(config)
    assert f"dataset {ws.root / 'golden.jsonl'}:4: repeats id 'q1' of line 1" in err


def test_duplicate_row_ids_in_csv_name_file_lines(ws, refused):
    config = ws.gate(dataset=CSV + "q1,Again?,Paris\n", dataset_name="golden.csv")
    err = refused(config)
    assert f"dataset {ws.root / 'golden.csv'}:4: repeats id 'q1' of line 2" in err


@pytest.mark.parametrize("content, name", [("", "golden.jsonl"), ("\n\n", "golden.jsonl"),
                                           ("id,question,answer\n", "golden.csv")],
                         ids=["empty-jsonl", "blank-lines", "csv-header-only"])
def test_empty_dataset(ws, refused, content, name):
    config = ws.gate(dataset=content, dataset_name=name)
    err = refused(config)
    assert f"dataset {ws.root / name} has no rows" in err


# --- the prompt ----------------------------------------------------------------------------

def test_template_placeholder_missing_from_the_dataset(ws, refused):
    config = ws.gate(replace_line(9, "{question}", "{questoin}"))
    err = refused(config)
    assert f"{config}:9 [prompt.user]: " in err
    assert "{questoin}" in err
    assert "'q1'" in err  # the first row without it
    assert "id, question, answer" in err  # the columns it could have used


@pytest.mark.parametrize("template, problem", [
    ("Question: {0}", "must name a dataset column"),
    ("Question: {}", "must name a dataset column"),
    ("Question: {question!r}", "may not have a format spec or conversion"),
    ("Question: {question:>40}", "may not have a format spec or conversion"),
    ("Question: {question.upper}", "must name a dataset column"),
    ("Question: {question", "bad user template"),
], ids=["positional", "empty", "conversion", "format-spec", "attribute", "unclosed-brace"])
def test_bad_template_names_line_and_key(ws, refused, template, problem):
    config = ws.gate(replace_line(9, "Question: {question}", template))
    err = refused(config)
    assert f"{config}:9 [prompt.user]: bad user template" in err
    assert problem in err


def test_system_and_system_file_are_exclusive(ws, refused):
    (ws.root / "system.md").write_text("You answer questions.\n")
    config = ws.gate(insert_after(8, "  system_file: system.md\n"))
    err = refused(config)
    assert f"{config}:7 [prompt]: give either system or system_file, not both" in err


def test_system_file_that_does_not_exist(ws, refused):
    config = ws.gate(replace_line(8, "system: You answer questions about capitals.", "system_file: prompts/nope.md"))
    err = refused(config)
    assert f"{config}:8 [prompt.system_file]: cannot read system prompt file {ws.root / 'prompts/nope.md'}" in err


# --- suites and checks ---------------------------------------------------------------------

def test_unknown_descriptor_lists_the_known_ones(ws, refused):
    config = ws.gate(replace_line(18, "TextLength", "TextLenght"))
    err = refused(config)
    assert f"{config}:18 [suites[0].evidently[1].descriptor]: unknown descriptor" in err
    assert "TextLength" in err and "ExactMatch" in err


def test_check_without_a_descriptor(ws, refused):
    config = ws.gate(replace_line(18, "- descriptor: TextLength", "- kind: TextLength"))
    err = refused(config)
    assert f"{config}:18 [suites[0].evidently[1]]: a check needs a 'descriptor' key" in err


def test_check_bound_min_above_max(ws, refused):
    config = ws.gate(replace_line(20, "min: 1", "min: 300"))
    err = refused(config)
    assert f"{config}:21 [suites[0].evidently[1].max]: " in err
    assert "min (300) is greater than max (200)" in err


def test_unknown_key_in_a_check(ws, refused):
    config = ws.gate(replace_line(21, "max:", "maximum:"))
    err = refused(config)
    assert f"{config}:21 [suites[0].evidently[1].maximum]: unknown key" in err


def test_invalid_regular_expression(ws, refused):
    config = ws.gate(insert_after(21, '      - descriptor: RegExp\n        reg_exp: "([A-Z]"\n'))
    err = refused(config)
    assert f"{config}:23 [suites[0].evidently[2].reg_exp]: reg_exp is not a valid regular expression" in err


# Evidently's descriptors by name: parameters checked against the descriptor's signature
@pytest.mark.parametrize("check, line, key, message", [
    ('      - descriptor: RegExp\n        pattern: "^[A-Z]"\n', 23, "evidently[2].pattern",
     "pattern is now Evidently's own name for it: rename it to reg_exp"),
    ("      - descriptor: IncludesWords\n        words: [cat]\n", 23, "evidently[2].words",
     "rename it to words_list"),
    ("      - descriptor: SemanticSimilarity\n        expected: answer\n", 22, "evidently[2].descriptor",
     "SemanticSimilarity cannot run in a gate: it downloads a model from the HuggingFace Hub"),
    ("      - descriptor: ToxicityLLMEval\n", 22, "evidently[2].descriptor", "use a judge suite"),
    ("      - descriptor: Contains\n        items: paris\n", 23, "evidently[2].items",
     "Contains.items: needs a list of strings, not str 'paris'"),
    ("      - descriptor: Contains\n        items: [paris]\n        mode: most\n", 24, "evidently[2].mode",
     "Contains.mode: one of any, all, not 'most'"),
    ("      - descriptor: Contains\n        item: [paris]\n", 23, "evidently[2].item",
     "Contains has no parameter 'item'; it takes: name, column, expected, min, max, equals, case_sensitive, items"),
    ("      - descriptor: BeginsWith\n", 22, "evidently[2]", "BeginsWith needs prefix: (text)"),
    ("      - descriptor: IsValidJSON\n        max: 1\n", 23, "evidently[2].max",
     "IsValidJSON gives True/False per row, not a number: use equals: true or false"),
    ("      - descriptor: WordCount\n        equals: true\n", 23, "evidently[2].equals",
     "WordCount gives a number per row: equals takes a number"),
    ("      - descriptor: ItemMatch\n", 22, "evidently[2].descriptor", "ItemMatch compares two columns: give expected:"),
    ("      - descriptor: IsValidJSON\n        expected: answer\n", 23, "evidently[2].expected",
     "IsValidJSON reads one column"),
    ("      - descriptor: JSONSchemaMatch\n        expected_schema: {city: string}\n", 23,
     "evidently[2].expected_schema", "field 'city': type is one of str, int, float, bool, list, dict"),
], ids=["old-pattern", "old-words", "needs-download", "needs-llm", "list-param", "choice-param", "unknown-param",
        "missing-param", "bound-on-boolean", "bool-on-number", "pair-without-expected", "expected-on-one",
        "schema-type"])
def test_descriptor_parameters_are_checked_against_its_signature(ws, refused, check, line, key, message):
    config = ws.gate(insert_after(21, check))
    err = refused(config)
    assert f"{config}:{line} [suites[0].{key}]: " in err
    assert message in err


def test_only_if_naming_no_deterministic_check(ws, refused):
    suite = ('  - name: judged\n    judge:\n      metric: g-eval\n      criteria: "Is it right?"\n'
             '      only_if: [correctness, formatting]\n')
    text = insert_after(21, suite) + "judge: { base_url: http://127.0.0.1:9/v1, model: judge }\n"
    config = ws.gate(text)
    err = refused(config)
    assert f"{config}:26 [suites[1].judge.only_if[1]]: only_if names 'formatting', which is no evidently suite" in err
    assert "known: correctness, correctness.ExactMatch, correctness.length" in err


def test_descriptor_needing_nltk_data_says_so_instead_of_downloading(ws, refused, monkeypatch, tmp_path):
    monkeypatch.setenv("NLTK_DATA", str(tmp_path / "empty"))  # the folder nltk would search first
    from gatewise.config._offline_data import missing_nltk_data

    if not missing_nltk_data(["sentiment/vader_lexicon.zip"]):
        pytest.skip("vader_lexicon is installed here")
    config = ws.gate(insert_after(21, "      - descriptor: Sentiment\n        min: 0\n"))
    err = refused(config)
    assert f"{config}:22 [suites[0].evidently[2].descriptor]: Sentiment needs nltk data that is not installed" in err
    assert "python -m nltk.downloader vader_lexicon" in err and "never downloads" in err


def test_exact_match_expected_column_not_in_dataset(ws, refused):
    config = ws.gate(replace_line(17, "expected: answer", "expected: answr"))
    err = refused(config)
    assert f"{config}:17 [suites[0].evidently[0].expected]: " in err
    assert "'answr'" in err and "id, question, answer" in err


def test_check_column_not_in_dataset(ws, refused):
    config = ws.gate(insert_after(18, "        column: reply\n"))
    err = refused(config)
    assert f"{config}:19 [suites[0].evidently[1].column]: " in err
    assert "'reply'" in err


def test_duplicate_suite_names_point_at_the_second(ws, refused):
    config = ws.gate(insert_after(21, "  - name: correctness\n    evidently:\n      - descriptor: IsValidJSON\n"))
    err = refused(config)
    assert f"{config}:22 [suites[1].name]: two suites are called 'correctness'" in err


def test_suite_may_not_take_a_built_in_metric_name(ws, refused):
    config = ws.gate(replace_line(14, "name: correctness", "name: latency_ms"))
    err = refused(config)
    assert f"{config}:14 [suites[0].name]: " in err
    assert "reserved" in err


def test_two_checks_with_the_same_name(ws, refused):
    config = ws.gate(replace_line(19, "name: length", "name: ExactMatch"))
    err = refused(config)
    assert f"{config}:19 [suites[0].evidently[1].name]: two checks are called 'ExactMatch'" in err


# --- judge suites --------------------------------------------------------------------------

JUDGED = '  - name: judged\n    judge: { metric: g-eval, criteria: "Right?", columns: { expected_output: answer } }\n'


def test_judge_suite_without_a_judge_section(ws, refused):
    config = ws.gate(insert_after(21, JUDGED))
    err = refused(config)
    assert f"{config}:23 [suites[1].judge]: a judge suite needs a top-level judge: section" in err


def test_judge_suite_column_not_in_dataset(ws, refused):
    text = insert_after(21, JUDGED.replace("expected_output: answer", "expected_output: reference"))
    config = ws.gate(text + "judge:\n  base_url: <base_url>\n  model: standin-model\n")
    err = refused(config)
    assert f"{config}:23 [suites[1].judge.columns.expected_output]: " in err
    assert "'reference'" in err and "id, question, answer" in err


def test_judge_section_with_a_typo(ws, refused):
    config = ws.gate(insert_after(21, JUDGED) + "judge:\n  base_url: <base_url>\n  modle: standin-model\n")
    err = refused(config)
    assert f"{config}:31 [judge.modle]: unknown key" in err


# --- thresholds ----------------------------------------------------------------------------

def test_threshold_on_an_unknown_metric_lists_the_known_ones(ws, refused):
    config = ws.gate(replace_line(23, "correctness:", "correctnes:"))
    err = refused(config)
    assert f"{config}:23 [thresholds.correctnes]: no suite or check called 'correctnes'" in err
    assert "correctness.length" in err and "latency_ms" in err


def test_threshold_with_an_unknown_statistic(ws, refused):
    config = ws.gate(replace_line(24, "pass_rate:", "pass_rat:"))
    err = refused(config)
    assert f"{config}:24 [thresholds.correctness.pass_rat]: unknown statistic 'pass_rat'" in err
    assert "pass_rate" in err


@pytest.mark.parametrize("expression, problem", [
    ('"=> 0.9"', "'=> 0.9' is not a threshold expression"),
    ('"about 0.9"', "'about 0.9' is not a threshold expression"),
    ('">="', "'>=' is not a threshold expression"),
    ("0.9", 'a threshold is an operator and a number, quoted: e.g. ">= 0.9"'),
], ids=["reversed-operator", "words", "no-number", "bare-number"])
def test_bad_threshold_expression(ws, refused, expression, problem):
    config = ws.gate(replace_line(24, '">= 0.9"', expression))
    err = refused(config)
    assert f"{config}:24 [thresholds.correctness.pass_rate]: {problem}" in err


# --- gatewise validate ---------------------------------------------------------------------

def test_validate_accepts_the_example_gate(cli, monkeypatch, standin):
    for name in ("GATEWISE_ENDPOINT_URL", "GATEWISE_ENDPOINT_MODEL", "GATEWISE_ENDPOINT_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEWISE_ENDPOINT_URL", standin.base_url)
    example = Path(__file__).resolve().parents[1] / "quality" / "gate.yaml"
    result = cli("validate", "--config", str(example))
    assert result.code == 0, result.stderr
    assert f"{example}: OK" in result.stdout
    assert f"endpoint {standin.base_url} model standin-model" in result.stdout
    assert result.requests == 0


@pytest.mark.parametrize("line, old, new, where", [
    (5, "concurrency:", "concurency:", ":5 [endpoint.concurency]"),
    (9, "{question}", "{questoin}", ":9 [prompt.user]"),
    (24, '">= 0.9"', '"about 0.9"', ":24 [thresholds.correctness.pass_rate]"),
], ids=["unknown-key", "template-column", "threshold-expression"])
def test_validate_refuses_what_gate_refuses(ws, cli, line, old, new, where):
    config = ws.gate(replace_line(line, old, new))
    before = _tree(ws.root)
    result = cli("validate", "--config", str(config))
    assert result.code == 2
    assert f"{config}{where}" in result.stderr
    assert result.requests == 0
    assert _tree(ws.root) == before


def test_validate_refuses_a_dataset_that_changed_since_it_was_pinned(ws, cli):
    config = ws.gate()
    (ws.root / "golden.jsonl").write_text(JSONL + JSONL.replace("q", "r"))
    result = cli("validate", "--config", str(config))
    assert result.code == 2
    assert "does not match its pin" in result.stderr


# --- gatewise pin --------------------------------------------------------------------------

COMMENTED = """\
# the capitals gate; keep it small so it runs on every pull request
version: 1

endpoint:
  base_url: ${GATEWISE_ENDPOINT_URL:-http://127.0.0.1:8000/v1}   # vLLM: /v1
  model: 'standin-model'
  concurrency: 4

prompt:
  system: You answer questions about capitals.
  user: "Question: {question}"

dataset:
  path: golden.jsonl        # reviewed 2024-05-01
  sha256: "0000000000000000000000000000000000000000000000000000000000000000"   # re-pin after review

suites:
  - name: correctness
    evidently:
      - { descriptor: ExactMatch, expected: answer }
      - {descriptor: TextLength,   name: length, max: 200}

thresholds:
  correctness: { pass_rate: ">= 0.9" }    # a tenth may be wrong
"""


def test_pin_writes_the_sha256_and_keeps_every_other_byte(ws, cli):
    (ws.root / "golden.jsonl").write_text(JSONL)
    config = ws.root / "gate.yaml"
    config.write_text(COMMENTED)
    config.chmod(0o644)
    result = cli("pin", "--config", str(config))
    assert result.code == 0, result.stderr
    sha = sha256_of(ws.root / "golden.jsonl")
    assert f"pinned: golden.jsonl sha256 {sha}" in result.stdout
    after = config.read_text()
    expected = COMMENTED.replace("0" * 64, sha)
    assert after == expected
    assert config.stat().st_mode & 0o777 == 0o644
    assert cli("validate", "--config", str(config)).code == 0


def test_pin_adds_the_sha256_when_there_is_none(ws, cli):
    (ws.root / "golden.jsonl").write_text(JSONL)
    config = ws.root / "gate.yaml"
    unpinned = COMMENTED.replace(
        '  sha256: "0000000000000000000000000000000000000000000000000000000000000000"   # re-pin after review\n', "")
    config.write_text(unpinned)
    assert cli("validate", "--config", str(config)).code == 2  # refused until pinned
    assert cli("pin", "--config", str(config)).code == 0
    sha = sha256_of(ws.root / "golden.jsonl")
    assert config.read_text() == unpinned.replace(
        "  path: golden.jsonl        # reviewed 2024-05-01\n",
        f'  path: golden.jsonl        # reviewed 2024-05-01\n  sha256: "{sha}"\n')
    assert cli("validate", "--config", str(config)).code == 0


def test_pin_keeps_windows_line_endings(ws, cli):
    (ws.root / "golden.jsonl").write_text(JSONL)
    config = ws.root / "gate.yaml"
    config.write_bytes(COMMENTED.replace("\n", "\r\n").encode())
    assert cli("pin", "--config", str(config)).code == 0
    sha = sha256_of(ws.root / "golden.jsonl")
    assert config.read_bytes() == COMMENTED.replace("0" * 64, sha).replace("\n", "\r\n").encode()


def test_pin_is_idempotent(ws, cli):
    (ws.root / "golden.jsonl").write_text(JSONL)
    config = ws.root / "gate.yaml"
    config.write_text(COMMENTED)
    assert cli("pin", "--config", str(config)).code == 0
    once = config.read_bytes()
    mtime = config.stat().st_mtime_ns
    again = cli("pin", "--config", str(config))
    assert again.code == 0
    assert "already pinned" in again.stdout
    assert config.read_bytes() == once
    assert config.stat().st_mtime_ns == mtime  # not even rewritten


def test_pin_accepts_the_configs_dataset_named_explicitly(ws, cli):
    (ws.root / "golden.jsonl").write_text(JSONL)
    config = ws.root / "gate.yaml"
    config.write_text(COMMENTED)
    assert cli("pin", str(ws.root / "golden.jsonl"), "--config", str(config)).code == 0
    assert sha256_of(ws.root / "golden.jsonl") in config.read_text()


def test_pin_refuses_a_dataset_that_is_not_the_configs(ws, cli):
    (ws.root / "golden.jsonl").write_text(JSONL)
    (ws.root / "other.jsonl").write_text(JSONL.replace("Paris", "Lyon"))
    config = ws.root / "gate.yaml"
    config.write_text(COMMENTED)
    before = _tree(ws.root)
    result = cli("pin", str(ws.root / "other.jsonl"), "--config", str(config))
    assert result.code == 2
    assert f"{ws.root / 'other.jsonl'} is not the config's dataset (golden.jsonl" in result.stderr
    assert "edit dataset.path first" in result.stderr
    assert _tree(ws.root) == before


def test_pin_refuses_a_missing_dataset(ws, cli):
    config = ws.root / "gate.yaml"
    config.write_text(COMMENTED)
    result = cli("pin", "--config", str(config))
    assert result.code == 2
    assert f"dataset file not found: {ws.root / 'golden.jsonl'}" in result.stderr
    assert config.read_text() == COMMENTED


# --- repeats: auto -------------------------------------------------------------------------

WITH_BASELINE = GOOD + "baseline:\n  endpoint:\n    base_url: <base_url>\n    model: standin-model\n"


@pytest.mark.parametrize("repeats, line, key, says", [
    ("repeats: sometimes\n", 31, "repeats", "'sometimes' is not a number of repeats"),
    ("repeats:\n  auto: false\n", 32, "repeats.auto", "auto must be true here"),
    ("repeats:\n  auto: true\n  max: 1\n", 33, "repeats.max", "max must be a whole number from 2 to 100"),
    ("repeats:\n  auto: true\n  max: 101\n", 33, "repeats.max", "max must be a whole number from 2 to 100"),
    ("repeats:\n  auto: true\n  max: three\n", 33, "repeats.max", "max must be a whole number from 2 to 100"),
    ("repeats:\n  auto: true\n  cap: 3\n", 33, "repeats.cap", "unknown key 'cap'"),
    ("repeats:\n  max: 3\n", 31, "repeats", "auto must be true here"),
], ids=["word", "auto-false", "max-1", "max-101", "max-word", "unknown-key", "no-auto"])
def test_bad_auto_repeats_name_their_line(ws, refused, repeats, line, key, says):
    config = ws.gate(WITH_BASELINE + repeats)
    assert WITH_BASELINE.count("\n") == 30
    err = refused(config)
    assert f"{config}:{line} [{key}]: " in err
    assert says in err


@pytest.mark.parametrize("thresholds", [
    "thresholds:\n  latency_ms:\n    p95: \"<= 2500\"\n",
    "thresholds:\n  correctness:\n    pass_rate: { expect: \">= 0.9\", mode: confident }\n",
    "thresholds:\n  correctness:\n    p50: \">= 0.9\"\n",
    "thresholds: {}\n",
], ids=["latency-only", "confident-only", "percentile-only", "none"])
def test_auto_repeats_with_nothing_to_re_ask_for_is_refused(ws, refused, thresholds):
    # without a baseline, auto re-asks only for point thresholds on a suite's mean or pass_rate
    text = GOOD[:GOOD.index("thresholds:")] + thresholds + "repeats: auto\n"
    config = ws.gate(text)
    err = refused(config)
    line = text.count("\n")
    assert f"{config}:{line} [repeats]: repeats: auto has nothing it could re-ask for" in err


def test_auto_repeats_without_a_baseline_is_accepted_for_thresholds(ws, cli):
    config = ws.gate(GOOD + "repeats: auto\n")
    result = cli("validate", "--config", str(config))
    assert result.code == 0, result.stderr


def test_auto_repeats_with_a_rule_that_has_no_sequential_form_is_refused(ws, refused):
    config = ws.gate(WITH_BASELINE + "  rule: confident\nrepeats: auto\n")
    err = refused(config)
    assert f"{config}:31 [baseline.rule]: repeats: auto decides with a sequential form of rule significant" in err


def test_repeats_auto_is_not_a_key_of_its_own(ws, refused):
    config = ws.gate(WITH_BASELINE + "repeats_auto:\n  max: 3\n")
    err = refused(config)
    assert f"{config}:31 [repeats_auto]: unknown key" in err


# --- conversations and tool calls ------------------------------------------------------------

TOOLS = [{"type": "function", "function": {"name": "capital_of", "parameters": {
    "type": "object", "properties": {"country": {"type": "string"}}, "required": ["country"]}}}]
TOOL_ROWS = "".join(json.dumps({**row, "tools": TOOLS, "history": [{"role": "user", "content": row["question"]}],
                                "calls": [{"name": "capital_of", "arguments": {"country": row["answer"]}}]}) + "\n"
                    for row in ROWS)
TOOL_SUITE = "  - name: tools\n    tool_calls: { expected: calls }\n"
JUDGE_SECTION = "judge:\n  base_url: <base_url>\n  model: standin-model\n"


def _with_rows(rows: list[dict]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


@pytest.mark.parametrize("line, insert, key, problem", [
    (9, "  messages: history\n", "prompt.messages", "a prompt needs exactly one of: user (a template), messages"),
    (9, "  turns: history\n", "prompt.turns", "(it has user and turns)"),
    (9, "  tool_choice: auto\n", "prompt.tool_choice", "tool_choice needs tools"),
    (9, "  tools: tools\n  tool_choice: sometimes please\n", "prompt.tool_choice",
     "tool_choice is auto, none, required or a function name, not 'sometimes please'"),
    (9, "  tools: tools\n  tool_choise: auto\n", "prompt.tool_choise", "unknown key"),
], ids=["user-and-messages", "user-and-turns", "tool-choice-without-tools", "bad-tool-choice", "typo"])
def test_prompt_sources_and_tool_settings_are_checked(ws, refused, line, insert, key, problem):
    config = ws.gate(insert_after(line, insert), dataset=TOOL_ROWS)
    err = refused(config)
    assert f"{config}:{line + 1} [{key}]" in err or f"{config}:{line + 2} [{key}]" in err, err
    assert problem in err, err


def test_turns_cannot_carry_tools(ws, refused):
    text = replace_line(9, 'user: "Question: {question}"', "turns: history\n  tools: tools")
    config = ws.gate(text, dataset=TOOL_ROWS)
    err = refused(config)
    assert f"{config}:10 [prompt.tools]: a simulated conversation (turns) cannot carry tools" in err


def test_messages_column_missing_from_the_dataset(ws, refused):
    config = ws.gate(replace_line(9, 'user: "Question: {question}"', "messages: chat"), dataset=TOOL_ROWS)
    err = refused(config)
    assert f"{config}:9 [prompt.messages]: prompt.messages names column 'chat', which the dataset does not have" in err


@pytest.mark.parametrize("value, problem", [
    ([{"content": "hi"}], "message 1 needs a role"),
    ([], "it must be a non-empty list of chat messages"),
    ("[{not json", "its text is not valid JSON"),
    ([{"role": "user", "content": "hi", "colour": "red"}], "message 1 has unknown key 'colour'"),
], ids=["no-role", "empty", "bad-json", "unknown-key"])
def test_a_rows_messages_are_checked_before_any_call(ws, refused, value, problem):
    rows = [dict(row, history=[{"role": "user", "content": row["question"]}]) for row in ROWS]
    rows[1]["history"] = value
    config = ws.gate(replace_line(9, 'user: "Question: {question}"', "messages: history"), dataset=_with_rows(rows))
    err = refused(config)
    assert "row 'q2', column 'history': " + problem in err, err


def test_a_tool_with_a_broken_json_schema_is_refused(ws, refused):
    rows = [dict(row, tools=TOOLS) for row in ROWS]
    rows[2]["tools"] = [{"type": "function", "function": {"name": "capital_of", "parameters": {"type": "objekt"}}}]
    config = ws.gate(insert_after(9, "  tools: tools\n"), dataset=_with_rows(rows))
    err = refused(config)
    assert "row 'q3', column 'tools': tool 'capital_of': parameters is not a valid JSON Schema" in err


def test_tool_calls_suite_needs_tools_offered(ws, refused):
    config = ws.gate(insert_after(21, TOOL_SUITE), dataset=TOOL_ROWS)
    err = refused(config)
    assert f"{config}:23 [suites[1].tool_calls]: a tool_calls suite needs prompt.tools" in err


def test_tool_calls_suite_expected_column_missing(ws, refused):
    text = insert_after(21, TOOL_SUITE.replace("expected: calls", "expected: expected_calls"))
    config = ws.gate(insert_after(9, "  tools: tools\n", text), dataset=TOOL_ROWS)
    err = refused(config)
    assert f"[suites[1].tool_calls.expected]: tool_calls.expected names column 'expected_calls'" in err


@pytest.mark.parametrize("suite, key, problem", [
    ("{ expected: calls, arguments: fuzzy }", "suites[1].tool_calls.arguments", "Input should be 'exact', 'subset'"),
    ("{ expected: calls, argument: exact }", "suites[1].tool_calls.argument", "unknown key"),
], ids=["bad-mode", "typo"])
def test_tool_calls_suite_settings_are_checked(ws, refused, suite, key, problem):
    text = insert_after(21, f"  - name: tools\n    tool_calls: {suite}\n")
    config = ws.gate(insert_after(9, "  tools: tools\n", text), dataset=TOOL_ROWS)
    err = refused(config)
    assert f"[{key}]" in err and problem in err, err


def test_a_rows_expected_calls_are_checked_before_any_call(ws, refused):
    rows = [dict(row, tools=TOOLS, calls=[{"name": "capital_of", "arguments": {"country": row["answer"]}}])
            for row in ROWS]
    rows[0]["calls"] = [{"arguments": {"country": "France"}}]
    text = insert_after(21, TOOL_SUITE)
    config = ws.gate(insert_after(9, "  tools: tools\n", text), dataset=_with_rows(rows))
    err = refused(config)
    assert "row 'q1', column 'calls': expected call 1 needs a name" in err


@pytest.mark.parametrize("suite, key, problem", [
    ("{ metric: role-adherence }", "suites[1].judge.metric", "role-adherence needs chatbot_role"),
    ('{ metric: g-eval, criteria: "Right?", chatbot_role: "a pirate" }', "suites[1].judge.chatbot_role",
     "chatbot_role applies to conversational metrics, not to g-eval"),
    ("{ metric: tool-correctness }", "suites[1].judge.metric", "tool-correctness needs columns.expected_tools"),
    ("{ metric: turn-relevancy, columns: { retrieval_context: answer } }",
     "suites[1].judge.columns.retrieval_context", "turn-relevancy judges the conversation"),
    ("{ metric: conversational-g-eval }", "suites[1].judge.metric",
     "conversational-g-eval needs criteria or evaluation_steps"),
], ids=["role-without-role", "role-on-g-eval", "tool-correctness-without-expected", "turn-relevancy-rag-column",
        "conversational-g-eval-without-criteria"])
def test_conversational_and_tool_judge_suites_are_checked(ws, refused, suite, key, problem):
    config = ws.gate(insert_after(21, f"  - name: judged\n    judge: {suite}\n") + JUDGE_SECTION)
    err = refused(config)
    assert f"{config}:23 [{key}]" in err and problem in err, err
