"""Threshold cells of ``decision_quality.py --thresholds``: how often one pass and ``repeats: auto``
decide a point threshold on the wrong side, for a model whose expected pass rate theta sits on, near
or clearly off the target, and what auto costs in calls per row.

The model is the stand-in's item-response model (``StandinModel`` with its ``noise`` knob), theta
its exact expected pass rate over the pinned rows (mean of ``p_right``). The right decision for a
``>=`` threshold is "pass" when theta >= target. One pass decides by the estimate alone (what a
point threshold does); auto uses the library's rule (``gatewise.gate._threshold_rule.look_at``)
round by round, every row asked each round, up to the cap. Exactly on the line "pass" is right, and
no rule can do better than a coin at the cap there: the cell also reports how often auto stopped
early on the wrong side, the rate its alpha bounds.
"""

from __future__ import annotations

from gatewise.gate import wilson
from gatewise.gate._threshold_rule import look_at
from gatewise.standin._model import StandinModel

QUALITY = 0.85
# where the target sits, relative to theta: on the line, 2 points either side, 8 points below
PLACEMENTS = (("on the line", 0.0), ("2 pts below theta", -0.02), ("2 pts above theta", +0.02),
              ("8 pts below theta", -0.08))


def theta_of(table: dict[str, str], noise: float) -> float:
    model = StandinModel(table, quality=QUALITY, noise=noise)
    return sum(model.p_right(q) for q in table) / len(table)


def one_pr(table: dict[str, str], noise: float, target: float, max_asks: int, alpha: float,
           seed: int) -> tuple[bool, bool, bool, int]:
    """(one pass passed, auto passed, auto stopped before the cap, auto's asks per row)."""
    model = StandinModel(table, quality=QUALITY, seed=seed, noise=noise)
    items = list(table.items())
    rows: dict[int, list[float]] = {i: [] for i in range(len(items))}
    first = None
    for look in range(1, max_asks + 1):
        for i, (question, answer) in enumerate(items):
            rows[i].append(1.0 if model.reply(question) == answer else 0.0)
        if first is None:
            first = sum(v[0] for v in rows.values()) / len(rows) >= target
        decision, _, _ = look_at(rows, ">=", target, look, max_asks, alpha)
        if decision != "undecided":
            return bool(first), decision == "pass", look < max_asks, look
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
        theta = theta_of(table, noise)
        for name, offset in PLACEMENTS:
            target = theta + offset
            right = theta >= target
            one_wrong = auto_wrong = early_wrong = asks = 0
            for pr in range(prs):
                one, auto, early, looks = one_pr(table, noise, target, max_asks, alpha, 50_000_000 + pr)
                one_wrong += one != right
                auto_wrong += auto != right
                early_wrong += early and auto != right
                asks += looks
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
