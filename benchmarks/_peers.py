"""The floors and peers the gate benchmarks run beside gatewise in the same sitting: a bare
aiohttp client (the transport's own floor), the openai SDK alone on its aiohttp transport (what
gatewise's rows would cost through the SDK), and promptfoo from npm (the nearest peer tool)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

from _common import measured

# N chat calls at C in flight from a bare aiohttp session: what no client built on it can beat
RAW_AIOHTTP = textwrap.dedent("""
    import asyncio, json, sys
    import aiohttp
    rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
    url, concurrency = sys.argv[1] + "/chat/completions", int(sys.argv[3])
    async def main():
        slots = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
            async def call(row):
                body = {"model": "standin-model", "messages": [
                    {"role": "system", "content": "Answer briefly."},
                    {"role": "user", "content": "Question: " + row["question"]}]}
                async with slots, session.post(url, json=body) as response:
                    return (await response.json())["choices"][0]["message"]["content"] == row["answer"]
            right = sum(await asyncio.gather(*(call(r) for r in rows)))
        assert right == len(rows), right
    asyncio.run(main())
""")


# the same calls through the openai SDK's typed client on its aiohttp transport
SDK_AIOHTTP = textwrap.dedent("""
    import asyncio, json, sys
    import openai
    rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
    concurrency = int(sys.argv[3])
    async def main():
        slots = asyncio.Semaphore(concurrency)
        async with openai.AsyncOpenAI(base_url=sys.argv[1], api_key="x", max_retries=0,
                                      http_client=openai.DefaultAioHttpClient()) as client:
            async def call(row):
                async with slots:
                    reply = await client.chat.completions.create(model="standin-model", messages=[
                        {"role": "system", "content": "Answer briefly."},
                        {"role": "user", "content": "Question: " + row["question"]}])
                    return reply.choices[0].message.content == row["answer"]
            right = sum(await asyncio.gather(*(call(r) for r in rows)))
        assert right == len(rows), right
    asyncio.run(main())
""")


def sdk_aiohttp(url: str, rows: Path, concurrency: int, cwd: Path) -> tuple[float, int, int]:
    return measured([sys.executable, "-c", SDK_AIOHTTP, url, str(rows), str(concurrency)], cwd)


def raw_aiohttp(url: str, rows: Path, concurrency: int, cwd: Path) -> tuple[float, int, int]:
    return measured([sys.executable, "-c", RAW_AIOHTTP, url, str(rows), str(concurrency)], cwd)


def promptfoo_bin() -> str | None:
    """``promptfoo`` from ``$PROMPTFOO_BIN``, ``benchmarks/node_modules`` or the PATH (never installed here:
    ``npm install --prefix /tmp/gw-promptfoo promptfoo`` and point ``PROMPTFOO_BIN`` at it)."""
    for candidate in (os.environ.get("PROMPTFOO_BIN"),
                      str(Path(__file__).parent / "node_modules" / ".bin" / "promptfoo"),
                      "/tmp/gw-promptfoo/node_modules/.bin/promptfoo", shutil.which("promptfoo")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def promptfoo(binary: str, url: str, rows: Path, concurrency: int, work: Path) -> tuple[float, int, int]:
    """``promptfoo eval -j C`` of the same rows against the same endpoint, with the same exact-match check."""
    work.mkdir(exist_ok=True)
    tests = work / "tests.jsonl"
    with open(rows, encoding="utf-8") as source, open(tests, "w", encoding="utf-8") as out:
        for line in source:
            row = json.loads(line)
            out.write(json.dumps({"vars": row, "assert": [{"type": "equals", "value": row["answer"]}]}) + "\n")
    config = work / "promptfooconfig.yaml"
    config.write_text(f"""
prompts:
  - '[{{"role": "system", "content": "Answer briefly."}}, {{"role": "user", "content": "Question: {{{{question}}}}"}}]'
providers:
  - id: openai:chat:standin-model
    config: {{ apiBaseUrl: "{url}", apiKey: x }}
tests: file://{tests}
""", encoding="utf-8")
    os.environ.update(PROMPTFOO_DISABLE_TELEMETRY="1", PROMPTFOO_DISABLE_UPDATE="1",
                      PROMPTFOO_CONFIG_DIR=str(work / "home"), PROMPTFOO_CACHE_ENABLED="false")
    return measured([binary, "eval", "-c", str(config), "-j", str(concurrency), "--no-cache",
                     "--no-progress-bar", "--no-write", "-o", str(work / "out.json")], work)
