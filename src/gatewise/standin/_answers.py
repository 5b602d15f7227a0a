"""Reading the stand-in's answer table (question -> reference answer) from a dataset file; an
answer that is a list or object (expected tool calls) is kept as its JSON text."""

from __future__ import annotations

import json
from pathlib import Path

from ..dataset import read_records
from ..errors import DatasetError


def load_answer_table(path: str | Path, question_column: str = "question",
                      answer_column: str = "answer") -> dict[str, str]:
    """Map each row's question to its reference answer; the first row wins for a repeated question.
    A row whose question is a list (a conversation's user turns) maps each turn to the answer at
    the same place in its answer list.

    Raises ``DatasetError`` naming the line when the file is unreadable, a line is not a JSON
    object, or a row lacks either column.
    """
    path = Path(path)
    try:
        records = read_records(path)
    except OSError as exc:
        raise DatasetError(f"cannot read answer table {path}: {exc}") from exc
    table: dict[str, str] = {}
    for index, (number, row) in enumerate(records, start=1):
        where = f"{path}:{number}" if number is not None else f"{path}: row {index}"
        for column in (question_column, answer_column):
            if row.get(column) is None:
                raise DatasetError(f"{where}: row has no {column!r} column")
        questions, answers = row[question_column], row[answer_column]
        if isinstance(questions, list):
            # a conversation's user turns, answered turn by turn by the same-length answers list
            if not isinstance(answers, list) or len(answers) != len(questions):
                raise DatasetError(f"{where}: {question_column!r} is a list of {len(questions)} turns, so "
                                   f"{answer_column!r} must be a list of as many answers")
            for question, answer in zip(questions, answers):
                table.setdefault(_text(question), _text(answer))
            continue
        table.setdefault(_text(questions), _text(answers))
    return table


def _text(value: object) -> str:
    """A cell as the model would say it: text as it is, a list or object (a tool call) as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
