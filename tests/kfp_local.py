"""Runs one of integrations/kubeflow's pipelines with kfp.local's SubprocessRunner and prints its
outcome as one JSON line. tests/test_kubeflow.py runs it with the kfp venv's Python (kfp's pins do
not fit the test venv); each task runs in a subprocess of that Python, as on a cluster each runs in
a pod of the gatewise image.

    python tests/kfp_local.py --root DIR --pipeline sharded_gate --config-uri PATH --dataset-uri PATH \
        --endpoint-url URL --shards 4 --gatewise /path/to/gatewise
"""

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True, help="pipeline root and workspace go under it")
    parser.add_argument("--pipeline", choices=["sharded_gate", "gate_then_register"], required=True)
    parser.add_argument("--config-uri", required=True)
    parser.add_argument("--dataset-uri", required=True)
    parser.add_argument("--endpoint-url", default="")
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("--config-file", default="gate.yaml")
    parser.add_argument("--gatewise", required=True, help="the gatewise executable the components run")
    args = parser.parse_args()

    from kfp import local

    sys.path.insert(0, str(REPO / "integrations" / "kubeflow"))
    import gatewise_kfp

    # use_venv=False: the tasks run with this interpreter, which has kfp; gatewise is the executable given
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(args.root / "outputs"),
               workspace_root=str(args.root / "workspace"), raise_on_error=True)
    pipeline = getattr(gatewise_kfp, args.pipeline)
    try:
        task = pipeline(config_uri=args.config_uri, dataset_uri=args.dataset_uri, endpoint_url=args.endpoint_url,
                        shards=args.shards, config_file=args.config_file, gatewise=args.gatewise)
    except RuntimeError as error:  # kfp.local's way to say a task failed
        outcome = {"state": "FAILED", "error": str(error)}
    else:
        outcome = {"state": "SUCCEEDED", "output": task.output if args.pipeline == "sharded_gate" else None}
    print("KFP-LOCAL-OUTCOME " + json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
