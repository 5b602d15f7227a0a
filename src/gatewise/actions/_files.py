"""The files a step writes for the runner: ``GITHUB_OUTPUT`` (step outputs) and
``GITHUB_STEP_SUMMARY`` (the job summary page)."""

from __future__ import annotations

import os
import re
import secrets
from typing import Mapping

from ..errors import InputError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes per step; the runner drops a larger summary entirely


def format_outputs(outputs: Mapping[str, object]) -> str:
    """``name<<delimiter`` blocks; a fresh random delimiter per value, so no value can end its block."""
    parts = []
    for name, value in outputs.items():
        if not _NAME.match(name):
            raise ValueError(f"invalid output name: {name!r}")
        text = _text(value)
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in text:  # astronomically unlikely, but then the block would end early
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        parts.append(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
    return "".join(parts)


def set_outputs(outputs: Mapping[str, object], env: Mapping[str, str] | None = None) -> bool:
    """Append ``outputs`` to the ``GITHUB_OUTPUT`` file; False (and nothing written) outside Actions."""
    return _append(env, "GITHUB_OUTPUT", format_outputs(outputs))


def append_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> bool:
    """Append Markdown to the job summary; False (and nothing written) outside Actions."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    if len(text.encode("utf-8")) > STEP_SUMMARY_LIMIT:
        raise ValueError("a job summary is limited to 1 MiB per step")
    return _append(env, "GITHUB_STEP_SUMMARY", text)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _append(env: Mapping[str, str] | None, variable: str, text: str) -> bool:
    env = os.environ if env is None else env
    path = env.get(variable)
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"cannot write {variable} ({path}): {exc.strerror}") from None
    return True
