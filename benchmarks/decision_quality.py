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

Each rate is stated with a 95 % Wilson interval over the simulated PRs.
Run: ``PYTHONPATH=src .venv/bin/python benchmarks/decision_quality.py [--prs 1000 --rows 300
--noise 0.1 0.2 0.3 0.5 --repeats 1 3]``; ``--rule``, ``--max-regression`` and ``--confidence``
default to ``BaselineConfig``'s defaults (significant, 0.02, 0.99). About 30-150 s per cell.

``--served`` asks a running ``StandinServer`` over HTTP instead of the in-process model (one
server per quality for a whole cell: its per-call draws make every run a fresh one), so the figures
cover the served knob end to end; about 0.3 s per PR and repeat on two cores, so use fewer
``--prs`` (e.g. ``--served --prs 100 --noise 0.2 --repeats 1``).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Callable, Iterator

from gatewise.config import BaselineConfig
from gatewise.gate import Observation, compare_suite, regression_blocks, wilson
from gatewise.standin import StandinServer
from gatewise.standin._model import StandinModel

BASELINE_QUALITY = 0.85


def dataset(rows: int) -> dict[str, str]:
    return {f"What is the capital of imaginary country number {i}?": f"City {i}" for i in range(rows)}


Runner = Callable[[float, int], list[Observation]]
"""One run of a model of the given quality (with its seed) over the table."""


def observations(table: dict[str, str], repeats: int, answer: Callable[[str], str]) -> list[Observation]:
    out = []
    for repeat in range(repeats):
        for index, (question, reference) in enumerate(table.items()):
            right = answer(question) == reference
            out.append(Observation(f"r{index}", repeat, 1.0 if right else 0.0, right, False))
    return out


@contextlib.contextmanager
def in_process(table: dict[str, str], noise: float, repeats: int) -> Iterator[Runner]:
    def run(quality: float, seed: int) -> list[Observation]:
        model = StandinModel(table, quality=quality, seed=seed, noise=noise)
        return observations(table, repeats, model.reply)
    yield run


@contextlib.contextmanager
def served(table: dict[str, str], noise: float, repeats: int) -> Iterator[Runner]:
    """Runs against stand-in servers over HTTP, one per quality, started on first use."""
    import httpx

    with contextlib.ExitStack() as stack:
        http = stack.enter_context(httpx.Client(timeout=30))
        servers: dict[float, StandinServer] = {}

        def run(quality: float, seed: int) -> list[Observation]:
            if quality not in servers:
                servers[quality] = stack.enter_context(
                    StandinServer(table, quality=quality, seed=len(servers) + 1, noise=noise))
            url = servers[quality].base_url + "/chat/completions"

            def answer(question: str) -> str:
                reply = http.post(url, json={"model": "standin-model",
                                             "messages": [{"role": "user", "content": question}]})
                reply.raise_for_status()
                return reply.json()["choices"][0]["message"]["content"]
            return observations(table, repeats, answer)
        yield run


def flip_rate(table: dict[str, str], noise: float) -> float:
    """Expected share of rows whose outcome differs between two runs of the same model."""
    model = StandinModel(table, quality=BASELINE_QUALITY, noise=noise)
    probabilities = [model.p_right(q) for q in table]
    return sum(2 * p * (1 - p) for p in probabilities) / len(probabilities)


def blocked_share(run: Runner, candidate_quality, prs, settings, resamples, first_seed) -> tuple[int, int]:
    blocked = 0
    for pr in range(prs):
        seed = first_seed + 2 * pr  # every run its own draws: two runs never share their noise
        baseline = run(BASELINE_QUALITY, seed)
        candidate = run(candidate_quality, seed + 1)
        compared = compare_suite("correctness", candidate, baseline, paired=True, settings=settings,
                                 resamples=resamples, seed=pr)
        blocked += regression_blocks(compared.delta, compared.interval, settings.max_regression, settings.rule)
    return blocked, prs


def rate(hits: int, total: int) -> str:
    low, high = wilson(hits, total, 0.95) or (0.0, 1.0)
    return f"{hits / total:6.1%} [{low:5.1%}, {high:5.1%}]"


def main() -> None:
    defaults = BaselineConfig(results="-")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=1000, help="simulated PRs per cell and scenario")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5])
    parser.add_argument("--repeats", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--drop", type=float, default=0.05, help="how much worse the worse model is")
    parser.add_argument("--rule", default=defaults.rule, choices=["significant", "confident", "point"])
    parser.add_argument("--max-regression", type=float, default=defaults.max_regression)
    parser.add_argument("--confidence", type=float, default=defaults.confidence)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--served", action="store_true",
                        help="ask StandinServer over HTTP rather than the model in process")
    args = parser.parse_args()
    runner = served if args.served else in_process

    settings = BaselineConfig(results="-", max_regression=args.max_regression, confidence=args.confidence,
                              rule=args.rule)
    table = dataset(args.rows)
    print(f"rule={settings.rule} max_regression={settings.max_regression} confidence={settings.confidence} "
          f"rows={args.rows} PRs per cell={args.prs} baseline quality={BASELINE_QUALITY} "
          f"worse model={BASELINE_QUALITY - args.drop:.2f} "
          f"model={'served over HTTP' if args.served else 'in process'}; "
          f"rates with 95% Wilson intervals")
    print(f"{'noise':>5} {'flip rate':>9} {'repeats':>7}  {'false block (A/A)':<24} {'detection (-5 pts)':<24} "
          f"targets  seconds")
    for noise in args.noise:
        flips = flip_rate(table, noise)
        for repeats in args.repeats:
            started = time.perf_counter()
            with runner(table, noise, repeats) as run:
                fb = blocked_share(run, BASELINE_QUALITY, args.prs, settings, args.resamples, 1)
                det = blocked_share(run, BASELINE_QUALITY - args.drop, args.prs, settings, args.resamples,
                                    10_000_001)
            met = fb[0] / fb[1] <= 0.01 and det[0] / det[1] >= 0.90
            print(f"{noise:5.2f} {flips:9.1%} {repeats:7d}  {rate(*fb):<24} {rate(*det):<24} "
                  f"{'met' if met else 'MISSED':<7}  {time.perf_counter() - started:6.1f}", flush=True)


if __name__ == "__main__":
    main()
