"""One Evidently descriptor, with Evidently's own pass/fail tests, per configured check.

Each builder turns a check config into the descriptor that computes it. The descriptor's column
is named ``alias`` and each of its tests adds a boolean column; ``Planned`` records those names
so the scores can be read back from ``dataset.as_dataframe()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..config._checks import NUMERIC_DESCRIPTORS

if TYPE_CHECKING:
    from evidently.core.datasets import Descriptor


class CheckSetupError(Exception):
    """A check cannot run on any row (bad parameter, missing corpus); no data is involved."""


@dataclass(frozen=True)
class Planned:
    """A check placed in the dataset: its metric name and the columns Evidently will write."""

    suite: str
    check: Any
    alias: str
    test_columns: tuple[str, ...]

    @property
    def metric(self) -> str:
        return f"{self.suite}.{self.check.label}"

    def input_columns(self) -> list[str]:
        cols = [self.check.column]
        if getattr(self.check, "expected", None) is not None:
            cols.append(self.check.expected)
        return cols

    def descriptor(self) -> "Descriptor":
        return _BUILDERS[self.check.descriptor](self.check, self.alias, _tests(self))


def plan(suite: str, check: Any, alias: str) -> Planned:
    if check.descriptor in NUMERIC_DESCRIPTORS:
        names = []
        if check.min is not None:
            names.append(f"{alias}: >= {check.min:g}")
        if check.max is not None:
            names.append(f"{alias}: <= {check.max:g}")
    else:
        names = [f"{alias}: is True"]
    return Planned(suite, check, alias, tuple(names))


def _tests(planned: Planned) -> list[Any]:
    from evidently.tests import eq, gte, lte

    check, names = planned.check, iter(planned.test_columns)
    if check.descriptor not in NUMERIC_DESCRIPTORS:
        return [eq(True, alias=next(names))]
    tests = []
    if check.min is not None:
        tests.append(gte(check.min, alias=next(names)))
    if check.max is not None:
        tests.append(lte(check.max, alias=next(names)))
    return tests


Builder = Callable[[Any, str, list[Any]], "Descriptor"]
_BUILDERS: dict[str, Builder] = {}


def _builds(*names: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        _BUILDERS.update(dict.fromkeys(names, fn))
        return fn

    return register


@_builds("TextLength", "WordCount", "SentenceCount")
def _count(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently import descriptors

    return getattr(descriptors, check.descriptor)(check.column, alias=alias, tests=tests)


@_builds("Contains", "DoesNotContain")
def _contains(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently import descriptors

    return getattr(descriptors, check.descriptor)(
        check.column, items=list(check.items), mode=check.mode, case_sensitive=check.case_sensitive,
        alias=alias, tests=tests)


@_builds("IncludesWords", "ExcludesWords")
def _words(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently import descriptors

    if check.lemmatize:
        _offline_lemmatizer()
    return getattr(descriptors, check.descriptor)(
        check.column, words_list=list(check.words), mode=check.mode, lemmatize=check.lemmatize,
        alias=alias, tests=tests)


@_builds("ExactMatch")
def _exact(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently.descriptors import ExactMatch

    return ExactMatch(columns=[check.column, check.expected], alias=alias, tests=tests)


@_builds("RegExp")
def _regexp(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently.descriptors import RegExp

    return RegExp(check.column, reg_exp=check.pattern, alias=alias, tests=tests)


@_builds("BeginsWith")
def _begins(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently.descriptors import BeginsWith

    return BeginsWith(check.column, prefix=check.prefix, case_sensitive=check.case_sensitive,
                      alias=alias, tests=tests)


@_builds("EndsWith")
def _ends(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently.descriptors import EndsWith

    return EndsWith(check.column, suffix=check.suffix, case_sensitive=check.case_sensitive,
                    alias=alias, tests=tests)


@_builds("IsValidJSON", "ContainsLink")
def _plain(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently import descriptors

    return getattr(descriptors, check.descriptor)(check.column, alias=alias, tests=tests)


_JSON_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@_builds("JSONSchemaMatch")
def _schema(check: Any, alias: str, tests: list[Any]) -> "Descriptor":
    from evidently.descriptors import JSONSchemaMatch

    schema = {key: _JSON_TYPES[name] for key, name in check.expected_schema.items()}
    return JSONSchemaMatch(check.column, expected_schema=schema, validate_types=check.validate_types,
                           exact_match=check.exact_match, alias=alias, tests=tests)


def _offline_lemmatizer() -> None:
    """Make Evidently's lemmatizer work without the network, or say why it cannot."""
    import nltk

    try:
        nltk.data.find("corpora/wordnet")
    except LookupError:
        raise CheckSetupError(
            "lemmatize: true needs nltk's wordnet corpus, which is not installed here "
            "(install it with `python -m nltk.downloader wordnet`, or set lemmatize: false)") from None
    from evidently.descriptors.text_match import TextMatchProcessor
    from nltk.stem.wordnet import WordNetLemmatizer

    # Evidently calls nltk.download("wordnet") on first use even when the corpus is installed,
    # which fetches nltk's index from the internet; a lemmatizer already in place skips that.
    if getattr(TextMatchProcessor, "_lem", None) is None:
        TextMatchProcessor._lem = WordNetLemmatizer()

