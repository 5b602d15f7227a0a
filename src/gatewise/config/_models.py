"""The gate config as typed, frozen models. Unknown keys are errors everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from ._checks import IDENTIFIER, CheckConfig
from ._connection import ConnectionConfig
from ._gating import check_only_if
from ._dialogue import ToolCallsConfig, ToolChoice, check_prompt_source, check_tool_suites
from ._strict import StrictModel as _Strict
from ._strict import error_at
from ._judge import JudgeSuiteConfig
from ._predictive import (PART_STATISTICS, SUITE_STATISTICS, ClassificationConfig, DriftConfig, RegressionConfig,
                          V2EndpointConfig)
from ._promote import CanaryConfig, ManifestFileConfig
from ._report import ReportConfig
from ._repeats import AutoRepeatsConfig, split_auto_repeats
from ._thresholds import Threshold
from ._verify import VerifyConfig
from ._tracking import HistoryBaselineConfig, TrackingConfig


class ModelConfig(_Strict):
    name: str = Field(min_length=1, description="registered model name")
    source: str | None = Field(None, description="what promotion pins, e.g. hf://org/model@rev")


class EndpointConfig(ConnectionConfig):
    """An OpenAI-compatible endpoint (vLLM at /v1, KServe at /openai/v1): the default kind."""

    kind: Literal["openai"] = "openai"
    model: str = Field(min_length=1)
    api: Literal["chat", "completions"] = "chat"
    temperature: float | None = Field(0.0, ge=0)
    max_tokens: int | None = Field(512, ge=1)
    seed: int | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)


class JudgeConfig(EndpointConfig):
    """The judge's OpenAI-compatible endpoint, apart from the model under test. Its key falls back
    to ``GATEWISE_JUDGE_KEY``; deepeval's prompts need the chat API and room for a reason."""

    api: Literal["chat"] = "chat"
    # 512: room for a reason, and within what a judge served with a small context accepts (vLLM
    # refuses prompt + max_tokens beyond its max_model_len; 1024 was refused at 512)
    max_tokens: int | None = Field(512, ge=1)
    structured_output: bool = Field(
        True, description="ask for deepeval's JSON schema as response_format (guided decoding on vLLM)")


class PromptConfig(_Strict):
    system: str | None = Field(None, description="inline system prompt")
    system_file: str | None = Field(None, description="file holding the system prompt, relative to the config")
    user: str | None = Field(None, min_length=1, description="template filled from dataset columns: {question}")
    # conversations and tools (``dialogue``): dataset columns, instead of or beside the template
    messages: str | None = Field(None, min_length=1, description="column holding the chat turns before the answer")
    turns: str | None = Field(None, min_length=1, description="column holding user turns, each answered in turn")
    tools: str | None = Field(None, min_length=1, description="column holding the row's OpenAI tool schemas")
    tool_choice: ToolChoice | None = Field(None, description="auto, none, required, or a function name")

    @model_validator(mode="after")
    def _one_system(self) -> "PromptConfig":
        if self.system is not None and self.system_file is not None:
            raise ValueError("give either system or system_file, not both")
        return self

    @model_validator(mode="after")
    def _one_source(self) -> "PromptConfig":
        check_prompt_source(self)
        return self


class DatasetConfig(_Strict):
    path: str = Field(min_length=1, description="JSONL, CSV or Parquet file, relative to the config")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    format: Literal["jsonl", "csv", "parquet"] | None = None
    id_column: str = "id"


def _endpoint_kind(value: Any) -> str:
    kind = value.get("kind", "openai") if isinstance(value, dict) else getattr(value, "kind", "openai")
    return kind if isinstance(kind, str) else repr(kind)


# the endpoint's ``kind`` picks its model; without one it is OpenAI-compatible
AnyEndpointConfig = Annotated[
    Union[Annotated[EndpointConfig, Tag("openai")], Annotated[V2EndpointConfig, Tag("v2")]],
    Discriminator(_endpoint_kind),
]

