"""Health and readiness endpoints, over real HTTP."""

import asyncio
import json
import socket
import urllib.error
import urllib.request

from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import build_web_app, listen
from tests.fakes.asgi_server import UvicornThread


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def serve(database_url, config):
    runtime = Runtime(
        Settings(database_url=database_url, config_path=None), config, platforms=("console",)
    )
    return runtime, UvicornThread(build_web_app(runtime))


def test_healthz_and_readyz(database_url, example_config):
    runtime, server = serve(database_url, example_config)
    with server:
        assert get(f"{server.url}/healthz") == (200, "ok")
        status, body = get(f"{server.url}/readyz")
    runtime.close()
    assert (status, json.loads(body)) == (200, {"database": "ok"})


def test_readyz_says_when_the_database_is_unreachable(example_config, tmp_path):
    runtime, server = serve(f"sqlite:///{tmp_path / 'missing-dir' / 'deskbot.db'}", example_config)
    with server:
        assert get(f"{server.url}/healthz") == (200, "ok")
        status, body = get(f"{server.url}/readyz")
    runtime.close()
    assert (status, json.loads(body)) == (503, {"database": "unreachable"})


def test_the_listening_socket_sends_small_answers_at_once():
    # asyncio turns Nagle's algorithm off only on sockets made as TCP; with it on, a small
    # answer on a kept-alive connection waits for the client's delayed ACK (~40 ms).
    sock = listen(0, "127.0.0.1")
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        async def accepted(reader, writer) -> None:
            seen.append(
                writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(asyncio.wait_for(main(), 10))
    assert seen == [1]
