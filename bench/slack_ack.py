"""Benchmark: time to acknowledge signed `/incident new` slash commands over real HTTP.

Starts, each in its own process: the local Slack Web API fake (tests/fakes/slack_api.py),
deskbot as `deskbot run` would serve Slack (Runtime on a SQLite file, SlackAdapter,
uvicorn, the outbox worker in the same event loop), and bare Bolt apps that only call
ack(). Then fires N signed `/incident new` requests at each, C at a time, and reports
throughput and the time to the acknowledgement (the HTTP response) at p50/p95/p99.
deskbot's real work (the incident, the reply on response_url, the card) goes on after
the acknowledgement; the run also waits until every incident exists.

    python -m bench.slack_ack [--requests 1000] [--concurrency 20] [--rounds 2]

As production runs it: `--replicas 2 --no-worker --database-url postgresql+psycopg://…`
starts two deskbot processes as `deskbot serve` (requests alternate between them) and one
as `deskbot worker`, on that database (emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import platform
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

SECRET = "bench-signing-secret"
DESKBOT, BARE, BARE_PBR = "deskbot", "bare Bolt (defaults)", "bare Bolt (process_before_response)"


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _serve(app, sock: socket.socket, extra=None) -> None:
    import uvicorn

    async def main() -> None:
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        )
        stop = asyncio.Event()
        tasks = [asyncio.create_task(extra(stop))] if extra else []
        await server.serve(sockets=[sock])
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def run_fake_slack(ready) -> None:
    """Process: the Slack Web API fake, answering until killed."""
    from tests.fakes.slack_api import FakeSlackApi
    from tests.slack.harness import add_company_users

    fake = FakeSlackApi().start()
    add_company_users(fake)
    ready.put((fake.token, fake.base_url, fake.response_url("bench")))
    while True:
        time.sleep(3600)


def _settings(token: str, api_url: str, database: str):
    from bot.settings import Settings

    return Settings(
        database_url=database,
        config_path=None,
        slack_bot_token=token,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
    )


def run_deskbot(ready, token: str, api_url: str, database: str, worker: bool) -> None:
    """Process: deskbot's web app, and its outbox worker in the same loop as `deskbot run`."""
    from adapters.slack import SlackAdapter
    from bot.config import load_config_text
    from bot.runtime import Runtime
    from bot.web import build_web_app
    from tests.slack.harness import CONFIG

    settings = _settings(token, api_url, database)
    runtime = Runtime(settings, load_config_text(CONFIG), platforms=("slack",))
    runtime.prepare()
    adapter = SlackAdapter(runtime)
    runtime.add_sender("slack", adapter.sender())
    sock = _bound_socket()
    ready.put(sock.getsockname()[1])
    _serve(build_web_app(runtime, adapter.routes()), sock, runtime.worker.run if worker else None)


def run_worker(ready, token: str, api_url: str, database: str) -> None:
    """Process: the outbox and timer worker alone, as `deskbot worker`."""
    from adapters.slack import SlackAdapter
    from bot.config import load_config_text
    from bot.runtime import Runtime
    from tests.slack.harness import CONFIG

    runtime = Runtime(
        _settings(token, api_url, database), load_config_text(CONFIG), platforms=("slack",)
    )
    runtime.add_sender("slack", SlackAdapter(runtime).sender())
    ready.put(None)

    async def main() -> None:
        await runtime.worker.run(asyncio.Event())

    asyncio.run(main())


