"""``gate-result.json``: ``GateResult.to_dict()`` as strict, pretty UTF-8 JSON, the gate's contract."""

from __future__ import annotations

import json
from pathlib import Path

from ..result import GateResult
from ._atomic import atomic_writer
from ._jsonable import jsonable

GATE_RESULT_FILE = "gate-result.json"


def render_gate_result(result: GateResult) -> str:
    # keys stay in to_dict()'s order (schema first, then what readers look for), which is fixed by
    # the code and the config, so two runs of the same gate diff cleanly
    return json.dumps(jsonable(result.to_dict()), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_gate_result(result: GateResult, out_dir: Path) -> Path:
    path = Path(out_dir) / GATE_RESULT_FILE
    with atomic_writer(path) as handle:
        handle.write(render_gate_result(result))
    return path
