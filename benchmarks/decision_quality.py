"""Decision quality of the baseline regression rule: how often it blocks a PR that changed nothing
(false block, A/A) and how often it blocks a model that is truly 5 points worse (detection).

Simulation, not a test. Each simulated PR runs a pinned dataset of N questions (default 300)
through two runs of the stand-in model (``gatewise.standin`` ``StandinModel``, in process, with its
``noise`` knob): the baseline at quality 0.85 and the candidate at 0.85 (A/A) or 0.80 (worse).
The noise model is item-response: each question has a latent difficulty shared by both models,
and every call draws its own right/wrong around it, so two runs of the same model disagree on
some rows (the "flip rate" printed, the share of rows whose outcome differs between two runs).
An answer is scored right when it equals the reference (what an ``ExactMatch`` check does), and the
decision is the library's own: ``gatewise.gate.compare_suite`` (paired bootstrap of the mean
difference) then ``regression_blocks`` with the default ``baseline`` settings unless overridden.

``--repeats auto`` runs ``repeats: auto`` as the gate does: one round over every row on both
models, then the library's sequential rule (``gatewise.gate._sequential``: ``sequential_look``,
``disputed_rows``) round by round, re-asking only the disputed rows of both models, up to
``--max-asks``. Each cell reports the mean calls per row beside each rate, both models counted, as
a multiple of one run (2 calls per row); ``--json FILE`` writes every cell (flip rate, repeats
mode, false block and detection rates, calls per row, with their 95 % intervals).

``--cells thresholds`` (or ``both``) measures a point threshold instead (``_threshold_cells.py``):
the wrong-decision rate of one pass and of ``repeats: auto`` for a model on, near or clearly off
the target, and auto's calls per row (one model, so a multiple of one run of it; round 2's pilot
counted). ``--noise 0`` is a deterministic (temperature-0) model, the pilot's best case.

Each rate is stated with a 95 % Wilson interval over the simulated PRs.
Run: ``PYTHONPATH=src .venv/bin/python benchmarks/decision_quality.py [--prs 1000 --rows 300
--noise 0.1 0.2 0.3 0.5 --repeats 1 3 auto --json FILE]``; ``--rule``, ``--max-regression`` and
``--confidence`` default to ``BaselineConfig``'s defaults (significant, 0.02, 0.99). About 30-400 s
per cell on a busy two-core machine (fixed repeats bootstrap 2000 resamples per PR; auto does not).

``--served`` asks a running ``StandinServer`` over HTTP instead of the in-process model (one
server per quality for a whole cell: its per-call draws make every run a fresh one), so the figures
cover the served knob end to end; about 0.3 s per PR and repeat on two cores, so use fewer
``--prs`` (e.g. ``--served --prs 100 --noise 0.2 --repeats 1 auto``).
"""

from __future__ import annotations

import argparse
import contextlib
import time
import json
from dataclasses import dataclass, field
from typing import Callable, Iterator

from gatewise.config import BaselineConfig
from gatewise.config._repeats import DEFAULT_MAX_ASKS
from gatewise.gate import Observation, compare_suite, regression_blocks, wilson
from gatewise.gate._sequential import disputed_rows, sequential_look
from gatewise.standin import StandinServer
from gatewise.standin._model import StandinModel

BASELINE_QUALITY = 0.85


def dataset(rows: int) -> dict[str, str]:
    return {f"What is the capital of imaginary country number {i}?": f"City {i}" for i in range(rows)}


Asker = Callable[[list[int], int], dict[str, float]]
"""One model's answers to the given rows (table indexes) in one round: row id -> 1.0 right, 0.0 wrong."""
Runner = Callable[[float, int], Asker]
"""A fresh model of the given quality (with its seed): every ask draws anew."""


def asker(table: dict[str, str], answer: Callable[[str], str]) -> Asker:
    items = list(table.items())

    def ask(rows: list[int], _round: int) -> dict[str, float]:
        return {f"r{i}": 1.0 if answer(items[i][0]) == items[i][1] else 0.0 for i in rows}
    return ask


@contextlib.contextmanager
def in_process(table: dict[str, str], noise: float) -> Iterator[Runner]:
    def run(quality: float, seed: int) -> Asker:
        return asker(table, StandinModel(table, quality=quality, seed=seed, noise=noise).reply)
    yield run


