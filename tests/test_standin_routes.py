"""The stand-in's routing table: every route is one ``Routes.add`` call, API routes under both
vLLM's and KServe's prefixes behind the key, plain routes at the root and open, any body type."""

from __future__ import annotations

import asyncio

import aiohttp

from gatewise.standin._endpoint import Endpoint
from gatewise.standin._routes import Reply


def _serve_and(check, **endpoint_args):
    async def go():
        endpoint = Endpoint({"What is 2+2?": "4"}, **endpoint_args)
        endpoint.routes.add("GET", "/metrics", lambda request: Reply(
            200, b"# TYPE standin_up gauge\nstandin_up 1\n", faultable=False,
            content_type="text/plain; version=0.0.4"), api=False)
        endpoint.routes.add("GET", "/echo", lambda request: Reply(200, {"path": request.path}))
        port = await endpoint.start()
        try:
            async with aiohttp.ClientSession() as session:
                return await check(session, f"http://127.0.0.1:{port}")
        finally:
            await endpoint.close()

    return asyncio.run(go())


def test_a_plain_route_is_served_at_the_root_without_the_key_and_as_its_own_content_type():
    async def check(session, root):
        async with session.get(root + "/metrics") as response:
            return response.status, response.headers["Content-Type"], await response.text()

    status, content_type, text = _serve_and(check, api_key="k")
    assert status == 200 and content_type.startswith("text/plain") and "standin_up 1" in text


def test_an_api_route_is_under_both_prefixes_and_behind_the_key():
    async def check(session, root):
        out = []
        for prefix in ("/v1", "/openai/v1"):
            async with session.get(root + prefix + "/echo", headers={"Authorization": "Bearer k"}) as response:
                out.append((response.status, (await response.json())["path"]))
        async with session.get(root + "/v1/echo") as response:
            out.append((response.status, None))
        async with session.post(root + "/v1/echo", headers={"Authorization": "Bearer k"}) as response:
            out.append((response.status, (await response.json())["detail"]))
        async with session.get(root + "/echo", headers={"Authorization": "Bearer k"}) as response:
            out.append((response.status, None))
        return out

    assert _serve_and(check, api_key="k") == [
        (200, "/v1/echo"), (200, "/openai/v1/echo"), (401, None), (405, "Method Not Allowed"), (404, None)]
