"""Workflow commands written to stdout: ``::error``/``::warning``/``::notice`` annotations,
``::add-mask::`` and ``::group::``, escaped the way the runner unescapes them."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO, Iterator

LEVELS = ("error", "warning", "notice", "debug")
# the runner's own escaping (actions/toolkit core/command.ts): data escapes %, CR and LF;
# property values also escape the characters that separate properties
_DATA = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    return str(text).translate(_DATA)


def escape_property(text: str) -> str:
    return str(text).translate(_PROPERTY)


def annotation(message: str, *, level: str = "error", file: str | None = None, line: int | None = None,
               end_line: int | None = None, col: int | None = None, title: str | None = None) -> str:
    """One annotation command line, e.g. ``::error file=gate.yaml,line=12,title=…::message``."""
    if level not in LEVELS:
        raise ValueError(f"annotation level must be one of {', '.join(LEVELS)}")
    props = [(k, v) for k, v in (("file", file), ("line", line), ("endLine", end_line), ("col", col),
                                 ("title", title)) if v is not None]
    head = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
    return f"::{level}{' ' + head if head else ''}::{escape_data(message)}"


def add_mask(value: str, stream: IO[str] | None = None) -> None:
    """Ask the runner to mask ``value`` in the rest of the log (one command per line of it)."""
    for part in str(value).splitlines():
        if part.strip():
            _emit(f"::add-mask::{escape_data(part)}", stream)


def start_group(title: str, stream: IO[str] | None = None) -> None:
    _emit(f"::group::{escape_data(title)}", stream)


def end_group(stream: IO[str] | None = None) -> None:
    _emit("::endgroup::", stream)


@contextmanager
def group(title: str, stream: IO[str] | None = None) -> Iterator[None]:
    start_group(title, stream)
    try:
        yield
    finally:
        end_group(stream)


def _emit(line: str, stream: IO[str] | None) -> None:
    print(line, file=stream or sys.stdout, flush=True)