@contextlib.contextmanager
def served(table: dict[str, str], noise: float) -> Iterator[Runner]:
    """Runs against stand-in servers over HTTP, one per quality, started on first use."""
    import httpx

    with contextlib.ExitStack() as stack:
        http = stack.enter_context(httpx.Client(timeout=30))
        servers: dict[float, StandinServer] = {}

        def run(quality: float, seed: int) -> Asker:
            if quality not in servers:
                servers[quality] = stack.enter_context(
                    StandinServer(table, quality=quality, seed=len(servers) + 1, noise=noise))
            url = servers[quality].base_url + "/chat/completions"

            def answer(question: str) -> str:
                reply = http.post(url, json={"model": "standin-model",
                                             "messages": [{"role": "user", "content": question}]})
                reply.raise_for_status()
                return reply.json()["choices"][0]["message"]["content"]
            return asker(table, answer)
        yield run


def flip_rate(table: dict[str, str], noise: float) -> float:
    """Expected share of rows whose outcome differs between two runs of the same model."""
    model = StandinModel(table, quality=BASELINE_QUALITY, noise=noise)
    probabilities = [model.p_right(q) for q in table]
    return sum(2 * p * (1 - p) for p in probabilities) / len(probabilities)


def fixed_pr(baseline: Asker, candidate: Asker, rows: int, repeats: int, settings, resamples, seed) -> tuple[bool, int]:
    """``repeats: k``: every row k times on both sides, the fixed rule. (blocked, calls)"""
    every = list(range(rows))
    base, cand = [], []
    for repeat in range(repeats):
        base += [Observation(r, repeat, v, v > 0, False) for r, v in baseline(every, repeat).items()]
        cand += [Observation(r, repeat, v, v > 0, False) for r, v in candidate(every, repeat).items()]
    compared = compare_suite("correctness", cand, base, paired=True, settings=settings, resamples=resamples, seed=seed)
    return regression_blocks(compared.delta, compared.interval, settings.max_regression, settings.rule), 2 * rows * repeats


def adaptive_pr(baseline: Asker, candidate: Asker, rows: int, max_asks: int, settings) -> tuple[bool, int]:
    """``repeats: auto``: one round, then the library's sequential rule and disputed rows, round by
    round, as ``gatewise gate`` does. (blocked, calls)"""
    asked = list(range(rows))
    rounds: list[dict[str, float]] = []
    calls = 0
    for round_ in range(max_asks):
        base, cand = baseline(asked, round_), candidate(asked, round_)
        calls += 2 * len(asked)
        rounds.append({row: cand[row] - base[row] for row in cand})
        look = sequential_look("correctness", rounds, max_regression=settings.max_regression,
                               confidence=settings.confidence, max_looks=max_asks)
        if look.decision != "undecided":
            return look.decision == "block", calls
        asked = [int(row[1:]) for row in disputed_rows({"correctness": rounds})]
    raise AssertionError("the rule decides by the cap")


@dataclass
class Cell:
    blocked: int = 0
    calls: list[int] = field(default_factory=list)


def run_cell(run: Runner, candidate_quality: float, prs: int, rows: int, mode: str, args, settings,
             first_seed: int) -> Cell:
    cell = Cell()
    for pr in range(prs):
        seed = first_seed + 2 * pr  # every run its own draws: two runs never share their noise
        baseline, candidate = run(BASELINE_QUALITY, seed), run(candidate_quality, seed + 1)
        if mode == "auto":
            blocked, calls = adaptive_pr(baseline, candidate, rows, args.max_asks, settings)
        else:
            blocked, calls = fixed_pr(baseline, candidate, rows, int(mode), settings, args.resamples, pr)
        cell.blocked += blocked
        cell.calls.append(calls)
    return cell


def per_row(cell: Cell, rows: int) -> tuple[float, float, float]:
    """Mean calls per row, both models counted, as a multiple of one run (2 calls per row), with a
    95 % normal interval over the PRs."""
    ratios = [c / (2 * rows) for c in cell.calls]
    mean = sum(ratios) / len(ratios)
    sd = (sum((x - mean) ** 2 for x in ratios) / max(1, len(ratios) - 1)) ** 0.5
    half = 1.96 * sd / len(ratios) ** 0.5
    return mean, mean - half, mean + half


def rate(hits: int, total: int) -> str:
    low, high = wilson(hits, total, 0.95) or (0.0, 1.0)
    return f"{hits / total:6.1%} [{low:5.1%}, {high:5.1%}]"


def interval(hits: int, total: int) -> list[float]:
    low, high = wilson(hits, total, 0.95) or (0.0, 1.0)
    return [round(low, 5), round(high, 5)]


