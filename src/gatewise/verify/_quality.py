"""The paired quality check: the gate's dataset (or a seeded sample of it) sent to the canary and
the champion in one gate run, with the champion as ``baseline.endpoint``, so the verdict is the
gate's own: its thresholds on the canary and the paired regression rule against the champion."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from ..config import BaselineConfig, DatasetConfig, GateConfig
from ..dataset import verify_pin
from ..errors import InputError
from ..result import GateResult
from ..terminal import Console


def quality_config(config: GateConfig, out_dir: Path) -> GateConfig:
    """The gate config aimed at the canary, with the champion as the paired baseline."""
    settings = config.verify.quality
    assert settings is not None
    endpoint = config.endpoint.model_copy(update={"base_url": settings.canary_url})
    baseline = BaselineConfig(endpoint=config.endpoint.model_copy(update={"base_url": settings.champion_url}),
                              max_regression=settings.max_regression, confidence=settings.confidence,
                              rule=settings.rule)
    update = {"endpoint": endpoint, "baseline": baseline}
    if settings.sample is not None:
        update["dataset"] = _sample(config, settings.sample, settings.seed, out_dir)
    return config.model_copy(update=update)


def _sample(config: GateConfig, size: int, seed: int, out_dir: Path) -> DatasetConfig:
    path = config.resolve(config.dataset.path)
    verify_pin(path, config.dataset.sha256, config_path=config.source)  # the sample is of the pinned rows
    if (config.dataset.format or path.suffix.lstrip(".")) != "jsonl":
        raise InputError(f"{config.source} [verify.quality.sample]: sampling needs a JSONL dataset; "
                         "remove sample to send every row")
    lines = [line for line in path.read_bytes().splitlines(keepends=True) if line.strip()]
    if size < len(lines):
        chosen = sorted(random.Random(seed).sample(range(len(lines)), size))
        lines = [lines[i] for i in chosen]
    out_dir.mkdir(parents=True, exist_ok=True)
    sample = out_dir / "verify-sample.jsonl"
    data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    sample.write_bytes(data)
    return config.dataset.model_copy(update={"path": str(sample.resolve()),
                                             "sha256": hashlib.sha256(data).hexdigest(), "format": "jsonl"})


def run_quality(config: GateConfig, out_dir: Path, console: Console) -> GateResult:
    from ..pipeline import run_gate

    return run_gate(quality_config(config, out_dir), out_dir=out_dir / "quality", console=console)
