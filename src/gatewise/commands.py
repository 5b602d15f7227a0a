"""What each CLI command does, as functions of parsed arguments returning an exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import load_config
from .readable import counted
from .terminal import Console
from .verdict_lines import print_verdict


def _console(args: argparse.Namespace) -> Console:
    return Console(quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False))


def gate(args: argparse.Namespace, early_worker=None) -> int:
    """``early_worker``: the Evidently worker ``cli`` started before this (see ``early_worker``)."""
    from .pipeline import run_gate

    # an empty --tracking-uri (an unset Actions input) leaves tracking as the config has it
    overrides = {"endpoint.base_url": args.endpoint_url, "endpoint.model": args.model,
                 "tracking.uri": args.tracking_uri or None, "report.html": None if args.html else False}
    config = load_config(args.config, overrides=overrides)
    if args.shard is not None:
        return _gate_shard(args, config)
    # --cache replays the model's responses (off by default); the judge's are replayed unless --no-cache
    result = run_gate(config, out_dir=args.out, cache_dir=args.cache_dir, use_cache=args.cache is True,
                      judge_cache=args.cache is not False, console=_console(args), resume=args.resume,
                      early_worker=early_worker)
    print_verdict(result, Path(args.out))
    return result.exit_code


def _gate_shard(args: argparse.Namespace, config) -> int:
    from .shard import parse_shard, run_shard

    ran = run_shard(config, parse_shard(args.shard), args.out, cache_dir=args.cache_dir,
                    use_cache=args.cache is True, judge_cache=args.cache is not False, console=_console(args),
                    resume=args.resume)
    errors = f", {ran.errors} errored" if ran.errors else ""
    print(f"shard {ran.spec}: {ran.rows} of {counted(ran.dataset_rows, 'row')}, {counted(ran.samples, 'answer')}"
          f"{errors} in {ran.out}; "
          "no verdict yet: `gatewise merge` decides over every shard")
    return 0


def merge(args: argparse.Namespace, early_worker=None) -> int:
    """``early_worker``: the Evidently worker ``cli`` started before this (see ``early_worker``)."""
    from .shard import merge_shards

    result = merge_shards(args.dirs, args.out, config_path=args.config, console=_console(args),
                          tracking_uri=args.tracking_uri or None, html=None if args.html else False,
                          early_worker=early_worker)
    print_verdict(result, Path(args.out))
    return result.exit_code


def validate(args: argparse.Namespace) -> int:
    from .endpoint import public_url
    from .pipeline import prepare

    plan = prepare(load_config(args.config))
    config = plan.config
    checks = sum(_check_count(suite) for suite in config.suites)
    parts = [f"{counted(len(plan.dataset.rows), 'row')} (sha256 {plan.dataset.sha256[:12]}…), "
             f"{counted(len(config.suites), 'suite')}, {counted(checks, 'check')}, "
             f"{counted(len(config.parsed_thresholds), 'threshold')}",
             f"endpoint {public_url(config.endpoint.base_url)} model {config.endpoint.model}"]
    if config.judge:
        parts.append(f"judge {public_url(config.judge.base_url)} model {config.judge.model}")
    repeats = f"auto (at most {config.repeats_auto.max} asks)" if config.repeats_auto else config.repeats
    parts.append(f"repeats {repeats}; confidence {config.confidence.mode} at {config.confidence.level:g}")
    if (baseline := _baseline_source(plan)) is not None:
        parts.append(baseline)
    print(f"{args.config}: OK — " + "; ".join(parts))
    return 0


def _check_count(suite) -> int:
    """The per-row checks a suite scores: each Evidently check, each tool-call check, else the suite itself."""
    if suite.tool_calls is not None:
        return len(suite.tool_calls.check_labels())
    return len(suite.checks) or 1


def _baseline_source(plan) -> str | None:
    """Where the baseline comes from and its rule, in the words of the config; None without one."""
    from .endpoint import public_url

    settings = plan.config.baseline
    if settings is None:
        return None
    if settings.endpoint is not None:
        source = f"endpoint {public_url(settings.endpoint.base_url)} model {settings.endpoint.model}"
    elif settings.alias is not None:
        model = plan.config.model.name if plan.config.model else "?"
        source = f"alias {settings.alias} of {model} (from MLflow at gate time)"
    elif settings.mlflow is not None:
        history = settings.mlflow
        source = (f"the latest {'' if history.verdict == 'any' else history.verdict + ' '}gate run"
                  f"{' on ' + history.branch if history.branch else ''} in MLflow (at gate time)")
    else:
        run = plan.baseline_run
        source = f"results {settings.results}"
        if run is not None:
            source += f", {counted(len({s.row_id for s in run.scores}), 'row')}"
            if run.dataset_sha256 is not None and run.dataset_sha256 != plan.dataset.sha256:
                source += " of another dataset: aggregates only"
    return (f"baseline {source}, rule {settings.rule} (max regression {settings.max_regression:g}, "
            f"confidence {settings.confidence:g})")


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
                    console=_console(args), stdout=sys.stdout, promote=args.promote,
                    canary_regression=args.canary_regression)


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
    from .promotion import complete, gate_and_promote, promote as promote_result

    config = load_config(args.config, overrides=_promote_overrides(args))
    if args.complete:
        if args.result:
            from .errors import InputError

            raise InputError("--complete takes no --result: it completes the version the promote alias points at")
        return _print_champion_move(complete(config, github_client_factory=github_client, dry_run=args.dry_run),
                                    rollback=False)
    if args.result:
        done = promote_result(config, args.result, github_client_factory=github_client, dry_run=args.dry_run)
    else:
        gated = gate_and_promote(config, args.out, github_client_factory=github_client, dry_run=args.dry_run,
                                 console=_console(args))
        print_verdict(gated.gate, Path(args.out))
        if gated.promotion is None:
            print("the gate did not pass: nothing promoted")
            return gated.exit_code
        done = gated.promotion
    return _print_promotion(done)


def _promote_overrides(args: argparse.Namespace) -> dict[str, str | None]:
    # empty counts as unset: GitHub Actions passes an unset input as ""
    return {"promote.mlflow.tracking_uri": args.tracking_uri or None,
            "endpoint.base_url": getattr(args, "endpoint_url", None) or None}


def _print_promotion(done) -> int:
    _promotion_outputs(run_id=done.run_id, version=done.version, pr_url=done.pr_url)
    where = f"{done.manifests_repo}:{', '.join(done.manifest_paths) or done.manifest_path}"
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


def rollback(args: argparse.Namespace) -> int:
    from .forge import github_client
    from .promotion import rollback as rollback_champion

    config = load_config(args.config, overrides=_promote_overrides(args))
    moved = rollback_champion(config, github_client_factory=github_client, model=args.model, to=args.to,
                              dry_run=args.dry_run)
    return _print_champion_move(moved, rollback=True)


def _promotion_outputs(*, run_id: str | None, version: str | None, pr_url: str | None) -> None:
    """Step outputs when running in GitHub Actions (nothing is written elsewhere)."""
    from .actions import append_step_summary, set_outputs

    set_outputs({"mlflow-run-id": run_id, "model-version": version, "manifests-pr-url": pr_url})
    lines = ["### gatewise promote", ""]
    if version:
        lines.append(f"- MLflow model version {version}" + (f", run `{run_id}`" if run_id else ""))
    lines.append(f"- manifests PR: {pr_url}" if pr_url else "- manifests: nothing to change")
    append_step_summary("\n".join(lines))


def _print_champion_move(moved, *, rollback: bool) -> int:
    if not moved.dry_run:
        _promotion_outputs(run_id=None, version=moved.version, pr_url=moved.pr_url)
    what = "rollback" if rollback else "completion"
    where = f"{moved.manifests_repo}:{moved.manifest_path}"
    if moved.dry_run:
        print(moved.diff or f"{where} already pins version {moved.version}; nothing to change",
              end="" if moved.diff else "\n")
        print(f"dry run: champion would move from {moved.previous or 'nowhere'} to {moved.version}; nothing changed")
        return 0
    if moved.already_done:
        print(f"{what} already done: champion is version {moved.version} of {moved.model_name} and {where} pins "
              f"{moved.source}; nothing changed")
        return 0
    if moved.alias_moved:
        print(f"MLflow: champion of {moved.model_name} moved from {moved.previous or 'nowhere'} to version "
              f"{moved.version}")
    else:
        print(f"MLflow: champion of {moved.model_name} already is version {moved.version}")
    if moved.pr_url:
        print(f"manifests PR {'opened' if moved.pr_created else 'up to date'}: {moved.pr_url}")
    else:
        print(f"{where} already pins {moved.source}: no pull request needed")
    return 0


def verify(args: argparse.Namespace) -> int:
    from .actions import append_step_summary, set_outputs
    from .forge import github_client
    from .verify import summary_lines, verify as verify_canary

    config = load_config(args.config, overrides=_promote_overrides(args))
    decision = verify_canary(config, out_dir=args.out, github_client_factory=github_client,
                             console=_console(args))
    lines = summary_lines(decision)
    print("\n".join(lines))
    set_outputs({"verify-outcome": decision.outcome, "manifests-pr-url": decision.pr_url})
    append_step_summary("### gatewise verify\n\n```\n" + "\n".join(lines) + "\n```")
    return decision.exit_code
