"""Per-row descriptors gatewise computes itself, value for value as Evidently 0.7.23 does, so a
verdict over them needs no Evidently import (~5 s CPU, ~300 MB).

Each function is Evidently's own code for the descriptor restated without pandas: the TextMatch
family of ``descriptors/text_match.py`` (Contains, DoesNotContain, RegExp, the word and item
checks: what ``evidently.descriptors`` exports under those names, not the legacy features),
``legacy/features/`` for the others, ``descriptors/_text_length.py``. The same tokenising, case
handling and missing values (pandas' ``str`` methods in BeginsWith/EndsWith give no value).
Where Evidently would raise on a row (``json.loads(None)``, an empty text's percentage, a bad
regular expression), the function raises too and the caller leaves the whole check to Evidently,
which names the failing rows its own way. ``tests/test_native_descriptors.py`` runs every one,
with every parameter, through both paths over an awkward corpus and requires equal values.

Evidently-only, and why: ``lemmatize: true`` (nltk's WordNet lemmatizer: its data and its
results are nltk's), Sentiment and OOVWordsPercentage (nltk corpora), IsValidSQL (sqlvalidator),
TextMatch whose ``match_items`` names a column, JSONMatch with a numerical ``feature_type``.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any, Callable, Sequence
from urllib.parse import urlparse

Values = Sequence[Any]
NativeFn = Callable[[Values, "Values | None", dict[str, Any]], list[Any]]

_NATIVE: dict[str, NativeFn] = {}


def _native(name: str) -> Callable[[NativeFn], NativeFn]:
    def register(fn: NativeFn) -> NativeFn:
        _NATIVE[name] = fn
        return fn
    return register


def is_native(descriptor: str, params: dict[str, Any]) -> bool:
    """True when gatewise computes this descriptor with these parameters itself."""
    if descriptor not in _NATIVE or params.get("lemmatize"):
        return False
    if descriptor == "TextMatch" and isinstance(params.get("match_items"), str):
        return False  # items from another column by name: left to Evidently
    # a numerical JSONMatch column is converted by pandas: left to Evidently
    return not (descriptor == "JSONMatch" and params.get("feature_type", "cat") not in ("cat", "categorical"))


def native_values(descriptor: str, column: Values, expected: Values | None, params: dict[str, Any]) -> list[Any]:
    """The descriptor's value per row (None where Evidently gives none). Raises where Evidently would."""
    return _NATIVE[descriptor](column, expected, params)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


# --- Evidently's TextMatch family (descriptors/text_match.py): every text and word check ---------

def _processed(text: Any, word_boundaries: bool) -> str:
    """``TextMatchProcessor.process_text`` without lemmatizing: missing is "", others as text."""
    if _missing(text):
        return ""
    if not isinstance(text, str):
        text = str(text)
    if word_boundaries:
        text = " ".join(_WORD.findall(text))
    return text


_WORD = re.compile(r"\b\w+\b")


def _text_match(column: Values, items: Any, match_type: str, mode: str, case_sensitive: bool,
                word_boundaries: bool, *, per_row: bool = False) -> list[Any]:
    """``TextMatch``: ``items`` is one list of items for every row, or (``per_row``) a list per row."""
    def match(text: Any, items: Sequence[str]) -> bool:
        processed = _processed(text, word_boundaries)
        if match_type == "regex":
            if len(items) != 1:
                raise ValueError("Regex matching requires exactly one pattern")
            return bool(re.search(items[0], processed, 0 if case_sensitive else re.IGNORECASE))
        if match_type == "exact":
            return processed in items if case_sensitive else processed.lower() in [i.lower() for i in items]
        if not case_sensitive:
            processed, items = processed.lower(), [item.lower() for item in items]
        if match_type == "contains":
            test = any if mode == "any" else all
            return test(item in processed for item in items)
        if match_type == "not_contains":  # Evidently's own inversion: "any" fails only when all are there
            return not (all if mode == "any" else any)(item in processed for item in items)
        raise ValueError(f"Unknown match_type: {match_type}")

    if per_row:
        return [match(text, row_items) for text, row_items in zip(column, items)]
    return [match(text, items) for text in column]


def _row_items(expected: Values | None) -> list[list[str]]:
    """``TextMatch._column_matching``'s items per row: a list as it is, a value as one item, missing: none."""
    assert expected is not None
    return [list(items) if isinstance(items, (list, tuple)) else ([] if _missing(items) else [items])
            for items in expected]


@_native("TextMatch")
def _text_match_descriptor(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, list(params["match_items"]), params["match_type"], params["match_mode"],
                       params["case_sensitive"], params["word_boundaries"])


@_native("Contains")
def _contains(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, list(params["items"]), "contains", params["mode"], params["case_sensitive"], False)


