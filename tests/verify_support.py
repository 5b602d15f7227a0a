"""Shared by the verify tests: traffic to stand-ins, and a gate config with a verify: section."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .conftest import example_rows, write_gate


def send_traffic(base_url: str, n: int, questions: list[str] | None = None) -> None:
    """``n`` chat completions, eight at a time; failures are the point of some stand-ins, so ignored."""
    questions = questions or [row["question"] for row in example_rows()]
    with httpx.Client(timeout=10) as client:
        def one(i: int) -> None:
            client.post(base_url + "/chat/completions",
                        json={"model": "standin-model",
                              "messages": [{"role": "user", "content": f"Question: {questions[i % len(questions)]}"}]})
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(n)))


def write_verify_gate(directory: Path, verify_yaml: str, base_url: str = "http://127.0.0.1:9/v1") -> Path:
    return write_gate(directory, base_url, rows=example_rows(20), extra="verify:\n" + verify_yaml)


def read_result(out: Path) -> dict:
    return json.loads((out / "verify-result.json").read_text(encoding="utf-8"))