def main() -> None:
    defaults = BaselineConfig(results="-")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=1000, help="simulated PRs per cell and scenario")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5])
    parser.add_argument("--repeats", nargs="+", default=["1", "3", "auto"],
                        help="fixed repeats (numbers) and/or auto (the sequential rule)")
    parser.add_argument("--max-asks", type=int, default=DEFAULT_MAX_ASKS, help="repeats: auto's cap (max)")
    parser.add_argument("--drop", type=float, default=0.05, help="how much worse the worse model is")
    parser.add_argument("--rule", default=defaults.rule, choices=["significant", "confident", "point"])
    parser.add_argument("--max-regression", type=float, default=defaults.max_regression)
    parser.add_argument("--confidence", type=float, default=defaults.confidence)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--served", action="store_true",
                        help="ask StandinServer over HTTP rather than the model in process")
    parser.add_argument("--json", metavar="FILE", help="write every cell's figures to FILE")
    parser.add_argument("--cells", choices=["comparison", "thresholds", "both"], default="comparison",
                        help="the baseline comparison's cells, the point threshold's (see _threshold_cells.py), or both")
    args = parser.parse_args()
    for mode in args.repeats:
        if mode != "auto" and not mode.isdigit():
            parser.error(f"--repeats takes numbers and auto, not {mode!r}")
    runner = served if args.served else in_process

    settings = BaselineConfig(results="-", max_regression=args.max_regression, confidence=args.confidence,
                              rule=args.rule)
    table = dataset(args.rows)
    print(f"rule={settings.rule} max_regression={settings.max_regression} confidence={settings.confidence} "
          f"rows={args.rows} PRs per cell={args.prs} baseline quality={BASELINE_QUALITY} "
          f"worse model={BASELINE_QUALITY - args.drop:.2f} auto cap={args.max_asks} "
          f"model={'served over HTTP' if args.served else 'in process'}; "
          f"rates with 95% Wilson intervals; calls per row as a multiple of one run of both models")
    if args.cells != "thresholds":
        print(f"{'noise':>5} {'flip':>6} {'repeats':>7}  {'false block (A/A)':<24} {'calls':>5}  "
              f"{'detection (-5 pts)':<24} {'calls':>5}  targets  seconds")
    cells = []
    for noise in args.noise if args.cells != "thresholds" else ():
        flips = flip_rate(table, noise)
        for mode in args.repeats:
            started = time.perf_counter()
            with runner(table, noise) as run:
                fb = run_cell(run, BASELINE_QUALITY, args.prs, args.rows, mode, args, settings, 1)
                det = run_cell(run, BASELINE_QUALITY - args.drop, args.prs, args.rows, mode, args, settings,
                               10_000_001)
            fb_calls, det_calls = per_row(fb, args.rows), per_row(det, args.rows)
            met = (fb.blocked / args.prs <= 0.01 and det.blocked / args.prs >= 0.90
                   and max(fb_calls[0], det_calls[0]) <= 1.5)
            print(f"{noise:5.2f} {flips:6.1%} {mode:>7}  {rate(fb.blocked, args.prs):<24} {fb_calls[0]:5.2f}  "
                  f"{rate(det.blocked, args.prs):<24} {det_calls[0]:5.2f}  {'met' if met else 'MISSED':<7}  "
                  f"{time.perf_counter() - started:6.1f}", flush=True)
            cells.append({
                "noise": noise, "flip_rate": round(flips, 5), "repeats": mode, "prs": args.prs, "rows": args.rows,
                "false_block_rate": fb.blocked / args.prs, "false_block_interval": interval(fb.blocked, args.prs),
                "detection_rate": det.blocked / args.prs, "detection_interval": interval(det.blocked, args.prs),
                "calls_per_row_aa": round(fb_calls[0], 4), "calls_per_row_aa_interval": [round(fb_calls[1], 4),
                                                                                         round(fb_calls[2], 4)],
                "calls_per_row_worse": round(det_calls[0], 4),
                "calls_per_row_worse_interval": [round(det_calls[1], 4), round(det_calls[2], 4)],
                "targets_met": met,
            })
    if args.cells != "comparison":
        from _threshold_cells import threshold_cells

        from gatewise.config._models import ConfidenceConfig

        # thresholds use confidence.level (default 0.95), not baseline.confidence
        cells += threshold_cells(table, args.noise, args.prs, args.max_asks, ConfidenceConfig().level, flip_rate)
    if args.json:
        settings_out = {"rule": settings.rule, "max_regression": settings.max_regression,
                        "confidence": settings.confidence, "max_asks": args.max_asks, "drop": args.drop,
                        "served": args.served, "calls_unit": "one run of both models (2 calls per row)",
                        "threshold_calls_unit": "one run of the one model (1 call per row)",
                        "threshold_confidence_level": 0.95}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"settings": settings_out, "cells": cells}, handle, indent=2)
            handle.write("\n")


if __name__ == "__main__":
    main()
