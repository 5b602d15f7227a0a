"""Render the prompt for each row: system text plus a user template filled from dataset columns."""

from __future__ import annotations

import string
from .config import GateConfig
from .dataset import Dataset, Row
from .errors import ConfigError
from .samples import Message


class PromptTemplate:
    """A checked prompt: every placeholder is known to exist in every row before any call."""

    def __init__(self, system: str | None, user: str, *, where: dict | None = None) -> None:
        self.system = system
        self.user = user
        self.fields = _placeholders(user)
        # file, line and key of prompt.user, so a missing column is reported at the template
        self.where = where or {"key": "prompt.user"}
        # one system message shared by every row's prompt, not a copy per row (100 000 rows)
        self._system = Message("system", system) if system else None

    @classmethod
    def from_config(cls, config: GateConfig) -> "PromptTemplate":
        prompt = config.prompt
        system = prompt.system
        if prompt.system_file is not None:
            path = config.resolve(prompt.system_file)
            try:
                system = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read system prompt file {path}: {exc.strerror}",
                                  **config.where("prompt.system_file")) from None
            except UnicodeDecodeError:
                raise ConfigError(f"system prompt file {path} is not UTF-8 text",
                                  **config.where("prompt.system_file")) from None
        try:
            return cls(system, prompt.user, where=config.where("prompt.user"))
        except ValueError as exc:
            raise ConfigError(f"bad user template: {exc}", **config.where("prompt.user")) from None

    def check_columns(self, dataset: Dataset) -> None:
        for row in dataset.rows:
            missing = [f for f in self.fields if f not in row.values]
            if missing:
                raise ConfigError(
                    f"the template uses {{{missing[0]}}} but dataset row {row.id!r} has no column {missing[0]!r} "
                    f"(columns: {', '.join(dataset.columns)})",
                    **self.where,
                )

    def render(self, row: Row) -> tuple[Message, ...]:
        user = self.user.format_map({f: _text(row.values[f]) for f in self.fields})
        if self._system is not None:
            return (self._system, Message("user", user))
        return (Message("user", user),)

    def hash_source(self) -> str:
        return f"{self.system or ''}\x00{self.user}"


def _placeholders(template: str) -> tuple[str, ...]:
    fields: list[str] = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if name == "" or not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} must name a dataset column (write {{{{ for a literal brace)")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} may not have a format spec or conversion")
        if name not in fields:
            fields.append(name)
    return tuple(fields)


def _text(value: object) -> str:
    return "" if value is None else str(value)