# every key that makes a suite of that kind; a suite sets exactly one of them
SUITE_KINDS = ("evidently", "judge", "classification", "regression", "drift", "tool_calls")


class SuiteConfig(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    evidently: list[CheckConfig] | None = Field(None, min_length=1)
    judge: JudgeSuiteConfig | None = None
    classification: ClassificationConfig | None = None
    regression: RegressionConfig | None = None
    drift: DriftConfig | None = None
    tool_calls: ToolCallsConfig | None = None

    @property
    def kind(self) -> str:
        return next(kind for kind in SUITE_KINDS if getattr(self, kind) is not None)

    @property
    def checks(self) -> list[CheckConfig]:
        """The Evidently checks of an ``evidently`` suite; none for other kinds."""
        return list(self.evidently or ())

    def truth_column(self) -> str | None:
        """The dataset column a predictive suite compares predictions with (never a feature)."""
        if self.classification is not None:
            return self.classification.label
        if self.regression is not None:
            return self.regression.target
        return None

    @model_validator(mode="after")
    def _one_kind(self) -> "SuiteConfig":
        given = [kind for kind in SUITE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            at = ("name",) if not given else (given[1],)
            found = f"it has {' and '.join(given)}" if given else "it has none"
            raise error_at(at, f"a suite needs exactly one of: {', '.join(SUITE_KINDS)} ({found})")
        return self

    @model_validator(mode="after")
    def _unique_check_labels(self) -> "SuiteConfig":
        seen: set[str] = set()
        for index, check in enumerate(self.checks):
            if check.label in seen:
                raise error_at(("evidently", index, "name" if check.name else "descriptor"),
                               f"two checks are called {check.label!r}; give one a distinct name")
            seen.add(check.label)
        return self


class PromoteMlflowConfig(_Strict):
    tracking_uri: str | None = Field(None, description="MLflow server; empty: a local sqlite file next to the config")
    experiment: str = Field("gatewise", min_length=1)
    alias: str = Field("candidate", min_length=1)

    @field_validator("tracking_uri", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class PromoteManifestsConfig(_Strict):
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/name of the manifests repo")
    base: str = Field("main", min_length=1, description="branch the PR targets")
    path: str | None = Field(None, min_length=1, description="the manifest file in the repo (or use files:)")
    set: dict[str, str | int | float] | None = Field(None, min_length=1,
                                                     description="path in the manifest -> value template")
    files: list[ManifestFileConfig] | None = Field(None, min_length=1, description="several files, one commit")
    labels: list[str] = Field(default_factory=lambda: ["gatewise"])
    token_env: str = Field("GATEWISE_MANIFESTS_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    api_url: str | None = Field(None, description="GitHub API URL (GitHub Enterprise); default api.github.com")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be a path inside the repository, without a leading / or ..")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> "PromoteManifestsConfig":
        if self.files is not None:
            if self.path is not None or self.set is not None:
                raise error_at(("files",), "give either path and set, or files, not both")
            paths = [f.path for f in self.files]
            for index, path in enumerate(paths):
                if path in paths[:index]:
                    raise error_at(("files", index, "path"), f"{path} is listed twice")
        elif self.path is None or self.set is None:
            missing = "path" if self.path is None else "set"
            raise error_at((missing,), "a manifests section needs path and set (or files: [{path, set}, ...])")
        return self

    def manifest_files(self) -> tuple[ManifestFileConfig, ...]:
        """Every file to edit, whichever form the config used."""
        if self.files is not None:
            return tuple(self.files)
        return (ManifestFileConfig(path=self.path, set=self.set),)


class PromoteConfig(_Strict):
    mlflow: PromoteMlflowConfig = Field(default_factory=PromoteMlflowConfig)
    manifests: PromoteManifestsConfig
    canary: CanaryConfig | None = Field(None, description="canary rollout; absent: the PR moves all traffic")


class ConfidenceConfig(_Strict):
    """How sure a verdict must be: the interval level and how thresholds use it."""

    level: float = Field(0.95, ge=0.5, lt=1.0, description="two-sided level of every interval")
    mode: Literal["point", "confident"] = Field(
        "point", description="default for thresholds: point (the estimate meets the target) or "
                             "confident (the interval's far end meets it)")
    resamples: int = Field(2000, ge=200, le=100_000, description="bootstrap resamples")
    seed: int = Field(0, description="bootstrap seed, so a run's intervals are reproducible")


class BaselineConfig(_Strict):
    """Paired comparison with a previous model on the same rows."""

    results: str | None = Field(None, min_length=1, description="results.jsonl, gate-result.json, or their directory")
    endpoint: AnyEndpointConfig | None = Field(None, description="a second endpoint of the model's kind, called "
                                                                 "in the same run")
    alias: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+$",
                              description="the results of this MLflow alias of model.name, e.g. champion")
    mlflow: HistoryBaselineConfig | None = Field(None, description="the latest matching gate run in the tracking "
                                                                   "history, e.g. {branch: main, verdict: passed}")
    max_regression: float = Field(0.02, ge=0.0, le=1.0, description="largest tolerated drop of a suite's mean")
    confidence: float = Field(0.99, ge=0.5, lt=1.0, description="two-sided level of the difference's interval")
    rule: Literal["significant", "confident", "point"] = "significant"
    rows_listed: int = Field(20, ge=0, le=1000, description="rows that got worse, listed in the reports")

    @model_validator(mode="after")
    def _one_source(self) -> "BaselineConfig":
        if sum(source is not None for source in (self.results, self.endpoint, self.alias, self.mlflow)) != 1:
            raise ValueError("give exactly one of baseline.results, baseline.endpoint, baseline.alias and "
                             "baseline.mlflow")
        return self


RESERVED_METRICS = ("latency_ms", "errors")


class GateConfig(_Strict):
    """A whole gate config. ``source`` and ``base_dir`` are filled by the loader, not the YAML."""

    version: Literal[1] = 1
    model: ModelConfig | None = None
    endpoint: AnyEndpointConfig
    judge: JudgeConfig | None = None
    prompt: PromptConfig | None  # required for openai endpoints; a v2 endpoint sends features, not prompts
    dataset: DatasetConfig
    suites: list[SuiteConfig] = Field(default_factory=list)
    # a value is an expression (">= 0.9") or {expect: ">= 0.9", mode: confident}; checked by the loader
    thresholds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    max_errors: int = Field(0, ge=0, description="rows allowed to error after retries")
    confidence: ConfidenceConfig = Field(default_factory=ConfidenceConfig)
    repeats: int = Field(1, ge=1, le=100, description="times each row is sent to the endpoint")
    # set by ``repeats: auto`` (then repeats is 1: the first pass); see config/_repeats.py
    repeats_auto: AutoRepeatsConfig | None = None
    baseline: BaselineConfig | None = None
    promote: PromoteConfig | None = None
    verify: VerifyConfig | None = Field(None, description="gatewise verify: the live canary against the champion")
    tracking: TrackingConfig | None = Field(None, description="log every gate run to MLflow (opt-in)")
    report: ReportConfig = Field(default_factory=ReportConfig, description="optional report files (report.html)")

    # filled in by the loader
    source: str = Field("<memory>", exclude=True)
    base_dir: str = Field(".", exclude=True)
    config_sha256: str = Field("", exclude=True)
    parsed_thresholds: tuple[Threshold, ...] = Field((), exclude=True)
    key_lines: dict[str, int] = Field(default_factory=dict, exclude=True)  # "suites[0].name" -> line

    def where(self, key: str) -> dict[str, Any]:
        """``file``, ``line`` and ``key`` for a ConfigError about ``key``."""
        line = None
        probe = key
        while probe and line is None:
            line = self.key_lines.get(probe)
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return {"file": self.source, "line": line, "key": key}

    @model_validator(mode="before")
    @classmethod
    def _auto_repeats(cls, data: Any) -> Any:
        return split_auto_repeats(data)

    @model_validator(mode="after")
    def _auto_repeats_need_a_comparison(self) -> "GateConfig":
        if self.repeats_auto is None or self.baseline is None:
            return self  # without a baseline, auto re-asks for the thresholds alone
        if self.baseline.rule != "significant":
            raise error_at(("baseline", "rule"), "repeats: auto decides with a sequential form of rule significant; "
                                                 f"rule {self.baseline.rule} has none: use a fixed number of repeats")
        return self

    @model_validator(mode="before")
    @classmethod
    def _no_prompt_for_v2(cls, data: Any) -> Any:
        # only a v2 endpoint may leave prompt: out; for every other kind it stays a missing key
        if isinstance(data, dict) and "prompt" not in data and isinstance(data.get("endpoint"), dict) \
                and data["endpoint"].get("kind") == "v2":
            return {**data, "prompt": None}
        return data

    @model_validator(mode="after")
    def _prompt_matches_endpoint(self) -> "GateConfig":
        if self.endpoint.kind == "v2" and self.prompt is not None:
            raise error_at(("prompt",), "a v2 endpoint is sent feature columns, not a prompt; remove prompt:")
        if self.endpoint.kind != "v2" and self.prompt is None:
            raise error_at(("prompt",), f"an {self.endpoint.kind} endpoint needs a prompt: (system and user)")
        return self

    @model_validator(mode="after")
    def _unique_suites(self) -> "GateConfig":
        seen: set[str] = set()
        for index, suite in enumerate(self.suites):
            if suite.name in RESERVED_METRICS:
                raise error_at(("suites", index, "name"),
                               f"suite name {suite.name!r} is reserved for a built-in metric")
            if suite.name in seen:
                raise error_at(("suites", index, "name"), f"two suites are called {suite.name!r}")
            seen.add(suite.name)
            if suite.judge is not None and self.judge is None:
                raise error_at(("suites", index, "judge"), "a judge suite needs a top-level judge: section "
                               "(base_url, model) naming the judge endpoint")
        baseline_endpoint = self.baseline.endpoint if self.baseline is not None else None
        if baseline_endpoint is not None and baseline_endpoint.kind != self.endpoint.kind:
            raise error_at(("baseline", "endpoint", "kind"),
                           f"the baseline endpoint is sent the same rows as the model, so it needs the "
                           f"endpoint's kind ({self.endpoint.kind}), not {baseline_endpoint.kind}")
        check_only_if(self.suites)
        if self.baseline is not None and self.baseline.alias is not None and self.model is None:
            raise error_at(("baseline", "alias"), "a baseline alias needs model.name: the registered model "
                                                  "whose alias holds the results")
        return self

    @model_validator(mode="after")
    def _tools_to_check(self) -> "GateConfig":
        check_tool_suites(self)
        return self

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def metric_names(self) -> list[str]:
        """Every metric a threshold may name: suites, suite.check, and the built-ins."""
        names = list(RESERVED_METRICS)
        for suite in self.suites:
            names.append(suite.name)
            names.extend(f"{suite.name}.{check.label}" for check in suite.checks)
            if suite.judge is not None:
                names.append(f"{suite.name}.{suite.judge.metric}")
            if suite.tool_calls is not None:
                names.extend(f"{suite.name}.{label}" for label in suite.tool_calls.check_labels())
            if suite.drift is not None and suite.drift.columns:
                names.extend(f"{suite.name}.{column}" for column in suite.drift.columns)
        return names

    def statistics_of(self, metric: str) -> frozenset[str] | None:
        """The statistics a threshold may name on a predictive suite's metric; None for other metrics.

        ``suite.<class>`` of a classification suite is accepted here; whether the class exists
        is checked against the dataset before the run.
        """
        head, _, part = metric.partition(".")
        suite = next((s for s in self.suites if s.name == head), None)
        if suite is None or suite.kind not in SUITE_STATISTICS:
            return None
        if not part:
            return frozenset(SUITE_STATISTICS[suite.kind])
        if suite.kind not in PART_STATISTICS or (suite.drift is not None and suite.drift.columns
                                                 and part not in suite.drift.columns):
            return None
        return frozenset(PART_STATISTICS[suite.kind])
