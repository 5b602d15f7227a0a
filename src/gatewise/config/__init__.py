"""The gate config: YAML in, typed and validated ``GateConfig`` out."""

from ._checks import CheckConfig, NUMERIC_DESCRIPTORS, check_columns
from ._load import load_config
from ._models import BaselineConfig, ConfidenceConfig, DatasetConfig, EndpointConfig, GateConfig, ModelConfig, PromptConfig, SuiteConfig
from ._pin import write_pin
from ._thresholds import Threshold, parse_expression

__all__ = [
    "BaselineConfig", "CheckConfig", "ConfidenceConfig", "DatasetConfig", "EndpointConfig", "GateConfig", "ModelConfig", "NUMERIC_DESCRIPTORS",
    "PromptConfig", "SuiteConfig", "Threshold", "check_columns", "load_config", "parse_expression", "write_pin",
]