def run_bare_bolt(ready, token: str, api_url: str, process_before_response: bool) -> None:
    """Process: a Bolt app whose only listener acknowledges `/incident`."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.routing import Route

    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/incident")
    async def ack_only(ack) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request):
        return await handler.handle(request)

    sock = _bound_socket()
    ready.put(sock.getsockname()[1])
    _serve(Starlette(routes=[Route("/slack/events", events, methods=["POST"])]), sock)


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def over(self, seconds: float) -> int:
        """How many acknowledgements took longer than `seconds` (Slack gives up at 3)."""
        return sum(1 for latency in self.latencies if latency > seconds)

    def __add__(self, other: Result) -> Result:
        return Result(
            self.name,
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.failures + other.failures,
        )


def _signed(count: int, start: int, response_url: str) -> list[tuple[bytes, dict[str, str]]]:
    from tests.fakes.slack_signing import SlackSigner

    signer = SlackSigner(SECRET)
    return [
        (r.content, r.headers)
        for i in range(start, start + count)
        for r in [
            signer.slash_command(
                command="/incident",
                user_id="U0ALICE",
                user_name="alice",
                text=f'new "Bench incident {i}" --service vpn --impact high',
                response_url=response_url,
            )
        ]
    ]


async def fire(
    name: str, urls: list[str], requests: list[tuple[bytes, dict[str, str]]], concurrency: int
) -> Result:
    """Send every request, `concurrency` at a time, alternating between `urls` (replicas);
    time each one to its HTTP response."""
    queue: asyncio.Queue = asyncio.Queue()
    for n, item in enumerate(requests):
        queue.put_nowait((urls[n % len(urls)], *item))
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                url, body, headers = queue.get_nowait()
                began = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
                latencies.append(time.perf_counter() - began)
                failures += 0 if ok else 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    return Result(name, len(requests), seconds, latencies, failures)


def _incidents(database: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.db import normalise_url

    engine = _engines.get(database) or create_engine(normalise_url(database))
    _engines[database] = engine
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM incidents")).scalar_one()
    except (OperationalError, ProgrammingError):  # not created yet
        return 0


_engines: dict = {}


def _start(ctx, target, *args) -> tuple[mp.Process, object]:
    ready = ctx.Queue()
    process = ctx.Process(target=target, args=(ready, *args), daemon=True)
    process.start()
    return process, ready.get(timeout=60)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} vCPU {cpu}, {platform.system()} {platform.release()}, "
        f"CPython {platform.python_version()}"
    )


def main() -> None:
    from bench import support

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per app per round")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="rounds, apps alternating")
    parser.add_argument(
        "--replicas", type=int, default=1, help="deskbot processes serving (requests alternate)"
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="serve like `deskbot serve` (the outbox worker in a process of its own)",
    )
    support.add_database_options(parser)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    processes = []
    fake, (token, api_url, response_url) = _start(ctx, run_fake_slack)
    processes.append(fake)
    with support.bench_database(args.database_url, reset=args.reset) as database:
        support.open_runtime(database).prepare()  # migrate once, before the replicas start
        apps: dict[str, list[str]] = {DESKBOT: []}
        for _ in range(args.replicas):
            process, port = _start(ctx, run_deskbot, token, api_url, database, not args.no_worker)
            processes.append(process)
            apps[DESKBOT].append(f"http://127.0.0.1:{port}/slack/events")
        if args.no_worker:
            processes.append(_start(ctx, run_worker, token, api_url, database)[0])
        for name, pbr in ((BARE, False), (BARE_PBR, True)):
            process, port = _start(ctx, run_bare_bolt, token, api_url, pbr)
            processes.append(process)
            apps[name] = [f"http://127.0.0.1:{port}/slack/events"]
        try:
            results = asyncio.run(_measure(apps, args, response_url, database))
        finally:
            for process in processes:
                process.kill()
            for engine in _engines.values():
                engine.dispose()
    _report(results, args)


async def _measure(
    apps: dict[str, list[str]], args, response_url: str, database: str
) -> dict[str, Result]:
    sent = 0
    for name, urls in apps.items():  # warm-up: first-request auth.test, imports, caches
        await fire(name, urls, _signed(args.concurrency, sent, response_url), args.concurrency)
        sent += args.concurrency if name == DESKBOT else 0
    await _opened(database, sent)
    merged: dict[str, Result] = {}
    done_in: list[float] = []
    for _ in range(args.rounds):
        for name, urls in apps.items():
            batch = _signed(args.requests, sent, response_url)
            began = time.perf_counter()
            result = await fire(name, urls, batch, args.concurrency)
            if name == DESKBOT:
                # Let deskbot finish the work it acknowledged before the next app is measured,
                # so that work neither steals the next app's CPU nor goes unmeasured.
                sent += args.requests
                await _opened(database, sent)
                done_in.append(time.perf_counter() - began)
            merged[name] = merged[name] + result if name in merged else result
    merged[DESKBOT].opened = _incidents(database)  # type: ignore[attr-defined]
    merged[DESKBOT].expected = sent  # type: ignore[attr-defined]
    merged[DESKBOT].done_rate = args.requests * args.rounds / sum(done_in)  # type: ignore[attr-defined]
    return merged


async def _opened(database: str, count: int, timeout: float = 600) -> None:
    """Wait until deskbot has opened `count` incidents (its work after the acknowledgements)."""
    began = time.perf_counter()
    while _incidents(database) < count and time.perf_counter() - began < timeout:
        await asyncio.sleep(0.05)


def _report(results: dict[str, Result], args) -> None:
    deskbot, bare = results[DESKBOT], results[BARE]
    print(f"Machine: {_machine()}")
    database = args.database_url.split("://", 1)[0] if args.database_url else "SQLite file"
    print(
        f"Requests: {args.requests} per app per round, {args.rounds} rounds, "
        f"concurrency {args.concurrency}; deskbot: {args.replicas} replica(s) on {database}, "
        f"outbox worker {'in another process' if args.no_worker else 'in the same process'}\n"
    )
    header = "| app | requests | throughput | p50 ack | p95 ack | p99 ack | max ack | over 3 s |"
    print(header + " failures |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for result in results.values():
        print(
            f"| {result.name} | {result.requests} | {result.throughput:,.0f} req/s | "
            f"{result.percentile(50):.1f} ms | {result.percentile(95):.1f} ms | "
            f"{result.percentile(99):.1f} ms | {max(result.latencies) * 1000:.1f} ms | "
            f"{result.over(3.0)} | {result.failures} |"
        )
    fastest = results[BARE_PBR]
    print(
        f"\ndeskbot throughput / bare Bolt: {deskbot.throughput / bare.throughput:.2f} (defaults), "
        f"{deskbot.throughput / fastest.throughput:.2f} (process_before_response); target ≥ 0.5"
    )
    print(f"deskbot p99 acknowledgement {deskbot.percentile(99):.1f} ms (target < 100 ms)")
    print(
        f"incidents opened by deskbot: {deskbot.opened} of {deskbot.expected}; "  # type: ignore[attr-defined]
        f"acknowledged and opened: {deskbot.done_rate:,.0f} incidents/s"
    )  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
