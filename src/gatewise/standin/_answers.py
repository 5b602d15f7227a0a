"""Reading the stand-in's answer table (question -> reference answer) from a JSONL dataset."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import DatasetError


def load_answer_table(path: str | Path, question_column: str = "question",
                      answer_column: str = "answer") -> dict[str, str]:
    """Map each row's question to its reference answer; the first row wins for a repeated question.

    Raises ``DatasetError`` naming the line when the file is unreadable, a line is not a JSON
    object, or a row lacks either column.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read answer table {path}: {exc}") from exc
    table: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise DatasetError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        for column in (question_column, answer_column):
            if row.get(column) is None:
                raise DatasetError(f"{path}:{number}: row has no {column!r} column")
        table.setdefault(str(row[question_column]), str(row[answer_column]))
    return table
