"""The first stage: ``prepare`` checks everything that needs no network and returns a ``GatePlan``."""

from __future__ import annotations

from dataclasses import dataclass

from ..baseline import BaselineRun, load_baseline_results
from ..config import GateConfig, check_columns
from ..dataset import Dataset, load_rows, verify_pin
from ..endpoint import check_endpoint_inputs
from ..errors import ConfigError
from ..prompting import PromptTemplate


@dataclass(frozen=True)
class GatePlan:
    """What a run will do, fully checked: the output of ``prepare`` and all ``validate`` needs."""

    config: GateConfig  # with data-dependent defaults filled in (features, drift columns)
    dataset: Dataset
    template: PromptTemplate | None  # None for endpoints sent features, not prompts
    baseline_run: BaselineRun | None = None  # baseline.results, read before any call

    @property
    def calls(self) -> int:
        """Calls to the model under test (rows x repeats); a baseline endpoint gets as many again."""
        return len(self.dataset.rows) * self.config.repeats


def prepare(config: GateConfig) -> GatePlan:
    """Check everything that needs no network; raise ``InputError`` on the first problem."""
    from ..suites import check_suite_inputs

    template = PromptTemplate.from_config(config) if config.prompt is not None else None
    path = config.resolve(config.dataset.path)
    sha = verify_pin(path, config.dataset.sha256, config_path=config.source)
    dataset = load_rows(path, sha256=sha, fmt=config.dataset.format, id_column=config.dataset.id_column)
    if template is not None:
        template.check_columns(dataset)
    config = check_suite_inputs(check_endpoint_inputs(config, dataset), dataset)
    _check_suite_columns(config, dataset)
    baseline_run = None
    if config.baseline is not None and config.baseline.results is not None:
        baseline_run = load_baseline_results(config.resolve(config.baseline.results),
                                             where=config.where("baseline.results"))
    return GatePlan(config, dataset, template, baseline_run)


def _check_suite_columns(config: GateConfig, dataset: Dataset) -> None:
    """Every column a judge suite or a check reads is in the dataset."""
    for s_index, suite in enumerate(config.suites):
        for field, column in suite.judge.columns.items() if suite.judge is not None else ():
            if column not in dataset.columns:
                raise ConfigError(
                    f"judge suite {suite.name!r} reads column {column!r} as its {field}, which the dataset "
                    f"does not have (columns: {', '.join(dataset.columns)})",
                    **config.where(f"suites[{s_index}].judge.columns.{field}"),
                )
        for c_index, check in enumerate(suite.checks):
            for column in check_columns(check):
                if column not in dataset.columns:
                    field = "expected" if column != check.column else "column"
                    raise ConfigError(
                        f"check {check.label!r} reads column {column!r}, which the dataset does not have "
                        f"(columns: {', '.join(dataset.columns)})",
                        **config.where(f"suites[{s_index}].evidently[{c_index}].{field}"),
                    )
