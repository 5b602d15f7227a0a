"""Load a gate config file into a validated ``GateConfig``; every error names file, line and key."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError
from ._models import GateConfig
from ._thresholds import DIRECTIONAL_OPERATORS, MODES, ROW_STATISTICS, Threshold, parse_expression
from ._yaml import LoadedYaml, key_path, parse_yaml

# statistics that make sense for each built-in metric
_BUILTIN_STATS = {
    "latency_ms": {"mean", "min", "max", "p50", "p90", "p95", "p99"},
    "errors": {"count", "rate"},
}


def load_config(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None) -> GateConfig:
    """Read, interpolate, validate. ``overrides`` maps dotted keys (``endpoint.base_url``) to values."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError("config file not found", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", file=file) from None
    overridden = {dotted: value for dotted, value in (overrides or {}).items() if value is not None}
    # an overridden value is never used, so an unset ${VAR} in it must not stop the run
    loaded = parse_yaml(text, file, env, raw=frozenset(tuple(d.split(".")) for d in overridden))
    data = loaded.data
    for dotted, value in overridden.items():
        _set_dotted(data, dotted, value)
    _key_from_environment(data, os.environ if env is None else env)
    config = _validate(loaded, data, overridden)
    thresholds = _parse_thresholds(config, loaded)
    _auto_has_something_to_decide(config, thresholds, loaded)
    return config.model_copy(update={
        "source": file,
        "base_dir": str(Path(path).resolve().parent),
        "config_sha256": hashlib.sha256(raw).hexdigest(),
        "parsed_thresholds": thresholds,
        "key_lines": {key_path(path): line for path, line in loaded.lines.items() if path},
    })


def _auto_has_something_to_decide(config: GateConfig, thresholds: list[Threshold], loaded: LoadedYaml) -> None:
    """``repeats: auto`` without a baseline re-asks only for point thresholds on a suite's mean or
    pass_rate (gate/_threshold_rule.py); with none of those it could never ask again: say so."""
    if config.repeats_auto is None or config.baseline is not None:
        return
    dataset_level = {s.name for s in config.suites if s.kind in ("classification", "regression", "drift")}
    if any(t.mode == "point" and t.op in DIRECTIONAL_OPERATORS and t.statistic in ("mean", "pass_rate")
           and t.metric not in _BUILTIN_STATS and t.metric.split(".", 1)[0] not in dataset_level
           for t in thresholds):
        return
    raise ConfigError("repeats: auto has nothing it could re-ask for: no baseline: section, and no point-mode "
                      "threshold with >=, >, <= or < on a suite's mean or pass_rate; use a fixed number of repeats",
                      file=loaded.file, line=loaded.line_of(("repeats",)), key="repeats")


# the keys the action (and any CI) exports; used when the config names no api_key for that section
ENDPOINT_KEY_VARIABLE = "GATEWISE_ENDPOINT_KEY"
JUDGE_KEY_VARIABLE = "GATEWISE_JUDGE_KEY"


def _key_from_environment(data: dict, env: Mapping[str, str]) -> None:
    for section, variable in (("endpoint", ENDPOINT_KEY_VARIABLE), ("judge", JUDGE_KEY_VARIABLE)):
        block = data.get(section)
        if isinstance(block, dict) and "api_key" not in block and env.get(variable):
            block["api_key"] = env[variable]


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return
    node[last] = value


def _validate(loaded: LoadedYaml, data: dict, overridden: Mapping[str, Any]) -> GateConfig:
    from pydantic import ValidationError

    try:
        return GateConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(loaded, data, err) for err in exc.errors(include_input=False, include_url=False)]
        # a bad value given on the command line is not the file's fault: name no line of it
        problems = [(None, key, f"{msg} (the value {overridden[key]!r} came from the command line)")
                    if key in overridden else (line, key, msg) for line, key, msg in problems]
        first = problems[0]
        message = first[2] if len(problems) == 1 else first[2] + "".join(
            f"\n  {loaded.file}:{line} [{key}]: {msg}" for line, key, msg in problems[1:]
        )
        raise ConfigError(message, file=loaded.file, line=first[0], key=first[1]) from None


