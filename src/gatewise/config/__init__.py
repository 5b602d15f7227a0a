"""The gate config: YAML in, typed and validated ``GateConfig`` out."""

from ._checks import CheckConfig, NUMERIC_DESCRIPTORS, check_columns
from ._load import load_config
from ._models import SUITE_KINDS, DatasetConfig, EndpointConfig, GateConfig, ModelConfig, PromptConfig, SuiteConfig
from ._predictive import ClassificationConfig, DriftConfig, ReferenceConfig, RegressionConfig, V2EndpointConfig
from ._pin import write_pin
from ._thresholds import Threshold, parse_expression

__all__ = [
    "CheckConfig", "DatasetConfig", "EndpointConfig", "GateConfig", "ModelConfig", "NUMERIC_DESCRIPTORS",
    "PromptConfig", "SUITE_KINDS", "SuiteConfig", "ClassificationConfig", "DriftConfig", "ReferenceConfig",
    "RegressionConfig", "V2EndpointConfig", "Threshold", "check_columns", "load_config", "parse_expression",
    "write_pin",
]
