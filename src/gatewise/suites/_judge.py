"""Judge suites: deepeval's metrics, measured row by row under gatewise's own scheduling.

Every (row, suite) is one ``a_measure`` on a fresh metric object; all of them run at once (each
row as soon as its output arrives) and the judge client's semaphore bounds the requests in flight (deepeval's
``evaluate()`` runner is not used: it is several times slower and writes result files). A row
whose judge call failed, whose answer was unparseable, or whose output addresses the judge is an
error: never a zero, never a pass.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ..scores import Score
from ._frame import has_output
from ._judge_client import JudgeCallError, JudgeClient
from ._judge_guard import injection_phrase
from ._registry import suite_kind

OnScore = Callable[[Score], None]


class JudgeStage:
    """Judging as a stage of the run's event loop, so rows are judged as their outputs arrive.

    ``begin`` loads deepeval (in this thread: imported from a second thread, it raced the event
    loop's own imports of shared modules such as httpx); ``judge`` scores one sample on every
    judge suite; ``aclose`` closes the client and removes deepeval's scratch directory (its
    on-disk state goes there, never into the working tree).
    """

    def __init__(self, suites: Sequence[SuiteConfig], client: JudgeClient, *,
                 scratch: str | Path | None = None) -> None:
        self.suites = [s for s in suites if s.judge is not None]
        self.client = client
        self._temporary = tempfile.TemporaryDirectory(prefix="gatewise-deepeval-") if scratch is None else None
        self._scratch = Path(scratch if scratch is not None else self._temporary.name)  # type: ignore[union-attr]
        self._loaded: tuple[object, bool] | None = None
        # the evaluation steps the judge wrote for each G-Eval suite from its criteria: asked once
        # (the first rows share that one call), then given to every later row's metric as they are
        self._steps: dict[str, list[str]] = {}
        self._asking: list[asyncio.Task[None]] = []
        # what the judge did: rows it scored, rows it failed (call, answer, deepeval), the first failure
        self.judged = self.failed = 0
        self.first_failure: str | None = None

    def begin(self) -> None:
        if self._loaded is None:
            from ._deepeval_env import load_deepeval

            load_deepeval(self._scratch)
            from ._judge_metrics import violations_scored
            from ._judge_model import GatewiseJudge

            self._loaded = (GatewiseJudge(self.client), violations_scored())

    def ask_for_steps(self) -> None:
        """Ask the judge now for the evaluation steps of each G-Eval suite without its own, so the
        one call every row waits for is under way while the model is checked and first called.

        Only a head start: a row that comes before the answer shares the call in flight, and when it
        fails the rows ask again themselves and report what went wrong, as without it."""
        self.begin()
        assert self._loaded is not None
        model, violations = self._loaded
        loop = asyncio.get_running_loop()
        for suite in self.suites:
            judge = suite.judge
            assert judge is not None
            if judge.metric == "g-eval" and not judge.evaluation_steps and suite.name not in self._steps:
                self._asking.append(loop.create_task(self._ask_for_steps(suite, model, violations)))

    async def _ask_for_steps(self, suite: SuiteConfig, model, violations: bool) -> None:
        from ._judge_metrics import build_metric

        assert suite.judge is not None
        try:
            metric = build_metric(suite.name, suite.judge, model, violations)
            ask = metric._a_generate_evaluation_steps  # deepeval's own steps call (the rows' first)
            generated = await (ask(False) if inspect.signature(ask).parameters else ask())  # multimodal: no
        except Exception:  # noqa: BLE001 - the rows ask for the steps themselves and report the failure
            return
        if (usable := _usable_steps(generated)) is not None:
            self._steps.setdefault(suite.name, usable)

    async def judge(self, sample: Sample, only: Sequence[SuiteConfig] | None = None) -> tuple[Score, ...]:
        """One Score per judge suite (or per suite of ``only``), in config order."""
        self.begin()
        assert self._loaded is not None
        model, violations = self._loaded
        suites = self.suites if only is None else only
        if len(suites) == 1:  # the common case, without a gather per row
            outcomes = [await _judge_row(sample, suites[0], model, self.client, violations, self._steps)]
        else:
            outcomes = await asyncio.gather(*(_judge_row(sample, suite, model, self.client, violations, self._steps)
                                              for suite in suites))
        for score, judged in outcomes:
            if judged is True:
                self.judged += 1
            elif judged is False:
                self.failed += 1
                self.first_failure = self.first_failure or score.error
        return tuple(score for score, _ in outcomes)

    @property
    def judge_failed_everything(self) -> bool:
        """The judge was asked and never gave a usable answer: nothing could be measured."""
        return self.failed > 0 and self.judged == 0

    async def aclose(self) -> None:
        for task in self._asking:
            task.cancel()
        await asyncio.gather(*self._asking, return_exceptions=True)
        await self.client.aclose()
        if self._temporary is not None:
            self._temporary.cleanup()


@suite_kind("judge")
def score_judge(samples: Sequence[Sample], suites: Sequence[SuiteConfig], *, client: JudgeClient,
                on_score: OnScore | None = None, scratch: str | Path | None = None) -> tuple[Score, ...]:
    """One Score per sample per judge suite, samples in the given order, suites in config order.

    For outputs already collected; ``run_gate`` uses ``JudgeStage`` to judge while it collects.
    The client is closed when this returns.
    """
    if not any(s.judge is not None for s in suites):
        return ()
    return asyncio.run(_score_all(samples, JudgeStage(suites, client, scratch=scratch),
                                  on_score or (lambda score: None)))


async def _score_all(samples: Sequence[Sample], stage: JudgeStage, on_score: OnScore) -> tuple[Score, ...]:
    async def one(sample: Sample) -> tuple[Score, ...]:
        scores = await stage.judge(sample)
        for score in scores:
            on_score(score)
        return scores

    try:
        return tuple(score for row in await asyncio.gather(*(one(s) for s in samples)) for score in row)
    finally:
        await stage.aclose()


async def _judge_row(sample: Sample, suite: SuiteConfig, model, client: JudgeClient, violations: bool,
                     steps: dict[str, list[str]]) -> tuple[Score, bool | None]:
    """The row's Score, and whether the judge gave a usable answer (None: it was not asked).
    ``steps`` holds each G-Eval suite's generated evaluation steps, filled by the first row to get them."""
    from ._judge_metrics import build_case, build_metric, higher_is_better_score
    from ._judge_model import REPLY_MODELS, JudgeOutputError

    judge = suite.judge
    assert judge is not None
    name = f"{suite.name}.{judge.metric}"
    if not has_output(sample):
        return Score(sample.row_id, name, None, False, sample.repeat,
                     f"no output: {sample.error or 'the endpoint returned none'}"), None
    models: list[str] = []
    REPLY_MODELS.set(models)  # this row's task has its own context: ids do not mix between rows
    judge_model = lambda: ", ".join(models) or None  # noqa: E731
    try:
        metric = build_metric(suite.name, judge, model, violations, steps.get(suite.name))
        await metric.a_measure(build_case(sample, judge), _show_indicator=False)
        if judge.metric == "g-eval" and not judge.evaluation_steps and suite.name not in steps:
            if (usable := _usable_steps(getattr(metric, "evaluation_steps", None))) is not None:
                steps[suite.name] = usable
    except (JudgeCallError, JudgeOutputError) as exc:
        return Score(sample.row_id, name, None, False, sample.repeat, client.redact(str(exc)),
                     judge_model=judge_model()), False
    except Exception as exc:  # noqa: BLE001 - whatever deepeval raised, this row has no score
        return Score(sample.row_id, name, None, False, sample.repeat,
                     client.redact(f"deepeval {type(exc).__name__}: {exc}"), judge_model=judge_model()), False
    raw, reason = getattr(metric, "score", None), getattr(metric, "reason", None)
    reason = client.redact(str(reason)) if reason is not None else None
    if getattr(metric, "error", None) is not None or not _unit_number(raw):
        problem = getattr(metric, "error", None) or f"deepeval gave no usable score ({raw!r})"
        return Score(sample.row_id, name, None, False, sample.repeat, client.redact(f"judge: {problem}"),
                     reason=reason, judge_model=judge_model()), False
    value = higher_is_better_score(judge, float(raw), violations)
    if (phrase := injection_phrase(sample.output or "")) is not None:
        # the score is kept for the record, but a row that tries to steer its judge never passes
        return Score(sample.row_id, name, value, False, sample.repeat,
                     f"possible judge injection: the output addresses the judge ({phrase!r})",
                     reason=reason, judge_model=judge_model()), True
    return Score(sample.row_id, name, value, value >= judge.threshold, sample.repeat,
                 reason=reason, judge_model=judge_model()), True


def _usable_steps(generated: object) -> list[str] | None:
    """G-Eval steps fit to give the next rows' metrics (deepeval refuses an empty list)."""
    if isinstance(generated, list) and generated and all(isinstance(step, str) for step in generated):
        return list(generated)
    return None


def _unit_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0.0 <= float(value) <= 1.0)