def _describe(loaded: LoadedYaml, data: Any, err: dict) -> tuple[int | None, str, str]:
    # walk pydantic's loc against the data, dropping union tags that are not real keys; a model
    # validator's error about a key below its model carries the rest of the path as ctx["at"]
    path: list[Any] = []
    node = data
    for part in (*err["loc"], *(err.get("ctx") or {}).get("at", ())):
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(part)
        elif err["type"] in ("extra_forbidden", "missing") and isinstance(part, str) and part == err["loc"][-1]:
            path.append(part)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and the README's config reference)"
        if _is_v2_key_on_another_kind(path, data):
            message = "unknown key for an OpenAI-compatible endpoint; it is a v2 key: set kind: v2"
    elif err["type"] == "missing":
        message = "required key is missing"
    elif err["type"] == "union_tag_invalid" and path[:1] == ["endpoint"]:
        path.append("kind")
        message = f"unknown endpoint kind; one of: {err['ctx']['expected_tags']}"
    return loaded.line_of(tuple(path)), key_path(tuple(path)), message


def _is_v2_key_on_another_kind(path: list[Any], data: Any) -> bool:
    from ._predictive import V2EndpointConfig

    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    return (len(path) == 2 and path[0] == "endpoint" and isinstance(endpoint, dict) and "kind" not in endpoint
            and path[1] in V2EndpointConfig.model_fields)


def _parse_thresholds(config: GateConfig, loaded: LoadedYaml) -> tuple[Threshold, ...]:
    metrics = set(config.metric_names())
    parsed: list[Threshold] = []
    for metric, stats in config.thresholds.items():
        path = ("thresholds", metric)
        predictive = config.statistics_of(metric)
        if metric not in metrics and predictive is None:
            raise ConfigError(
                f"no suite or check called {metric!r}; known metrics: {', '.join(sorted(metrics))}",
                file=loaded.file, line=loaded.line_of(path), key=key_path(path),
            )
        allowed = _BUILTIN_STATS.get(metric) or predictive or set(ROW_STATISTICS) - {"count", "rate"}
        for statistic, spec in stats.items():
            spath = (*path, statistic)
            where = {"file": loaded.file, "line": loaded.line_of(spath), "key": key_path(spath)}
            if statistic not in allowed:
                raise ConfigError(f"unknown statistic {statistic!r}; use one of: {', '.join(sorted(allowed))}", **where)
            expression, mode, mode_where = _threshold_spec(loaded, spath, spec, where)
            try:
                op, target = parse_expression(expression)
            except ValueError as exc:
                epath = spath if isinstance(spec, str) else (*spath, "expect")
                raise ConfigError(str(exc), file=loaded.file, line=loaded.line_of(epath), key=key_path(epath)) from None
            if mode is None:
                # the global mode reaches only statistics that have an interval
                mode = config.confidence.mode if statistic in _WITH_INTERVALS else "point"
            elif mode == "confident" and statistic not in _WITH_INTERVALS:
                raise ConfigError(f"{metric}.{statistic} has no confidence interval, so it cannot be judged in "
                                  f"confident mode; those that can: {', '.join(sorted(_WITH_INTERVALS))}", **mode_where)
            if mode == "confident" and op not in DIRECTIONAL_OPERATORS:
                raise ConfigError(f"confident mode needs a threshold with {', '.join(DIRECTIONAL_OPERATORS)}, "
                                  f"not {op}", **(mode_where if mode_where["line"] else where))
            parsed.append(Threshold(metric, statistic, op, target, expression.strip(), where["line"], mode))
    return tuple(parsed)


# statistics with a confidence interval (see gatewise.gate._confidence); kept here so the config
# loader does not import the gate package
_WITH_INTERVALS = frozenset({"mean", "pass_rate", "rate", "p50", "p90", "p95", "p99"})
_SPEC_KEYS = ("expect", "mode")
_SPEC_HINT = 'a threshold is an operator and a number, quoted: e.g. ">= 0.9", or {expect: ">= 0.9", mode: confident}'


def _threshold_spec(loaded: LoadedYaml, spath: tuple, spec: Any,
                    where: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """``">= 0.9"`` or ``{expect: ">= 0.9", mode: confident}`` -> (expression, mode or None, where of mode)."""
    if isinstance(spec, str):
        return spec, None, {**where, "line": None}
    if not isinstance(spec, dict):
        raise ConfigError(_SPEC_HINT, **where)
    for key in spec:
        if key not in _SPEC_KEYS:
            kpath = (*spath, key)
            raise ConfigError(f"unknown key {key!r}; a threshold takes {', '.join(_SPEC_KEYS)}",
                              file=loaded.file, line=loaded.line_of(kpath), key=key_path(kpath))
    if not isinstance(spec.get("expect"), str):
        raise ConfigError("needs expect: an operator and a number, quoted, e.g. \">= 0.9\"", **where)
    mpath = (*spath, "mode")
    mode_where = {"file": loaded.file, "line": loaded.line_of(mpath), "key": key_path(mpath)}
    mode = spec.get("mode")
    if mode is not None and mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; one of: {', '.join(MODES)}", **mode_where)
    return spec["expect"], mode, mode_where
