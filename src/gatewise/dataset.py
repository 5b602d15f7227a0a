"""The pinned dataset: rows from JSONL, CSV or Parquet, refused unless its bytes match the pin."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import DatasetError, PinMismatchError


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Dataset:
    path: str
    sha256: str
    rows: tuple[Row, ...]
    columns: tuple[str, ...]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_pin(path: str | Path, expected: str | None, *, config_path: str = "gate.yaml") -> str:
    """Return the file's sha256, or refuse when it is unpinned or differs from the pin."""
    actual = _sha_or_error(path, f"dataset.path in {config_path}")
    fix = f"gatewise pin {path} --config {config_path}"
    if expected is None:
        raise DatasetError(
            f"dataset {path} is not pinned: its sha256 is {actual}.\n"
            f"Review the data, then pin it with: {fix}"
        )
    if actual != expected:
        raise PinMismatchError(
            f"dataset {path} does not match its pin.\n"
            f"  pinned (dataset.sha256): {expected}\n"
            f"  actual (file bytes):     {actual}\n"
            f"If the change is intended, review it and re-pin with: {fix}"
        )
    return actual


def _sha_or_error(path: str | Path, source: str) -> str:
    try:
        return file_sha256(path)
    except FileNotFoundError:
        raise DatasetError(f"dataset file not found: {path} ({source})") from None
    except IsADirectoryError:
        raise DatasetError(f"dataset path is a directory, not a file: {path} ({source})") from None
    except OSError as exc:
        raise DatasetError(f"cannot read dataset {path} ({source}): {exc.strerror}") from None


def load_rows(path: str | Path, *, sha256: str, fmt: str | None = None, id_column: str = "id") -> Dataset:
    """Read rows (the pin has already been checked). Rows get ``id_column`` or their index as id."""
    path = Path(path)
    records = read_records(path, fmt)
    if not records:
        raise DatasetError(f"dataset {path} has no rows")
    columns: list[str] = []
    for _, record in records:
        columns.extend(c for c in record if c not in columns)
    rows: list[Row] = []
    seen: dict[str, str] = {}  # id -> where it first appeared
    for index, (line, record) in enumerate(records):
        row_id = str(record[id_column]) if record.get(id_column) is not None else str(index)
        here = f"line {line}" if line is not None else f"row {index + 1}"
        if row_id in seen:
            at = f"{path}:{line}" if line is not None else f"{path}: row {index + 1}"
            raise DatasetError(f"dataset {at}: repeats id {row_id!r} of {seen[row_id]}; ids must be unique")
        seen[row_id] = here
        rows.append(Row(row_id, record))
    return Dataset(str(path), sha256, tuple(rows), tuple(columns))


def read_records(path: str | Path, fmt: str | None = None) -> "Records":
    """Every record of a JSONL, CSV or Parquet file, with its line number where lines mean something."""
    path = Path(path)
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[fmt or _format_of(path)]
    return reader(path)


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    formats = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
    if suffix not in formats:
        raise DatasetError(
            f"dataset {path}: cannot tell the format from {suffix or 'no suffix'!r}; "
            "use .jsonl, .csv or .parquet, or set dataset.format"
        )
    return formats[suffix]


# each reader returns (line number in the file, or None where lines mean nothing, record)
Records = list[tuple[int | None, dict[str, Any]]]


def _read_jsonl(path: Path) -> Records:
    records = []
    with open(path, encoding="utf-8") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"dataset {path}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise DatasetError(f"dataset {path}:{number}: each line must be a JSON object")
                records.append((number, record))
        except UnicodeDecodeError:
            raise DatasetError(f"dataset {path} is not UTF-8 text") from None
    return records


def _read_csv(path: Path) -> Records:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(f"dataset {path} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise DatasetError(f"dataset {path} has no header row")
    records: Records = []
    for record in reader:
        # the reader's line_num is the line a row ends on, so quoted newlines keep it right
        number = reader.line_num
        if None in record:
            raise DatasetError(f"dataset {path}:{number}: more fields than the header has")
        if None in record.values():
            raise DatasetError(f"dataset {path}:{number}: fewer fields than the header has")
        records.append((number, dict(record)))
    return records


def _read_parquet(path: Path) -> Records:
    import pyarrow.parquet as pq  # heavy: only for Parquet datasets

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for bad files
        raise DatasetError(f"dataset {path} is not a readable Parquet file: {exc}") from None
    return [(None, record) for record in table.to_pylist()]
