"""What each CLI command does, as functions of parsed arguments returning an exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import load_config
from .result import GateResult
from .terminal import Console


def _console(args: argparse.Namespace) -> Console:
    return Console(quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False))


def gate(args: argparse.Namespace) -> int:
    from .runner import run_gate

    overrides = {"endpoint.base_url": args.endpoint_url, "endpoint.model": args.model}
    config = load_config(args.config, overrides=overrides)
    result = run_gate(config, out_dir=args.out, cache_dir=args.cache_dir, use_cache=args.cache,
                      console=_console(args))
    print_verdict(result, Path(args.out))
    return result.exit_code


def print_verdict(result: GateResult, out: Path | None) -> None:
    verdict = result.verdict
    print(verdict.headline)
    for item in verdict.results:
        mark = "ok  " if item.passed else "FAIL"
        value = "n/a" if item.value is None else f"{item.value:.4g}"
        print(f"  {mark} {item.threshold.key:<32} {value:>10}  (target {item.threshold.expression})")
    if out is not None:
        print(f"Reports: {out}/ (summary.md, gate-result.json, results.jsonl, junit.xml, report.html)")


def validate(args: argparse.Namespace) -> int:
    from .endpoint import public_url
    from .runner import prepare

    plan = prepare(load_config(args.config))
    config = plan.config
    checks = sum(len(s.checks) or 1 for s in config.suites)
    print(f"{args.config}: OK — {len(plan.dataset.rows)} rows (sha256 {plan.dataset.sha256[:12]}…), "
          f"{len(config.suites)} suites, {checks} checks, {len(config.parsed_thresholds)} thresholds; "
          f"endpoint {public_url(config.endpoint.base_url)} model {config.endpoint.model}")
    return 0


def pin(args: argparse.Namespace) -> int:
    from .config import write_pin
    from .dataset import file_sha256
    from .errors import DatasetError

    config = load_config(args.config)
    configured = config.resolve(config.dataset.path).resolve()
    given = Path(args.dataset).resolve() if args.dataset else configured
    if given != configured:
        raise DatasetError(
            f"{args.dataset} is not the config's dataset ({config.dataset.path}, i.e. {configured}); "
            "edit dataset.path first, then pin"
        )
    try:
        sha = file_sha256(given)
    except FileNotFoundError:
        raise DatasetError(f"dataset file not found: {given}") from None
    changed = write_pin(args.config, sha)
    print(f"{'pinned' if changed else 'already pinned'}: {config.dataset.path} sha256 {sha} in {args.config}")
    return 0


def demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(out_dir=Path(args.out), quality=args.quality, latency_ms=args.latency_ms,
                    console=_console(args), stdout=sys.stdout)


def publish(args: argparse.Namespace) -> int:
    from .actions import read_context
    from .publish import PublishOptions, publish as publish_run

    options = PublishOptions(out_dir=Path(args.out), config=args.config, comment=args.comment, status=args.status,
                             token_env=args.token_env, gate_exit_code=args.gate_exit_code,
                             gate_error=args.gate_error, status_context=args.status_context)
    published = publish_run(options, read_context())
    feedback = published.feedback
    print(feedback.headline)
    if published.comment is not None:
        done = "created" if published.comment.created else "updated"
        print(f"PR comment {done}: {published.comment.url or published.comment.id}")
    if published.status_state is not None:
        print(f"commit status: {published.status_state}")
    return 0


def promote(args: argparse.Namespace) -> int:
    from .forge import github_client
    from .promotion import promote as promote_result

    config = load_config(args.config)
    done = promote_result(config, args.result, github_client_factory=github_client, dry_run=args.dry_run)
    where = f"{done.manifests_repo}:{done.manifest_path}"
    if done.dry_run:
        print(done.diff or f"{where} already pins {done.source}; nothing to change", end="" if done.diff else "\n")
        print(f"dry run: nothing registered in MLflow, nothing written to {done.manifests_repo}")
        return 0
    registered = "registered" if done.created else "already registered"
    print(f"MLflow: {done.model_name} version {done.version} {registered} (alias {done.alias}), run {done.run_id}")
    if done.already_pinned:
        print(f"{where} already pins {done.source}: no pull request needed")
        return 0
    if done.newer_version is not None:
        print(f"alias {done.alias} has moved on to version {done.newer_version}: no pull request for the "
              f"older version {done.version}")
        return 0
    print(f"manifests PR {'opened' if done.pr_created else 'up to date'}: {done.pr_url}")
    for number in done.superseded:
        print(f"closed #{number} as superseded by #{done.pr_number}")
    return 0
