"""The prompt's sha256 in gate-result.json: what promotion registers as the version's
``gatewise.prompt_sha256`` lineage tag, including a ``system_file``'s content, which the config's
own sha256 does not cover."""

from __future__ import annotations

import json
from pathlib import Path

from gatewise.config import load_config
from gatewise.publish._load import load_gate_run
from gatewise.registry._lineage import Lineage
from gatewise.registry._run import read_gate_result, run_params
from gatewise.runner import run_gate
from gatewise.tracking._content import run_params as tracking_params

from .conftest import example_rows, write_gate


def _gate_with_system_file(directory: Path, base_url: str, system: str) -> Path:
    config = write_gate(directory, base_url, rows=example_rows(6), thresholds="")
    (directory / "system.md").write_text(system, encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace('  system: "Answer with the answer only."',
                                                      "  system_file: system.md")
    config.write_text(text, encoding="utf-8")
    return config


def _document(out: Path) -> dict:
    return json.loads((out / "gate-result.json").read_text(encoding="utf-8"))


def test_the_prompt_sha256_follows_the_system_file_which_the_config_sha256_misses(tmp_path, standin):
    config = _gate_with_system_file(tmp_path, standin.base_url, "Answer with the answer only.")
    run_gate(load_config(config), out_dir=tmp_path / "one")
    (tmp_path / "system.md").write_text("Answer in one word.", encoding="utf-8")
    run_gate(load_config(config), out_dir=tmp_path / "two")
    one, two = _document(tmp_path / "one"), _document(tmp_path / "two")
    assert one["config"]["sha256"] == two["config"]["sha256"]  # the config file itself did not change
    assert len(one["prompt"]["sha256"]) == 64
    assert one["prompt"]["sha256"] != two["prompt"]["sha256"]


def test_the_same_prompt_written_inline_or_in_a_file_has_one_sha256(tmp_path, standin):
    (tmp_path / "inline").mkdir()
    (tmp_path / "file").mkdir()
    inline = write_gate(tmp_path / "inline", standin.base_url, rows=example_rows(6), thresholds="")
    from_file = _gate_with_system_file(tmp_path / "file", standin.base_url, "Answer with the answer only.")
    run_gate(load_config(inline), out_dir=tmp_path / "a")
    run_gate(load_config(from_file), out_dir=tmp_path / "b")
    assert _document(tmp_path / "a")["prompt"] == _document(tmp_path / "b")["prompt"]


def test_promotion_tracking_and_publish_carry_the_prompt_sha256(tmp_path, standin):
    config = write_gate(tmp_path, standin.base_url, rows=example_rows(6), thresholds="")
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    assert result.prompt_sha256 is not None
    document, _ = read_gate_result(tmp_path / "out")
    assert run_params(document, Lineage())["prompt_sha256"] == result.prompt_sha256
    assert tracking_params(result)["prompt_sha256"] == result.prompt_sha256
    assert load_gate_run(tmp_path / "out").result.prompt_sha256 == result.prompt_sha256
