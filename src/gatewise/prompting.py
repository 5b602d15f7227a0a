"""Render the prompt for each row: system text plus a user template filled from dataset columns,
or the row's own chat messages / user turns, with its tools (see ``dialogue``)."""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field

from .config import GateConfig
from .dataset import Dataset, Row
from .dialogue import (converse, offered_tools, parse_messages, parse_tools, parse_turns, row_value,
                       tool_request)
from .errors import ConfigError
from .samples import Message, Sample


class PromptTemplate:
    """A checked prompt: every placeholder is known to exist in every row before any call."""

    def __init__(self, system: str | None, user: str | None, *, where: dict | None = None,
                 columns: "DialogueColumns | None" = None) -> None:
        self.system = system
        self.user = user
        self.fields = _placeholders(user) if user is not None else ()
        # file, line and key of prompt.user, so a missing column is reported at the template
        self.where = where or {"key": "prompt.user"}
        # one system message shared by every row's prompt, not a copy per row (100 000 rows)
        self._system = Message("system", system) if system else None
        self.columns = columns or DialogueColumns()

    @property
    def sha256(self) -> str:
        """What identifies the prompt the rows were sent: the system text (read from ``system_file``
        if need be: the config's own sha256 misses an edit there), the user template, and the columns
        of messages, turns and tools with the tool choice. Registered as lineage with the model."""
        columns = self.columns
        tool_choice = columns.tool_choice
        if hasattr(tool_choice, "model_dump"):
            tool_choice = tool_choice.model_dump()
        canonical = json.dumps({"system": self.system, "user": self.user, "messages": columns.messages,
                                "turns": columns.turns, "tools": columns.tools, "tool_choice": tool_choice},
                               sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def converses(self) -> bool:
        """Rows are sent their own messages, turns or tools rather than the template alone."""
        return self.columns.any

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
        columns = DialogueColumns(prompt.messages, prompt.turns, prompt.tools, prompt.tool_choice,
                                  {key: config.where(f"prompt.{key}") for key in ("messages", "turns", "tools")})
        try:
            return cls(system, prompt.user, where=config.where("prompt.user"), columns=columns)
        except ValueError as exc:
            raise ConfigError(f"bad user template: {exc}", **config.where("prompt.user")) from None

    def check_columns(self, dataset: Dataset) -> None:
        self.columns.check(dataset)
        for row in dataset.rows:
            missing = [f for f in self.fields if f not in row.values]
            if missing:
                raise ConfigError(
                    f"the template uses {{{missing[0]}}} but dataset row {row.id!r} has no column {missing[0]!r} "
                    f"(columns: {', '.join(dataset.columns)})",
                    **self.where,
                )

    def render(self, row: Row) -> tuple[Message, ...]:
        """The messages of the row's (first) call."""
        opening = (self._system,) if self._system is not None else ()
        if self.columns.messages is not None:
            return (*opening, *parse_messages(row.values[self.columns.messages]))
        if self.columns.turns is not None:
            return (*opening, Message("user", parse_turns(row.values[self.columns.turns])[0]))
        assert self.user is not None
        user = self.user.format_map({f: _text(row.values[f]) for f in self.fields})
        if self._system is not None:
            return (self._system, Message("user", user))
        return (Message("user", user),)

    async def ask(self, endpoint, row: Row, repeat: int) -> Sample:
        """The row's sample: one call with its messages and tools, or a simulated conversation."""
        columns = self.columns
        extra = tool_request(offered_tools(row.values[columns.tools]) if columns.tools else None, columns.tool_choice)
        if columns.turns is None:
            return await endpoint.sample(row.id, row.values, self.render(row), repeat, extra=extra)
        opening = (self._system,) if self._system is not None else ()
        return await converse(endpoint, row.id, row.values, opening, parse_turns(row.values[columns.turns]), repeat)


@dataclass(frozen=True)
class DialogueColumns:
    """The dataset columns a conversation or tool-calling row is read from (``prompt.messages`` …)."""

    messages: str | None = None
    turns: str | None = None
    tools: str | None = None
    tool_choice: str | None = None
    where: dict = field(default_factory=dict)  # config key -> file, line and key

    @property
    def any(self) -> bool:
        return any(c is not None for c in (self.messages, self.turns, self.tools))

    def check(self, dataset: Dataset) -> None:
        """Every named column exists and holds, in every row, what its key says: before any call."""
        for key, parse in (("messages", parse_messages), ("turns", parse_turns), ("tools", parse_tools)):
            column = getattr(self, key)
            if column is None:
                continue
            if column not in dataset.columns:
                raise ConfigError(f"prompt.{key} names column {column!r}, which the dataset does not have "
                                  f"(columns: {', '.join(dataset.columns)})", **self.where.get(key, {"key": key}))
            for row in dataset.rows:
                row_value(dataset.path, row.id, column, row.values, parse)


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

