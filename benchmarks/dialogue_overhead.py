"""What conversations and tool calls cost gatewise, against plain single-turn rows, measured in
one sitting against the stand-in in its own process (its answers arrive after L ms).

Three gates make the same number of model calls (N, default 1000) at concurrency C (32):
  plain  one call per row from a user template, scored by ExactMatch;
  tools  the same rows offering three tools (OpenAI schemas; tool_choice auto), answered with a
         tool call, scored by the tool_calls suite (right tool, arguments, JSON schema);
  turns  N/3 rows of three user turns each, one call per turn (a simulated conversation).
For each: the calls stage (``timings_s.calls`` in gate-result.json) and the whole process's wall
time, against the ideal N·L/C; ratios to ``plain`` are what to compare (the machine is shared).
Run: ``.venv/bin/python benchmarks/dialogue_overhead.py [--rows 1000 --latency-ms 20 --concurrency 32 --rounds 2]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _common import Standin, measured, write_gate

TOOLS = [{"type": "function", "function": {"name": name, "description": f"the {name} tool", "parameters": {
    "type": "object", "properties": {"item": {"type": "integer"}, "unit": {"type": "string"}},
    "required": ["item"], "additionalProperties": False}}} for name in ("lookup", "convert", "search")]


def write_data(directory: Path, rows: int) -> None:
    with open(directory / "plain.jsonl", "w") as plain, open(directory / "tools.jsonl", "w") as tools:
        for i in range(rows):
            question, answer = f"What is item number {i}?", f"Item {i} is the number {i * 7 % 1000}."
            plain.write(json.dumps({"id": f"r{i:05d}", "question": question, "answer": answer}) + "\n")
            calls = [{"name": TOOLS[i % 3]["function"]["name"], "arguments": {"item": i}}]
            tools.write(json.dumps({"id": f"r{i:05d}", "question": question, "tools": TOOLS,
                                    "expected": calls, "answer": calls}) + "\n")
    with open(directory / "turns.jsonl", "w") as turns:
        for i in range(rows // 3):
            asked = [f"Conversation {i}, turn {t}: what is item {3 * i + t}?" for t in range(3)]
            replies = [f"Item {3 * i + t} is {(3 * i + t) * 7 % 1000}." for t in range(3)]
            turns.write(json.dumps({"id": f"c{i:05d}", "turns": asked, "replies": replies,
                                    "final": replies[-1]}) + "\n")


def gate(directory: Path, kind: str, url: str, concurrency: int) -> Path:
    prompt, suite = {
        "plain": ('{ user: "{question}" }', "evidently: [ { descriptor: ExactMatch, expected: answer } ]"),
        "tools": ('{ user: "{question}", tools: tools, tool_choice: auto }', "tool_calls: { expected: expected }"),
        "turns": ("{ turns: turns }", "evidently: [ { descriptor: ExactMatch, expected: final } ]"),
    }[kind]
    body = f'suites:\n  - name: check\n    {suite}\nthresholds:\n  check: {{ pass_rate: ">= 0.9" }}\n'
    return write_gate(directory, directory / f"{kind}.jsonl", url, body, concurrency=concurrency,
                      prompt=f"prompt: {prompt}", name=f"{kind}.yaml")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows = args.rows - args.rows % 3
    ideal = rows * args.latency_ms / 1000 / args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_data(root, rows)
        answers = {"plain": ("plain.jsonl",), "tools": ("tools.jsonl",),
                   "turns": ("turns.jsonl", "--question-column", "turns", "--answer-column", "replies")}
        seen: dict[str, list[tuple[float, float]]] = {kind: [] for kind in answers}
        for _ in range(args.rounds):
            for kind, table in answers.items():  # interleaved, so drift in the machine's load hits all
                standin = Standin("--answers", str(root / table[0]), *table[1:], "--latency-ms", str(args.latency_ms))
                try:
                    config = gate(root, kind, standin.url, args.concurrency)
                    out = root / f"out-{kind}"
                    wall, code, _ = measured([sys.executable, "-m", "gatewise", "gate", "--config", str(config),
                                              "--out", str(out)], root)
                finally:
                    standin.stop()
                result = json.loads((out / "gate-result.json").read_text())
                assert code == 0 and result["counts"]["turns"] == rows, (kind, code, result["counts"])
                seen[kind].append((result["timings_s"]["calls"], wall))
    print(f"{rows} model calls each, L={args.latency_ms:g} ms, C={args.concurrency}: ideal calls stage {ideal:.2f} s; "
          f"median of {args.rounds} interleaved rounds")
    base_calls = statistics.median(c for c, _ in seen["plain"])
    base_wall = statistics.median(w for _, w in seen["plain"])
    for kind, runs in seen.items():
        calls, wall = statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs)
        print(f"  {kind:6} calls stage {calls:6.2f} s ({calls / base_calls:.2f}x plain, {calls / ideal:.2f}x ideal)  "
              f"whole process {wall:6.2f} s ({wall / base_wall:.2f}x plain)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
