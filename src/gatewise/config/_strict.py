"""The base of every config section: unknown keys are errors, values never change after loading;
and the error a section's validator raises about one of its keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def error_at(at: tuple[str | int, ...], message: str) -> PydanticCustomError:
    """A model validator's error about one key below the model, so the loader can name its line."""
    # names in these messages are identifiers, so no braces reach pydantic's message template
    return PydanticCustomError("value_error_at", message, {"at": at})
