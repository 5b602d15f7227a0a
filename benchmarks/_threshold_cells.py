"""Threshold cells of ``decision_quality.py --thresholds``: how often one pass and ``repeats: auto``
decide a point threshold on the wrong side, for a model whose expected pass rate theta sits on, near
or clearly off the target, and what auto costs in calls per row.

The model is the stand-in's item-response model (``StandinModel`` with its ``noise`` knob), theta
its exact expected pass rate over the pinned rows (mean of ``p_right``; with ``--noise 0`` the model
is deterministic and which rows it gets right depends on its seed, so theta is each PR's own). The right decision for a
``>=`` threshold is "pass" when theta >= target. One pass decides by the estimate alone (what a
point threshold does); auto uses the library's rule (``gatewise.gate._threshold_rule``: ``look_at``
round by round, every row asked each round, up to the cap; round 2 begins with the pilot,
``pilot_rows`` drawn by the PR's seed and ``pilot_look``, as ``gatewise gate`` does). Calls per row
count the pilot's asks (a steady model decided by its pilot costs 1 + m / n). Exactly on the line "pass" is right, and
no rule can do better than a coin at the cap there: the cell also reports how often auto stopped
early on the wrong side, the rate its alpha bounds.
"""

from __future__ import annotations

from gatewise.gate import wilson
from gatewise.gate._threshold_rule import look_at, pilot_look, pilot_rows
from gatewise.standin._model import StandinModel

QUALITY = 0.85
# where the target sits, relative to theta: on the line, 2 points either side, 5 (within one pass's
# bound at 300 rows, outside the pilot's for a steady model) and 8 points below
PLACEMENTS = (("on the line", 0.0), ("2 pts below theta", -0.02), ("2 pts above theta", +0.02),
              ("5 pts below theta", -0.05), ("8 pts below theta", -0.08))


def one_pr(table: dict[str, str], noise: float, offset: float, max_asks: int, alpha: float,
           seed: int) -> tuple[bool, bool, bool, float, float]:
    """(one pass passed, auto passed, auto stopped before the cap, auto's calls per row, theta) for a
    target at theta + ``offset``."""
    model = StandinModel(table, quality=QUALITY, seed=seed, noise=noise)
    theta = sum(model.p_right(q) for q in table) / len(table)
    target = theta + offset
    items = list(table.items())
    rows: dict[str, list[float]] = {f"r{i}": [] for i in range(len(items))}

    def ask(ids) -> None:
        for i, (question, answer) in enumerate(items):
            if f"r{i}" in ids:
                rows[f"r{i}"].append(1.0 if model.reply(question) == answer else 0.0)
    ask(rows)
    first = sum(v[0] for v in rows.values()) / len(rows) >= target
    calls = len(rows)
    pilot = pilot_rows(list(rows), seed)
    for look in range(1, max_asks + 1):
        if look > 1:
            rest = [row for row in rows if len(rows[row]) < look]
            ask(rest)
            calls += len(rest)
        decision, _, _ = look_at(rows, ">=", target, look, max_asks, alpha)
        if decision == "undecided" and look == 1 and len(pilot) < len(rows):
            ask(pilot)
            calls += len(pilot)
            decision, _, _ = pilot_look(rows, {row: rows[row] for row in pilot}, ">=", target, max_asks, alpha)
        if decision != "undecided":
            return first, decision == "pass", look < max_asks, calls / len(rows), theta
    raise AssertionError("the rule decides by the cap")


def threshold_cells(table: dict[str, str], noises: list[float], prs: int, max_asks: int, confidence: float,
                    flip_rate) -> list[dict]:
    alpha = (1.0 - confidence) / 2.0
    cells = []
    print(f"\nthresholds (point, >=): model quality {QUALITY}, {len(table)} rows, {prs} PRs per cell, "
          f"auto cap {max_asks}, alpha {alpha:g} per side; wrong = the decision differs from theta >= target")
    print(f"{'flip':>6} {'target':<18} {'theta':>6} {'one pass wrong':<24} {'auto wrong':<24} "
          f"{'auto early wrong':<24} {'calls/row':>9}")
    for noise in noises:
        for name, offset in PLACEMENTS:
            right = offset <= 0  # theta >= target
            one_wrong = auto_wrong = early_wrong = 0
            asks = thetas = 0.0
            for pr in range(prs):
                one, auto, early, calls, theta = one_pr(table, noise, offset, max_asks, alpha, 50_000_000 + pr)
                one_wrong += one != right
                auto_wrong += auto != right
                early_wrong += early and auto != right
                asks += calls
                thetas += theta
            theta = thetas / prs
            target = theta + offset
            cell = {"kind": "threshold", "noise": noise, "flip_rate": round(flip_rate(table, noise), 5),
                    "placement": name, "theta": round(theta, 5), "target": round(target, 5), "prs": prs,
                    "rows": len(table), "one_pass_wrong_rate": one_wrong / prs,
                    "one_pass_wrong_interval": _interval(one_wrong, prs), "auto_wrong_rate": auto_wrong / prs,
                    "auto_wrong_interval": _interval(auto_wrong, prs), "auto_early_wrong_rate": early_wrong / prs,
                    "auto_early_wrong_interval": _interval(early_wrong, prs),
                    "auto_calls_per_row": round(asks / prs, 4)}
            cells.append(cell)
            print(f"{cell['flip_rate']:6.1%} {name:<18} {theta:6.3f} {_rate(one_wrong, prs):<24} "
                  f"{_rate(auto_wrong, prs):<24} {_rate(early_wrong, prs):<24} {asks / prs:9.2f}", flush=True)
    return cells


def _interval(hits: int, total: int) -> list[float]:
    low, high = wilson(hits, total, 0.95) or (0.0, 1.0)
    return [round(low, 5), round(high, 5)]


def _rate(hits: int, total: int) -> str:
    low, high = wilson(hits, total, 0.95) or (0.0, 1.0)
    return f"{hits / total:6.1%} [{low:5.1%}, {high:5.1%}]"
