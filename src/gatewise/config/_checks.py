"""Typed config of the deterministic checks that Evidently computes, one model per descriptor.

Each check names its Evidently descriptor, the column it reads (``output`` by default: the
model's answer) and its pass condition. Bounds (``min``/``max``) apply to numeric descriptors;
boolean descriptors pass when Evidently says True.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_\-]*$"


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, pattern=IDENTIFIER, description="label used in thresholds and reports")
    column: str = Field("output", description="column to check: output, or any dataset column")

    @property
    def label(self) -> str:
        return self.name or self.default_name()

    def default_name(self) -> str:
        return str(getattr(self, "descriptor"))


class _Bounded(_Check):
    min: float | None = None
    max: float | None = None

    # a field validator, not a model one, so the error names the max: key and its line
    @field_validator("max")
    @classmethod
    def _bounds_in_order(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min")
        if value is not None and low is not None and low > value:
            raise ValueError(f"min ({low}) is greater than max ({value})")
        return value


class TextLengthCheck(_Bounded):
    descriptor: Literal["TextLength"]


class WordCountCheck(_Bounded):
    descriptor: Literal["WordCount"]


class SentenceCountCheck(_Bounded):
    descriptor: Literal["SentenceCount"]


class ContainsCheck(_Check):
    descriptor: Literal["Contains", "DoesNotContain"]
    items: list[str] = Field(min_length=1)
    mode: Literal["any", "all"] = "any"
    case_sensitive: bool = False


class WordsCheck(_Check):
    """Whole-word checks. In Evidently, IncludesWords ``any`` passes when one word appears, ``all``
    when every word does; ExcludesWords ``all`` passes when none appears, ``any`` when at least one
    is missing. So ExcludesWords defaults to ``all`` ("none of these words"), the usual intent.
    """

    descriptor: Literal["IncludesWords", "ExcludesWords"]
    words: list[str] = Field(min_length=1)
    mode: Literal["any", "all"] = "any"
    # nltk's lemmatizer needs the wordnet corpus installed; off by default so checks run offline
    lemmatize: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_mode(cls, data: Any) -> Any:
        # Evidently's own default ("any") would let ExcludesWords pass an answer holding a
        # banned word as long as some other banned word is absent.
        if isinstance(data, dict) and "mode" not in data and data.get("descriptor") == "ExcludesWords":
            return {**data, "mode": "all"}
        return data


class ExactMatchCheck(_Check):
    descriptor: Literal["ExactMatch"]
    expected: str = Field(description="dataset column holding the expected answer")

    def default_name(self) -> str:
        return "ExactMatch"


class RegExpCheck(_Check):
    descriptor: Literal["RegExp"]
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return value


class BeginsWithCheck(_Check):
    descriptor: Literal["BeginsWith"]
    prefix: str
    case_sensitive: bool = True


class EndsWithCheck(_Check):
    descriptor: Literal["EndsWith"]
    suffix: str
    case_sensitive: bool = True


class IsValidJSONCheck(_Check):
    descriptor: Literal["IsValidJSON"]


class JSONSchemaMatchCheck(_Check):
    descriptor: Literal["JSONSchemaMatch"]
    # field name -> type name, as Evidently's JSONSchemaMatch expects
    expected_schema: dict[str, Literal["str", "int", "float", "bool", "list", "dict"]] = Field(min_length=1)
    validate_types: bool = True
    exact_match: bool = False


class ContainsLinkCheck(_Check):
    descriptor: Literal["ContainsLink"]


CheckConfig = Annotated[
    Union[
        TextLengthCheck, WordCountCheck, SentenceCountCheck, ContainsCheck, WordsCheck,
        ExactMatchCheck, RegExpCheck, BeginsWithCheck, EndsWithCheck, IsValidJSONCheck,
        JSONSchemaMatchCheck, ContainsLinkCheck,
    ],
    Field(discriminator="descriptor"),
]

NUMERIC_DESCRIPTORS = frozenset({"TextLength", "WordCount", "SentenceCount"})


def descriptor_names() -> list[str]:
    names: list[str] = []
    for model in CheckConfig.__origin__.__args__:  # type: ignore[attr-defined]
        names.extend(model.model_fields["descriptor"].annotation.__args__)
    return names


def check_columns(check: Any) -> list[str]:
    """Dataset columns a check reads (besides the model output)."""
    cols = [check.column] if check.column != "output" else []
    if isinstance(check, ExactMatchCheck):
        cols.append(check.expected)
    return cols