@_native("DoesNotContain")
def _does_not_contain(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    mode = "all" if params["mode"] == "any" else "any"  # as Evidently's wrapper swaps them
    return _text_match(column, list(params["items"]), "not_contains", mode, params["case_sensitive"], False)


@_native("ItemMatch")
def _item_match(column: Values, expected: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, _row_items(expected), "contains", params["mode"], params["case_sensitive"], False,
                       per_row=True)


@_native("ItemNoMatch")
def _item_no_match(column: Values, expected: Values | None, params: dict[str, Any]) -> list[Any]:
    mode = "all" if params["mode"] == "any" else "any"
    return _text_match(column, _row_items(expected), "not_contains", mode, params["case_sensitive"], False,
                       per_row=True)


@_native("WordsPresence")
def _words_presence(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    mode = params["mode"]
    return _text_match(column, list(params["words_list"]), "contains" if mode.startswith("includes") else
                       "not_contains", "any" if mode.endswith("any") else "all", False, True)


@_native("IncludesWords")
def _includes_words(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, list(params["words_list"]), "contains", params["mode"], False, True)


@_native("ExcludesWords")
def _excludes_words(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, list(params["words_list"]), "not_contains", params["mode"], False, True)


@_native("TriggerWordsPresent")
def _trigger_words(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, list(params["words_list"]), "contains", "any", False, True)


@_native("WordMatch")
def _word_match(column: Values, expected: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, _row_items(expected), "contains", params["mode"], False, True, per_row=True)


@_native("WordNoMatch")
def _word_no_match(column: Values, expected: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, _row_items(expected), "not_contains", params["mode"], False, True, per_row=True)


@_native("RegExp")
def _reg_exp(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _text_match(column, [params["reg_exp"]], "regex", "any", True, False)


@_native("BeginsWith")
def _begins_with(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _affix(column, params["prefix"], params["case_sensitive"], str.startswith)


@_native("EndsWith")
def _ends_with(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    return _affix(column, params["suffix"], params["case_sensitive"], str.endswith)


def _affix(column: Values, affix: str, case_sensitive: bool, test: Callable[[str, str], bool]) -> list[Any]:
    """pandas' ``str.casefold`` / ``str.startswith``: a value that is not text gives no value."""
    if not case_sensitive:
        affix = affix.casefold()
    return [test(text if case_sensitive else text.casefold(), affix) if isinstance(text, str) else None
            for text in column]


# --- row by row, as Evidently's ``apply`` functions ------------------------------------------------

@_native("ExactMatch")
def _exact_match(column: Values, expected: Values | None, _: dict[str, Any]) -> list[Any]:
    assert expected is not None
    # pandas' ``==`` on object columns: a missing value equals nothing, not even another one
    return [not _missing(a) and not _missing(b) and a == b for a, b in zip(column, expected)]


@_native("TextLength")
def _text_length(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    return [0 if _missing(text) else len(text) for text in column]


_NOT_WORD = re.compile(r"[^a-zA-Z ]+")
_SENTENCE_END = re.compile(r"(?<!\w\.\w.)(?<![A-Z][a-z]\.)(?<=\.|\?)\s")


@_native("WordCount")
def _word_count(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    return [0 if _missing(text) else len(_NOT_WORD.sub("", text).split()) for text in column]


@_native("SentenceCount")
def _sentence_count(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    return [0 if _missing(text) else max(1, len(_SENTENCE_END.split(text))) for text in column]


@_native("NonLetterCharacterPercentage")
def _non_letter_percentage(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    def share(text: Any) -> Any:
        if _missing(text):
            return 0
        return 100 * sum(1 for ch in text if not ch.isalpha() and ch != " ") / len(text)
    return [share(text) for text in column]


@_native("IsValidJSON")
def _is_valid_json(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    def valid(text: Any) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    return [valid(text) for text in column]


@_native("IsValidPython")
def _is_valid_python(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    def valid(text: Any) -> bool:
        try:
            ast.parse(text)
            return True
        except (SyntaxError, TypeError):
            return False
    return [valid(text) for text in column]


@_native("ContainsLink")
def _contains_link(column: Values, _: Values | None, __: dict[str, Any]) -> list[Any]:
    def linked(text: Any) -> Any:
        if _missing(text):
            return 0
        for word in str(text).split():
            parsed = urlparse(word)
            if parsed.scheme and parsed.netloc:
                return True
        return False
    return [linked(text) for text in column]


@_native("JSONMatch")
def _json_match(column: Values, expected: Values | None, _: dict[str, Any]) -> list[Any]:
    assert expected is not None

    def same(first: Any, second: Any) -> bool:
        try:
            return json.loads(first) == json.loads(second)
        except (ValueError, TypeError):
            return False
    return [same(a, b) for a, b in zip(column, expected)]


@_native("JSONSchemaMatch")
def _json_schema_match(column: Values, _: Values | None, params: dict[str, Any]) -> list[Any]:
    schema = {key: _JSON_TYPES[name] for key, name in params["expected_schema"].items()}
    exact = params["exact_match"]
    validate_types = params["validate_types"] if not exact else True

    def minimal(obj: Any) -> bool:
        for key, expected_type in schema.items():
            if key not in obj or obj[key] is None:
                return False
            if validate_types and expected_type and not isinstance(obj[key], expected_type):
                return False
        return True

    def matches(text: Any) -> bool:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            return False
        if exact and set(obj.keys()) != set(schema.keys()):
            return False
        return minimal(obj)
    return [matches(text) for text in column]


_JSON_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
