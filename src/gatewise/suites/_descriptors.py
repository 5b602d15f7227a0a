"""One Evidently descriptor per configured check, built by name from ``evidently.descriptors``,
with Evidently's own tests for the check's pass condition.

The descriptor's column is named ``alias`` and each of its tests adds a boolean column;
``Planned`` records those names so the scores can be read back from ``dataset.as_dataframe()``.
The pass rule is the same for every descriptor: ``min``/``max``/``equals`` each add a test, a
boolean descriptor with none of them is tested for True, and a row passes when every test says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..config import CheckConfig
from ..config._descriptor_table import DESCRIPTORS

if TYPE_CHECKING:
    from evidently.core.datasets import Descriptor


class CheckSetupError(Exception):
    """A check cannot run on any row (bad parameter, missing corpus); no data is involved."""


@dataclass(frozen=True)
class Planned:
    """A check placed in the dataset: its metric name and the columns Evidently will write."""

    suite: str
    check: CheckConfig
    alias: str
    test_columns: tuple[str, ...]

    @property
    def metric(self) -> str:
        return f"{self.suite}.{self.check.label}"

    def input_columns(self) -> list[str]:
        return [self.check.column, *([self.check.expected] if self.check.expected is not None else [])]

    def descriptor(self) -> "Descriptor":
        from evidently import descriptors

        check = self.check
        columns = DESCRIPTORS[check.descriptor]["columns"]
        given = {"one": {"column_name": check.column},
                 "pair": {"columns": [check.column, check.expected]},
                 "first_second": {"first_column": check.column, "second_column": check.expected}}[columns]
        params = dict(check.params)
        if params.get("lemmatize"):
            _offline_lemmatizer()
        if "expected_schema" in params:
            params["expected_schema"] = {key: _JSON_TYPES[name] for key, name in params["expected_schema"].items()}
        built = getattr(descriptors, check.descriptor)(**given, **params, alias=self.alias, tests=_tests(self))
        _no_downloads(check.descriptor, built)
        return built


def plan(suite: str, check: CheckConfig, alias: str) -> Planned:
    return Planned(suite, check, alias, tuple(f"{alias}: {text}" for text, _ in _conditions(check)))


def _conditions(check: CheckConfig) -> list[tuple[str, tuple[str, Any]]]:
    """(column title, (Evidently test, value)) per pass condition, in a fixed order."""
    if check.output == "bool":
        expected = True if check.equals is None else bool(check.equals)
        return [(f"is {expected}", ("eq", expected))]
    found = []
    if check.min is not None:
        found.append((f">= {check.min:g}", ("gte", check.min)))
    if check.max is not None:
        found.append((f"<= {check.max:g}", ("lte", check.max)))
    if check.equals is not None:
        found.append((f"== {float(check.equals):g}", ("eq", float(check.equals))))
    return found


def pass_rule(check: CheckConfig) -> Callable[[float | None], bool]:
    """The pass rule computed here, as Evidently's tests of ``_conditions`` compute it: a value,
    and every condition holding (gatewise's native checks; the value read as ``_evidently._number``
    reads a descriptor's, booleans as 1.0/0.0)."""
    tests = [(test, float(expected)) for _, (test, expected) in _conditions(check)]

    def passes(value: float | None) -> bool:
        if value is None:
            return False
        for test, target in tests:
            if not (value == target if test == "eq" else value >= target if test == "gte" else value <= target):
                return False
        return True
    return passes


def _tests(planned: Planned) -> list[Any]:
    from evidently import tests

    return [getattr(tests, test)(value, alias=name)
            for name, (_, (test, value)) in zip(planned.test_columns, _conditions(planned.check))]


_JSON_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


def _no_downloads(name: str, descriptor: Any) -> None:
    """Seat the nltk objects Evidently would otherwise download on first use (it calls
    ``nltk.download`` even when the data is installed). ``validate`` has checked the data is here."""
    feature = getattr(descriptor, "feature", None)
    if name == "Sentiment" and feature is not None:
        from nltk.sentiment.vader import SentimentIntensityAnalyzer

        feature._sid = _loaded(SentimentIntensityAnalyzer)
    elif name == "OOVWordsPercentage" and feature is not None:
        from nltk.corpus import words
        from nltk.stem.wordnet import WordNetLemmatizer

        object.__setattr__(feature, "_lem", WordNetLemmatizer())
        object.__setattr__(feature, "_eng_words", set(_loaded(words.words)))


def _loaded(load: Any) -> Any:
    try:
        return load()
    except LookupError as exc:
        raise CheckSetupError(f"nltk data is not installed here: {str(exc).strip().splitlines()[0]}") from None


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
