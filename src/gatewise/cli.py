"""The ``gatewise`` command: parse, call the library, print, map errors to exit codes.

Exit codes: 0 passed, 1 gate failed, 2 bad input (nothing called or written), 3 infrastructure.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Sequence

from . import __version__
from .errors import GatewiseError

EXIT_PASSED, EXIT_FAILED, EXIT_INPUT, EXIT_INFRA = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatewise",
        description="Quality gates for model and prompt changes: evaluate a pinned dataset against a live "
                    "endpoint, decide against thresholds, write reports.",
        epilog="Exit codes: 0 passed, 1 gate failed, 2 bad input, 3 infrastructure error.",
    )
    parser.add_argument("--version", action="version", version=f"gatewise {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gate = commands.add_parser("gate", help="run the gate: call the endpoint for every row, score, decide")
    _config_arg(gate)
    gate.add_argument("--endpoint-url", help="override endpoint.base_url (e.g. http://127.0.0.1:8000/v1)")
    gate.add_argument("--model", help="override endpoint.model")
    gate.add_argument("--out", default="gate-out", help="directory for the reports (default: gate-out)")
    cache = gate.add_mutually_exclusive_group()
    # default None: neither flag given; the model's responses are then called afresh, the judge's replayed
    cache.add_argument("--cache", dest="cache", action="store_true", default=None,
                       help="reuse cached responses of the model under test (opt-in; the judge's are reused by default)")
    cache.add_argument("--no-cache", dest="cache", action="store_false",
                       help="call the endpoint and the judge afresh for every row")
    gate.add_argument("--cache-dir", default=".gatewise-cache", help="where cached responses are kept")
    gate.add_argument("--tracking-uri", metavar="URI",
                      help="log this run to the MLflow server at URI (sets tracking.uri, turning tracking on; "
                           "empty: the config's)")
    gate.add_argument("--shard", metavar="K/N",
                      help="run only shard K of N (1-based; rows picked by a stable hash of the row id) into --out, "
                           "a partial directory with no verdict: `gatewise merge` decides over all N")
    gate.add_argument("--resume", action="store_true",
                      help="continue the interrupted run in --out: keep its answers, ask only the rows with none "
                           "(same config, dataset and --shard, else exit 2)")
    _no_html_arg(gate)
    _output_args(gate)

    merge = commands.add_parser(
        "merge", help="check the shards of a sharded gate and decide from all their rows together",
        description="Merge the directories of `gatewise gate --shard K/N` (every K of one N, same config and "
                    "dataset pin, no row twice) and decide as one unsharded run would: gate-result.json, "
                    "results.jsonl in dataset order, summary.md, junit.xml and the Evidently report in --out. "
                    "Needs the config and dataset the shards ran (checked by sha256). Exit 0 passed, 1 failed, "
                    "2 shards missing, repeated or mismatched (the directory is named; nothing written), 3 "
                    "infrastructure (e.g. MLflow for baseline.alias).")
    merge.add_argument("dirs", nargs="+", metavar="DIR", help="the shard directories (each a --shard run's --out)")
    merge.add_argument("--out", default="gate-out", help="directory for the whole gate's reports (default: gate-out)")
    merge.add_argument("--config", "-c", default=None,
                       help="the gate config the shards ran (default: the path they recorded, from here)")
    merge.add_argument("--tracking-uri", metavar="URI",
                       help="log the merged run to the MLflow server at URI (empty: the config's tracking)")
    _no_html_arg(merge)
    _output_args(merge)

    validate = commands.add_parser("validate", help="check config, pin, dataset and template; call nothing")
    _config_arg(validate)

    pin = commands.add_parser("pin", help="write the dataset's sha256 into the config, keeping comments")
    pin.add_argument("dataset", nargs="?", help="the dataset file (default: the config's dataset.path)")
    _config_arg(pin)

    demo = commands.add_parser(
        "demo", help="the whole loop locally: gate on a stand-in model, then MLflow version and manifests PR",
        description="Run the example gate against a local stand-in model; when it passes, promote it into a "
                    "local MLflow (sqlite file in --out) and open the pull request in a manifests repository on a "
                    "local GitHub API. No network, no tokens.")
    demo.add_argument("--out", default="gatewise-demo", help="directory for the reports (default: gatewise-demo)")
    demo.add_argument("--quality", type=float, default=0.95,
                      help="share of questions the stand-in answers correctly (default 0.95; try 0.6 to see a failing gate)")
    demo.add_argument("--latency-ms", type=float, default=20.0, help="stand-in latency per call (default 20)")
    demo.add_argument("--promote", action=argparse.BooleanOptionalAction, default=True,
                      help="promote a passing gate into the local MLflow and manifests repository, then verify the "
                           "canary and complete it (default: on)")
    demo.add_argument("--canary-regression", action="store_true",
                      help="make the canary slower, erring and less accurate: verify rolls it back (exit 1)")
    _output_args(demo)

    publish = commands.add_parser(
        "publish", help="show a gate run on GitHub: job summary, annotations, outputs, PR comment, commit status",
        description="Publish the gate run in --out: job summary, ::error annotations on failed thresholds, step "
                    "outputs, and on a pull request a sticky comment and a commit status. Exit 0 when published, "
                    "2 when gate-result.json is missing or invalid, 3 when GitHub refused or was unreachable.")
    publish.add_argument("--out", default="gate-out", help="the gate's report directory (default: gate-out)")
    publish.add_argument("--config", "-c", default=None,
                         help="the gate config, for annotations and the comment's marker (default: the path in "
                              "gate-result.json; quality/gate.yaml when there is no result)")
    publish.add_argument("--comment", action=argparse.BooleanOptionalAction, default=True,
                         help="create or update the sticky PR comment (default: on)")
    publish.add_argument("--status", action=argparse.BooleanOptionalAction, default=True,
                         help="set the commit status on the PR head (default: on)")
    publish.add_argument("--token-env", default="GITHUB_TOKEN", metavar="NAME",
                         help="environment variable holding the GitHub token (default: GITHUB_TOKEN)")
    publish.add_argument("--gate-exit-code", "--failed-exit-code", dest="gate_exit_code", type=int, metavar="N",
                         help="exit code of the gate step; other than 0 or 1 it reports a gate that could not "
                              "run (red comment, error status), ignoring any gate-result.json in --out")
    publish.add_argument("--gate-error", metavar="TEXT",
                         help="what the gate said when it could not run (e.g. its last stderr line)")
    publish.add_argument("--status-context", metavar="NAME",
                         help="commit status context (default: gatewise/<model.name or config name>)")

    promote = commands.add_parser(
        "promote", help="register a passing gate result in MLflow and open a PR pinning it in the manifests repo",
        description="Promote a passing, current gate result: log it as an MLflow run, register model.source as "
                    "a model version with the configured alias, and open (or update) one pull request in the "
                    "manifests repo that pins it. Without --result the gate runs first (reports in --out). "
                    "--complete finishes a canary rollout instead. Exit 0 when done or already done, 1 when the "
                    "gate it ran failed, 2 for bad input (failed or stale result, config, manifest path, missing "
                    "token), 3 when the endpoint, MLflow or GitHub failed.")
    _config_arg(promote)
    promote.add_argument("--result", metavar="PATH",
                         help="the gate's gate-result.json (or its directory), e.g. gate-out/gate-result.json; "
                              "absent: run the gate first")
    promote.add_argument("--out", default="gate-out",
                         help="where the gate writes its reports when there is no --result (default: gate-out)")
    promote.add_argument("--endpoint-url", help="override endpoint.base_url for the gate run without --result")
    _tracking_arg(promote)
    promote.add_argument("--complete", action="store_true",
                         help="finish a canary: all traffic to the version the promote alias points at, in a "
                              "PR, and move the champion alias to it")
    promote.add_argument("--dry-run", action="store_true",
                         help="print the manifest diff; register nothing, write nothing")
    _output_args(promote)

    rollback = commands.add_parser(
        "rollback", help="move the champion alias back and open a PR pinning that version",
        description="Point the champion alias at an earlier version (default: the one it held before, from "
                    "the alias history) and open a PR in the manifests repo pinning that version's source. "
                    "Exit 0 when done or already done, 2 for an unknown version or no history, 3 when MLflow "
                    "or GitHub failed.")
    _config_arg(rollback)
    rollback.add_argument("--model", metavar="NAME", help="registered model name (default: the config's model.name)")
    rollback.add_argument("--to", metavar="VERSION",
                          help="the version to roll back to (default: the previous champion)")
    rollback.add_argument("--dry-run", action="store_true", help="print the manifest diff; change nothing")
    _tracking_arg(rollback)

    verify = commands.add_parser(
        "verify", help="judge the live canary against the champion, then complete or roll back",
        description="After the canary is synced: read the canary's and the champion's serving metrics (the "
                    "config's verify.metrics: Prometheus or their own /metrics), run the paired quality check, "
                    "and decide. Exit 0 complete (completion PR, champion moved), 1 roll back (rollback PR, "
                    "version marked), 4 wait (too little traffic yet), 2 bad input, 3 a metrics source, "
                    "endpoint, MLflow or GitHub unreachable, or a query that found no series.")
    _config_arg(verify)
    verify.add_argument("--out", default="verify-out", help="where verify-result.json goes (default: verify-out)")
    _tracking_arg(verify)
    _output_args(verify)

    commands.add_parser("standin", help="serve the OpenAI-compatible stand-in model (see: gatewise standin --help)",
                        add_help=False)
    return parser


def _no_html_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-html", dest="html", action="store_false", default=True,
                        help="do not draw Evidently's report.html (sets report.html: false): with only checks "
                             "gatewise computes itself, Evidently is then never imported (~5 s CPU, ~300 MB less)")


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", default="quality/gate.yaml", help="gate config (default: quality/gate.yaml)")


def _tracking_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="override promote.mlflow.tracking_uri (the MLflow server; empty: the config's)")


def _output_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the verdict")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print every row that errored")


def main(argv: Sequence[str] | None = None) -> int:
    """The command; with ``argv`` None it is the process's own (``gatewise …``, ``python -m gatewise``)."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv), own_process=argv is None)
    finally:
        if argv is None:
            # the process ends next: leave its objects to the OS instead of a last collection over
            # every class deepeval and openai defined (~0.3 s of a judge gate's exit, measured)
            gc.freeze()


