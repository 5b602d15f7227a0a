"""Judge suites, measured row by row under gatewise's own scheduling: single-turn G-Eval by
gatewise itself with deepeval's own prompts (``_geval``), every other metric by deepeval.

Every (row, suite) is one measurement (for deepeval, ``a_measure`` on a fresh metric object); all
of them run at once (each row as soon as its output arrives) and the judge client's semaphore
bounds the requests in flight (deepeval's ``evaluate()`` runner is not used: it is several times
slower and writes result files). A row whose judge call failed, whose answer was unparseable, or
whose output addresses the judge is an error: never a zero, never a pass.
"""

from __future__ import annotations

import asyncio
import inspect
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..config import SuiteConfig
from ..samples import Sample
from ..scores import Score
from ._frame import has_output
from ._judge_client import JudgeClient
from ._judge_guard import injection_phrase
from ._judge_measure import Measured, measure_deepeval, measure_native, usable_steps
from ._registry import suite_kind

if TYPE_CHECKING:
    from ._geval import GEvalSuite, NativeGEval

OnScore = Callable[[Score], None]


class JudgeStage:
    """Judging as a stage of the run's event loop, so rows are judged as their outputs arrive.

    Single-turn G-Eval suites are judged by gatewise itself with deepeval's own prompts
    (``_geval``); every other metric, and a G-Eval row only deepeval can render, by deepeval.
    ``begin`` loads deepeval when a suite needs it (in this thread: imported from a second thread,
    it raced the event loop's own imports of shared modules such as httpx); ``judge`` scores one
    sample on every judge suite; ``aclose`` closes the client and removes deepeval's scratch
    directory (its on-disk state goes there, never into the working tree).
    ``native_geval=False`` sends G-Eval through deepeval's GEval too (the parity test's reference).
    """

    def __init__(self, suites: Sequence[SuiteConfig], client: JudgeClient, *,
                 scratch: str | Path | None = None, native_geval: bool = True) -> None:
        self.suites = [s for s in suites if s.judge is not None]
        self.client = client
        self._scratch_given = Path(scratch) if scratch is not None else None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._native_geval = native_geval
        self._begun = False
        self._native: NativeGEval | None = None
        self._native_suites: dict[str, GEvalSuite] = {}
        self._loaded: tuple[object, bool] | None = None
        # the evaluation steps the judge wrote for each G-Eval suite from its criteria: asked once
        # (the first rows share that one call), then given to every later row as they are
        self._steps: dict[str, list[str]] = {}
        self._asking: list[asyncio.Task[None]] = []
        # what the judge did: rows it scored, rows it failed (call, answer, deepeval), the first failure
        self.judged = self.failed = 0
        self.first_failure: str | None = None

    @property
    def deepeval_loaded(self) -> bool:
        return self._loaded is not None

    def begin(self) -> None:
        """Prepare gatewise's G-Eval, and load deepeval only when a suite is not native G-Eval."""
        if self._begun:
            return
        self._begun = True
        from ._geval import NativeGEval, native_suite
        from ._geval_templates import geval_templates

        templates = geval_templates() if self._native_geval else None
        if templates is not None:
            self._native = NativeGEval(templates, self.client)
            for suite in self.suites:
                assert suite.judge is not None
                if (native := native_suite(suite.judge)) is not None:
                    self._native_suites[suite.name] = native
        if any(suite.name not in self._native_suites for suite in self.suites):
            self._deepeval()

    def _deepeval(self) -> tuple[object, bool]:
        """deepeval's judge model and score direction, loaded on first need."""
        if self._loaded is None:
            from ._deepeval_env import load_deepeval

            if self._scratch_given is None and self._temporary is None:
                self._temporary = tempfile.TemporaryDirectory(prefix="gatewise-deepeval-")
            load_deepeval(self._scratch_given or Path(self._temporary.name))  # type: ignore[union-attr]
            from ._judge_metrics import violations_scored
            from ._judge_model import GatewiseJudge

            self._loaded = (GatewiseJudge(self.client), violations_scored())
        return self._loaded

    def ask_for_steps(self) -> None:
        """Ask the judge now for the evaluation steps of each G-Eval suite without its own, so the
        one call every row waits for is under way while the model is checked and first called.

        Only a head start: a row that comes before the answer shares the call in flight, and when it
        fails the rows ask again themselves and report what went wrong, as without it."""
        self.begin()
        loop = asyncio.get_running_loop()
        for suite in self.suites:
            judge = suite.judge
            assert judge is not None
            if judge.metric == "g-eval" and not judge.evaluation_steps and suite.name not in self._steps:
                self._asking.append(loop.create_task(self._ask_for_steps(suite)))

    async def _ask_for_steps(self, suite: SuiteConfig) -> None:
        from ._judge_metrics import build_metric

        assert suite.judge is not None
        try:
            if (native := self._native_suites.get(suite.name)) is not None:
                assert self._native is not None
                generated = await self._native.steps(native)
            else:
                model, violations = self._deepeval()
                metric = build_metric(suite.name, suite.judge, model, violations)
                ask = metric._a_generate_evaluation_steps  # deepeval's own steps call (the rows' first)
                generated = await (ask(False) if inspect.signature(ask).parameters else ask())  # multimodal: no
        except Exception:  # noqa: BLE001 - the rows ask for the steps themselves and report the failure
            return
        if (usable := usable_steps(generated)) is not None:
            self._steps.setdefault(suite.name, usable)

    async def judge(self, sample: Sample, only: Sequence[SuiteConfig] | None = None) -> tuple[Score, ...]:
        """One Score per judge suite (or per suite of ``only``), in config order."""
        self.begin()
        suites = self.suites if only is None else only
        if len(suites) == 1:  # the common case, without a gather per row
            outcomes = [await self._judge_row(sample, suites[0])]
        else:
            outcomes = await asyncio.gather(*(self._judge_row(sample, suite) for suite in suites))
        for score, judged in outcomes:
            if judged is True:
                self.judged += 1
            elif judged is False:
                self.failed += 1
                self.first_failure = self.first_failure or score.error
        return tuple(score for score, _ in outcomes)

    async def _judge_row(self, sample: Sample, suite: SuiteConfig) -> tuple[Score, bool | None]:
        """The row's Score, and whether the judge gave a usable answer (None: it was not asked)."""
        from ._judge_reply import REPLY_MODELS

        judge = suite.judge
        assert judge is not None
        name = f"{suite.name}.{judge.metric}"
        if not has_output(sample):
            return Score(sample.row_id, name, None, False, sample.repeat,
                         f"no output: {sample.error or 'the endpoint returned none'}"), None
        models: list[str] = []
        REPLY_MODELS.set(models)  # this row's task has its own context: ids do not mix between rows
        measured = await self._measure(sample, suite)
        judge_model = ", ".join(models) or None
        if measured.failure is not None:
            return Score(sample.row_id, name, None, False, sample.repeat, self.client.redact(measured.failure),
                         judge_model=judge_model), False
        reason = self.client.redact(str(measured.reason)) if measured.reason is not None else None
        if measured.unusable is not None or measured.value is None:
            problem = self.client.redact(f"judge: {measured.unusable}")
            return Score(sample.row_id, name, None, False, sample.repeat, problem,
                         reason=reason, judge_model=judge_model), False
        value = measured.value
        if (phrase := injection_phrase(sample.output or "")) is not None:
            # the score is kept for the record, but a row that tries to steer its judge never passes
            return Score(sample.row_id, name, value, False, sample.repeat,
                         f"possible judge injection: the output addresses the judge ({phrase!r})",
                         reason=reason, judge_model=judge_model), True
        return Score(sample.row_id, name, value, value >= judge.threshold, sample.repeat,
                     reason=reason, judge_model=judge_model), True

    async def _measure(self, sample: Sample, suite: SuiteConfig) -> Measured:
        assert suite.judge is not None
        native = self._native_suites.get(suite.name)
        if native is not None and self._native is not None:
            from ._geval import is_multimodal
            from ._judge_metrics import case_fields

            case = case_fields(sample, suite.judge)
            if not is_multimodal(case):
                return await measure_native(self._native, native, case, self._steps, suite.name)
        try:
            model, violations = self._deepeval()
        except Exception as exc:  # noqa: BLE001 - deepeval would not load: no row can be measured by it
            return Measured(failure=f"deepeval {type(exc).__name__}: {exc}")
        return await measure_deepeval(sample, suite, model, violations, self._steps)

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
                on_score: OnScore | None = None, scratch: str | Path | None = None,
                native_geval: bool = True) -> tuple[Score, ...]:
    """One Score per sample per judge suite, samples in the given order, suites in config order.

    For outputs already collected; ``run_gate`` uses ``JudgeStage`` to judge while it collects.
    The client is closed when this returns.
    """
    if not any(s.judge is not None for s in suites):
        return ()
    return asyncio.run(_score_all(samples, JudgeStage(suites, client, scratch=scratch, native_geval=native_geval),
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
