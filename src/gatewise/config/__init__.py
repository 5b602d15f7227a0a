"""The gate config: YAML in, typed and validated ``GateConfig`` out."""

from ._checks import CheckConfig, check_columns, descriptor_names
from ._load import load_config
from ._judge import LOWER_IS_BETTER, JudgeColumns, JudgeSuiteConfig, RubricBand
from ._models import (SUITE_KINDS, BaselineConfig, ConfidenceConfig, DatasetConfig, EndpointConfig, GateConfig,
                      JudgeConfig, ModelConfig, PromptConfig, SuiteConfig)
from ._predictive import ClassificationConfig, DriftConfig, ReferenceConfig, RegressionConfig, V2EndpointConfig
from ._pin import write_pin
from ._thresholds import Threshold, parse_expression
from ._verify import BUILTIN_CHECKS, LATENCY_CHECKS, QualityCheckConfig, VerifyCheckConfig, VerifyConfig
from ._tracking import HistoryBaselineConfig, TrackingConfig

__all__ = [
    "BaselineConfig", "CheckConfig", "ClassificationConfig", "ConfidenceConfig", "DatasetConfig", "DriftConfig",
    "EndpointConfig", "GateConfig", "HistoryBaselineConfig", "JudgeColumns", "JudgeConfig", "JudgeSuiteConfig", "LOWER_IS_BETTER",
    "ModelConfig", "PromptConfig", "ReferenceConfig", "RegressionConfig", "RubricBand",
    "BUILTIN_CHECKS", "LATENCY_CHECKS", "QualityCheckConfig", "VerifyCheckConfig", "VerifyConfig",
    "SUITE_KINDS", "SuiteConfig", "Threshold", "TrackingConfig", "V2EndpointConfig", "check_columns", "descriptor_names", "load_config",
    "parse_expression", "write_pin",
]