def _main(argv: list[str], own_process: bool = False) -> int:
    if argv[:1] == ["standin"]:
        from .standin import main as standin_main

        return standin_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args, own_process)
    except GatewiseError as exc:
        print(f"gatewise: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gatewise: interrupted; nothing was decided", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, own_process: bool = False) -> int:
    early = None
    if ((args.command == "gate" and args.shard is None) or args.command == "merge") and args.html:
        # report.html will likely be drawn: Evidently's worker starts now, before the config and the
        # pipeline are even imported, so its import (which the page waits for) is done sooner
        from .early_worker import page_likely, start_early

        # merge without --config reads the config's path from the shards: assume the page is on
        early = start_early() if args.config is None or page_likely(args.config) else None
    try:
        return _run_command(args, early, own_process)
    finally:
        if early is not None:
            early.abandon()  # bad input, or an error before the gate took it: nothing to wait for


def _run_command(args: argparse.Namespace, early, own_process: bool) -> int:
    if own_process:
        # the commands' modules (the config's pydantic models among them) live as long as the
        # process: imported without the cycle collector's passes over them, then set aside for good
        # (~15 ms of a gate's start-up). Not in a caller's process: its own objects would be kept
        # out of the collector's sight too.
        from .bulk import without_collection_pauses

        with without_collection_pauses():
            from . import commands

            gc.freeze()  # before the collector is back on: its first pass would walk them all
    else:
        from . import commands
    from .mlflow_http import http_limits

    handler = {"gate": commands.gate, "validate": commands.validate, "pin": commands.pin, "demo": commands.demo,
               "publish": commands.publish, "promote": commands.promote, "rollback": commands.rollback,
               "verify": commands.verify, "merge": commands.merge}
    # every command that reaches MLflow (promote, rollback, baseline.alias, tracking) fails in
    # seconds, not minutes, when the server is down
    with http_limits():
        if early is not None:  # handed to the command that adopts it
            return commands.gate(args, early) if args.command == "gate" else commands.merge(args, early)
        return handler[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
