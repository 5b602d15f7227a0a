"""What the whole-process benchmarks share: the synthetic Q&A rows, a stand-in in its own process,
and a command's wall time and peak memory measured from a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def write_rows(directory: Path, rows: int) -> Path:
    """``rows.jsonl`` of ``rows`` questions with their reference answers (the stand-in's answer table)."""
    data = directory / "rows.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i in range(rows):
            handle.write(json.dumps({"id": f"r{i:05d}", "question": f"What is item number {i}?",
                                     "answer": f"Item {i} is the number {i * 7 % 1000}."}) + "\n")
    return data


class Standin:
    """``python -m gatewise.standin`` on a free port, so the client's cost is what is measured."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "gatewise.standin", "--port", "0", *args],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"stand-in did not start: {line!r}")
        self.url = line.split("listening on", 1)[1].strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def measured(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (MiB) of ``cmd``, measured from a fresh interpreter."""
    # RUSAGE_CHILDREN keeps the maximum over every child ever waited for: a fresh probe per command
    probe = ("import resource,subprocess,sys,time;t=time.perf_counter();"
             "c=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL).returncode;"
             "print(time.perf_counter()-t,c,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss//1024)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, "CI": "true"}).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])
