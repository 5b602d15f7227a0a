"""``python -m gatewise.standin`` (and ``gatewise standin``): the stand-in as its own process."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Sequence

from ..errors import GatewiseError
from ._answers import load_answer_table
from ._endpoint import Endpoint
from ._faults import Faults
from ._server import root_url


def build_parser(prog: str = "python -m gatewise.standin") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=(
        "Serve an OpenAI-compatible stand-in for a vLLM/KServe model server, answering from a "
        "question/answer table, with injectable faults."))
    where = parser.add_argument_group("serving")
    where.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    where.add_argument("--port", type=int, default=8000, help="port to bind; 0 picks a free one (default 8000)")
    where.add_argument("--model-id", default="standin-model", help="model name reported in responses")
    where.add_argument("--served-model-name", action="append", dest="served_model_names", metavar="NAME",
                       help="model name accepted in requests; repeatable (default: the model id)")
    where.add_argument("--api-key", help="require 'Authorization: Bearer KEY' on every API request")

    model = parser.add_argument_group("answers")
    model.add_argument("--answers", metavar="FILE.jsonl", help="JSONL table of questions and reference answers")
    model.add_argument("--question-column", default="question",
                       help="column holding the question (a list: a conversation's user turns, each answered by "
                            "the answer list's item at its place)")
    model.add_argument("--answer-column", default="answer",
                       help="column holding the reference answer (a list of {name, arguments}: tool calls, "
                            "sent as tool_calls when the request offers tools)")
    model.add_argument("--quality", type=float, default=1.0,
                       help="fraction of questions answered with the reference answer (default 1.0)")
    model.add_argument("--seed", type=int, default=0,
                       help="seed choosing which questions are answered right (with --noise: of the per-call draws)")
    model.add_argument("--noise", type=float, default=0.0,
                       help="0 answers each question the same way every call; > 0 draws each answer per call "
                            "around per-question difficulties (0.1 few flips, 2 a weighted coin; default 0)")
    model.add_argument("--answer-format", choices=("text", "json"), default="text",
                       help="'json' wraps each answer as {\"answer\": ...}")

    faults = parser.add_argument_group("faults (rates are fractions of requests, drawn per request)")
    defaults = Faults()
    for flag, help_ in (("--latency-ms", "delay before every response"),
                        ("--jitter-ms", "extra random delay, up to this much"),
                        ("--error-rate", "answered 500/503"),
                        ("--rate-limit-rate", "answered 429 with Retry-After"),
                        ("--retry-after-s", "seconds a 429 asks the client to wait"),
                        ("--reset-rate", "connection reset with no response"),
                        ("--malformed-rate", "answered 200 with a body that is not JSON"),
                        ("--hang-rate", "never answered"),
                        ("--slow-stream-ms", "delay between streamed chunks"),
                        ("--judge-garbage-rate", "deepeval judge prompts answered with text holding no JSON")):
        field = flag[2:].replace("-", "_")
        faults.add_argument(flag, type=float, default=getattr(defaults, field),
                            help=f"{help_} (default {getattr(defaults, field):g})")
    faults.add_argument("--fault-seed", type=int, default=0, help="seed of the fault dice")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; prints ``listening on URL`` once ready. Returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        try:
            endpoint = _endpoint(args)
        except ValueError as exc:
            parser.error(str(exc))
    except SystemExit as exit_:  # argparse exits; a mounted CLI wants a code back instead
        return exit_.code if isinstance(exit_.code, int) else 2
    except GatewiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        asyncio.run(_serve(endpoint, args.host, args.port))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def _endpoint(args: argparse.Namespace) -> Endpoint:
    answers = load_answer_table(args.answers, args.question_column, args.answer_column) if args.answers else {}
    faults = Faults(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, error_rate=args.error_rate,
                    rate_limit_rate=args.rate_limit_rate, retry_after_s=args.retry_after_s,
                    reset_rate=args.reset_rate, malformed_rate=args.malformed_rate, hang_rate=args.hang_rate,
                    slow_stream_ms=args.slow_stream_ms, judge_garbage_rate=args.judge_garbage_rate,
                    seed=args.fault_seed)
    return Endpoint(answers, quality=args.quality, seed=args.seed, answer_format=args.answer_format,
                    faults=faults, model_id=args.model_id, served_model_names=args.served_model_names,
                    api_key=args.api_key, noise=args.noise)


async def _serve(endpoint: Endpoint, host: str, port: int) -> None:
    bound = await endpoint.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"listening on {root_url(host, bound)}/v1", flush=True)
    try:
        await stop.wait()
    finally:
        await endpoint.close()
