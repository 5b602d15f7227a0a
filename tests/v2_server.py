"""KServe's own Python ``ModelServer`` serving scikit-learn models over the V2 protocol, for tests.

Run as a script (``python tests/v2_server.py --http-port N --models DIR``) it loads every
``DIR/<name>.joblib`` the way KServe's sklearn server does (one ``[n, f]`` FP64 tensor in, one
prediction per row out), plus models that misbehave in the ways a real server does:

- ``broken`` answers every request with a 500;
- ``short`` answers with one prediction fewer than it was sent (``iris``'s, or the first model's);
- ``picky`` serves that model too, but fails (500) any batch holding a row whose first feature is
  above ``PICKY_LIMIT``: some batches fail, the others do not;
- ``flaky`` answers a request it has not seen before with a 503 (KServe's ``ModelNotReady``), and
  the same request sent again with the model's predictions;
- ``refusing`` answers every request with a 400 (``InvalidInput``).

``V2Server`` starts that process on a free 127.0.0.1 port, waits until it is ready, and stops its
whole process group.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

if __package__:  # imported by the tests; run as a script (the server itself) it needs none of this
    from ._service import ServiceProcess, answers, free_port

PICKY_LIMIT = 7.5


def _serve(http_port: int, models_dir: Path) -> None:
    import joblib
    import kserve
    import numpy as np
    from kserve.utils.utils import get_predict_input, get_predict_response

    class SklearnModel(kserve.Model):
        """What KServe's sklearnserver does: ``inputs[0]`` as a matrix (or a frame, with
        ``content_type: pd``), ``predict`` on it, the predictions back as ``output-0``."""

        def __init__(self, name: str, path: Path) -> None:
            super().__init__(name)
            self.path = path
            self.estimator = None

        def load(self) -> bool:
            self.estimator = joblib.load(self.path)
            self.ready = True
            return self.ready

        def predict(self, payload, headers=None, response_headers=None):
            features = get_predict_input(payload)
            result = self.estimator.predict(features)
            return get_predict_response(payload, result, self.name)

    class BrokenModel(kserve.Model):
        def load(self) -> bool:
            self.ready = True
            return True

        def predict(self, payload, headers=None, response_headers=None):
            raise RuntimeError("the model fell over")

    class ShortModel(SklearnModel):
        def predict(self, payload, headers=None, response_headers=None):
            features = get_predict_input(payload)
            result = np.asarray(self.estimator.predict(features))[:-1]
            return get_predict_response(payload, result, self.name)

    class PickyModel(SklearnModel):
        def predict(self, payload, headers=None, response_headers=None):
            features = np.asarray(get_predict_input(payload), dtype=float)
            if (features[:, 0] > PICKY_LIMIT).any():
                raise ValueError(f"a feature is above {PICKY_LIMIT}")
            return super().predict(payload, headers, response_headers)

    class FlakyModel(SklearnModel):
        seen: set = set()

        def predict(self, payload, headers=None, response_headers=None):
            features = np.asarray(get_predict_input(payload), dtype=float)
            key = features.tobytes()
            if key not in FlakyModel.seen:
                FlakyModel.seen.add(key)
                raise kserve.errors.ModelNotReady(self.name, "warming up")
            return super().predict(payload, headers, response_headers)

    class RefusingModel(BrokenModel):
        def predict(self, payload, headers=None, response_headers=None):
            raise kserve.errors.InvalidInput("the features are not what this model takes")

    models: list = []
    for path in sorted(models_dir.glob("*.joblib")):
        models.append(SklearnModel(path.stem, path))
    # short and picky serve the iris model when there is one, else the first
    base = next((m.path for m in models if m.name == "iris"), models[0].path)
    models.append(BrokenModel("broken"))
    models.append(ShortModel("short", base))
    models.append(PickyModel("picky", base))
    models.append(FlakyModel("flaky", base))
    models.append(RefusingModel("refusing"))
    for model in models:
        model.load()
    kserve.ModelServer(http_port=http_port, enable_grpc=False, workers=1).start(models)


class V2Server:
    """The server process; a context manager that always stops it (and any children)."""

    def __init__(self, models_dir: Path, *, startup_s: float = 60.0) -> None:
        self.models_dir = Path(models_dir)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.startup_s = startup_s
        self.log = self.models_dir / "server.log"
        self._service = ServiceProcess("the V2 server", self.log)

    def start(self) -> "V2Server":
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._service.start([sys.executable, __file__, "--http-port", str(self.port), "--models", str(self.models_dir)],
                            ready=lambda: answers(f"{self.base_url}/v2/health/ready", timeout_s=1),
                            timeout_s=self.startup_s, env=env, poll_s=0.2)
        return self

    @property
    def process(self):
        return self._service.process

    def stop(self) -> None:
        self._service.stop()

    def __enter__(self) -> "V2Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--models", type=Path, required=True)
    options = parser.parse_args()
    # KServe parses sys.argv at import for its own flags; give it none of ours
    sys.argv = sys.argv[:1]
    _serve(options.http_port, options.models)


# -- what the tests serve ------------------------------------------------------------------------

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def train_models(directory: Path) -> dict:
    """Fit the served models on scikit-learn's bundled data and save them as KServe would load them.

    ``iris`` (which ``short`` and ``picky`` also serve) is a logistic regression
    on iris with integer classes; ``diabetes`` a linear regression on the diabetes data.
    """
    import joblib
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.linear_model import LinearRegression, LogisticRegression

    directory.mkdir(parents=True, exist_ok=True)
    iris = load_iris()
    # trained on every other row, so the other rows hold a few mistakes to score
    classifier = LogisticRegression(max_iter=1000).fit(iris.data[::2], iris.target[::2])
    diabetes = load_diabetes()
    regressor = LinearRegression().fit(diabetes.data, diabetes.target)
    joblib.dump(classifier, directory / "iris.joblib")
    joblib.dump(regressor, directory / "diabetes.joblib")
    return {"iris": classifier, "diabetes": regressor}


# module-scoped fixtures: a test module imports them (``from .v2_server import models, server``)
# and gets its own trained models and ModelServer process
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    directory = tmp_path_factory.mktemp("models")
    return directory, train_models(directory)


@pytest.fixture(scope="module")
def server(models):
    with V2Server(models[0]) as running:
        yield running


def iris_rows() -> list[dict]:
    from sklearn.datasets import load_iris

    iris = load_iris()
    return [{"id": f"iris-{i}", **dict(zip(IRIS_FEATURES, map(float, x))), "species": int(y)}
            for i, (x, y) in enumerate(zip(iris.data, iris.target))]


def diabetes_rows() -> list[dict]:
    from sklearn.datasets import load_diabetes

    diabetes = load_diabetes()
    return [{"id": f"d-{i}", **{name: float(v) for name, v in zip(diabetes.feature_names, x)}, "progression": float(y)}
            for i, (x, y) in enumerate(zip(diabetes.data, diabetes.target))]


def write_v2_gate(directory: Path, base_url: str, rows: list[dict], *, model: str = "iris",
                  endpoint: str = "", suites: str = "[]", thresholds: str = "{}", extra: str = "",
                  data_name: str = "data.jsonl") -> Path:
    """A gate config over ``rows`` (written and pinned) calling ``model`` at ``base_url``."""
    import hashlib
    import json

    directory.mkdir(parents=True, exist_ok=True)
    data = directory / data_name
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    config = directory / "gate.yaml"
    config.write_text(f"""endpoint:
  kind: v2
  base_url: {base_url}
  model: {model}
  timeout_s: 10
  max_retries: 1
  backoff_s: 0.01
  max_backoff_s: 0.02
{endpoint}dataset:
  path: {data_name}
  sha256: "{sha}"
suites: {suites}
thresholds: {thresholds}
{extra}""", encoding="utf-8")
    return config


def write_pinned(directory: Path, name: str, rows: list[dict]) -> str:
    """Write ``rows`` as JSONL; return the file's sha256."""
    import hashlib
    import json

    path = directory / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return hashlib.sha256(path.read_bytes()).hexdigest()
