"""Benchmark: monitoring events in over HTTP, and whether processing keeps up.

deskbot runs as `deskbot run` runs it — uvicorn on 127.0.0.1 serving the monitoring routes,
and the worker (events processing, timers) in the same event loop — in a process of its
own; this process is the load generator (asyncio + aiohttp, many keep-alive connections).
Both share the machine's cores with the database server.

For each store size (`--sizes`, default 0 and 100,000 events already stored, bulk-inserted
before the server starts) it measures, one after another, each on the same server:

1. `storm`: 10,000 critical alerts of one new Alertmanager group, as 100 notifications of
   100 sent one after another; afterwards (processed, and the card's redraw interval
   passed) the incidents opened (must be 1) and the chat messages queued: outbox rows
   other than the card's in-place redraw (`incident_alerts`) (must be ≤ 3);
2. `generic`: single generic events (`POST /api/v1/events`), one per request;
3. `pagerduty`: single PagerDuty events (`POST /v2/enqueue`), one per request;
4. `alertmanager`: Alertmanager notifications of 100 alerts (`POST /api/v1/events/alertmanager`).

Phases 2–4 each send their mix (bench/events_mix.py) after a warm-up that makes the
pool's keys live, once per `--loads` entry, each for `--seconds` (default 60):

- `target`: paced at the issue's target on a fixed schedule, as monitoring sends what
  happens whether or not we keep up — 1,000 requests/s of single events, 100
  notifications/s of 100 alerts (10,000 alerts/s);
- `max`: every connection sends its next request as soon as the last is answered.

Each reports accepted signals/s (answered 2xx), processed signals/s (accepted, less what
the inbox gained: `event_inbox` holds exactly what is accepted and not yet processed), the
inbox backlog (signals) at the start, at the end and at its highest (sampled every
0.25 s), the time to drain what was left, latency, refusals (503 once the backlog reaches
`max_backlog`), and the CPU each process used (as % of one core).

    python -m bench.events [--seconds 60] [--sizes 0,100000] [--phases storm,generic,…]
    python -m bench.events --database-url postgresql+psycopg://postgres@127.0.0.1:54329/deskbot_bench --reset

Variants, to measure proposals without changing the code under test: `--nodelay` serves on
a listening socket made with `IPPROTO_TCP` (asyncio then turns Nagle's algorithm off on
each connection; `bot.web.listen` has done so itself since 3424964, so this matters only
for older code); `--pace X` offers X times the targets; `--split` runs the web and the worker in two processes (`deskbot serve` + `deskbot
worker`). `--py-spy PATH` records the server's processes with py-spy (`--gil`: what holds
the interpreter lock) during each measured phase into `--profile-dir`; summarise them with
`python -m bench.events_profile FILE…`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

from bench import support
from bench.events_mix import GROUP_SIZE, AlertmanagerMix, Request, SingleMix

TOKENS = {
    "prometheus": "bench-alertmanager-token",
    "uptime": "R0UT1NGKEYBENCH0000000000000001",
    "scripts": "bench-generic-token",
}
AUDIT_KEY = "bench-audit-key-not-a-secret"
SINGLE_CONCURRENCY = 128
BATCH_CONCURRENCY = 16
RETRY_AFTER = 0.5  # seconds before a refused (5xx) request is sent again
SAMPLE_EVERY = 0.25  # seconds between backlog samples
# Integrations of the stored events, by row number modulo 10: 40% / 30% / 30%.
SEED_MIX = ("prometheus", "uptime", "scripts") * 3 + ("prometheus",)
CARD_WAIT = 12.0  # after a storm: the card's redraw interval (10 s) and a little more
TARGETS = {"generic": 1000, "pagerduty": 1000, "alertmanager": 10_000}  # PostgreSQL, per s


def bench_config():
    """The example company with its event integrations given tokens (as `token_env` would)."""
    from bot.config import example_config_path, load_config

    config = load_config(example_config_path())
    events = config.policy.events
    integrations = {
        name: dataclasses.replace(integration, token=TOKENS[name])
        for name, integration in events.integrations.items()
    }
    events = dataclasses.replace(events, integrations=integrations)
    return dataclasses.replace(config, policy=dataclasses.replace(config.policy, events=events))


# --- seeding -------------------------------------------------------------------------------


def seed(url: str, count: int) -> float:
    """Migrate, then store `count` events (95% resolved; the other 5%, firing warnings, are
    Alertmanager alerts) in groups: Alertmanager's 100 to a group, PagerDuty's and generic ones each alone, as
    processing makes them. Returns the seconds it took."""
    from bot.runtime import Runtime
    from bot.settings import Settings
    from domain.events.records import EventGroup, EventRecord

    began = time.perf_counter()
    runtime = Runtime(
        Settings(database_url=url, config_path=None, audit_key=AUDIT_KEY),
        bench_config(),
        platforms=(),
    )
    runtime.prepare()
    if count:
        start = datetime.now(UTC) - timedelta(days=30)
        step = timedelta(days=30) / count
        groups: list[dict] = []
        events: list[dict] = []
        alertmanager: dict[int, int] = {}  # a hundred alerts' group → its index in groups
        for i in range(count):
            integration = SEED_MIX[i % 10]
            at = start + step * i
            if integration == "prometheus":  # about 100 of every 250 rows: one group
                index = alertmanager.get(i // 250)
                if index is None:
                    index = alertmanager[i // 250] = len(groups)
                    groups.append(_group_row(integration, f"group:seed-{i // 250}", at))
            else:  # PagerDuty's and generic events without group_by: each its own group
                index = len(groups)
                groups.append(_group_row(integration, f"key:seed-{i:07d}", at))
            event = _event_row(integration, i, at, index + 1)
            if event["state"] == "firing":
                group = groups[index]
                group["firing"] += 1
                group["state"], group["quiet_since"] = "firing", None
            group = groups[index]
            group["events"] += 1
            group["received"] += event["count"]
            group["last_seen"] = event["last_seen"]
            events.append(event)
        support.bulk_insert(runtime, EventGroup.__table__, groups)
        with runtime.database.transaction() as session:  # ids 1…n, in order, as assumed
            low, high = session.execute(text("SELECT min(id), max(id) FROM event_groups")).one()
        if (low, high) != (1, len(groups)):
            raise SystemExit(f"event_groups ids {low}…{high}, expected 1…{len(groups)}")
        support.bulk_insert(runtime, EventRecord.__table__, events)
        support.settle(runtime)
    runtime.close()
    return time.perf_counter() - began


def _group_row(integration: str, key: str, at: datetime) -> dict:
    return {
        "integration": integration,
        "group_key": key,
        "title": f"seeded {key}",
        "service": "vpn",
        "team": "network",
        "state": "quiet",
        "incident_id": None,
        "firing": 0,
        "events": 0,
        "received": 0,
        "first_seen": at,
        "last_seen": at,
        "quiet_since": at,
        "flapping": False,
        "flap_changes": 2,
        "flap_since": at,
        "card_at": None,
    }


def _event_row(integration: str, i: int, at: datetime, group_id: int) -> dict:
    live = i % 20 == 0  # 5% still firing (every 20th row: Alertmanager alerts, by SEED_MIX)
    return {
        "integration": integration,
        "source": {"prometheus": "alertmanager", "uptime": "pagerduty"}.get(integration, "generic"),
        "dedup_key": f"seed-{i:07d}",
        "group_id": group_id,
        "incident_id": None,
        "state": "firing" if live else "resolved",
        "classification": "warning",
        "severity": "warning",
        "summary": f"seeded alert {i} on host-{i % 400:03d}",
        "service": "vpn",
        "team": "network",
        "labels": json.dumps({"host": f"host-{i % 400:03d}", "check": "disk"}),
        "details": '{"value":91}',
        "url": None,
        "suppressed": None,
        "count": 3,
        "first_seen": at,
        "last_seen": at + timedelta(minutes=5),
        "resolved_at": None if live else at + timedelta(minutes=10),
        "acknowledged_at": None,
        "acknowledged_by": None,
    }


# --- the server ------------------------------------------------------------------------------


def run_server(ready, url: str, nodelay: bool = False, worker: bool = True) -> None:
    """Process: deskbot as `deskbot run` serves events: the monitoring routes on uvicorn and
    the worker (events processing, timers) in one event loop (without `worker`: as `deskbot
    serve`, the web alone). The console is the one platform, with no sender: chat messages
    stay in the outbox, to be counted."""
    from adapters.monitoring import monitoring_routes
    from bot.runtime import Runtime
    from bot.settings import Settings
    from bot.web import build_web_app, listen, serve

    logging.basicConfig(level=logging.WARNING, format="server: %(levelname)s %(name)s %(message)s")
    runtime = Runtime(
        Settings(database_url=url, config_path=None, audit_key=AUDIT_KEY),
        bench_config(),
        platforms=("console",),
    )
    runtime.prepare()
    runtime.start_periodic_jobs()
    app = build_web_app(runtime, monitoring_routes(runtime, runtime.intake))
    sock = listen(0, "127.0.0.1")
    if nodelay:
        # What `bot.web.listen` would give with IPPROTO_TCP named: asyncio turns Nagle's
        # algorithm off only on sockets whose `proto` says TCP, and a socket made with
        # proto 0 passes 0 on to every connection it accepts.
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(sock.getsockname())  # SO_REUSEADDR: the port stays the same
        sock.close()
        sock = tcp

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        ready.put((os.getpid(), sock.getsockname()[1]))
        await asyncio.gather(serve(app, sock, stop), *([runtime.worker.run(stop)] * worker))

    try:
        asyncio.run(main())
    finally:
        runtime.close()


def run_worker(ready, url: str) -> None:
    """Process: the worker alone, as `deskbot worker` (events processing, timers)."""
    from bot.runtime import Runtime
    from bot.settings import Settings

    logging.basicConfig(level=logging.WARNING, format="worker: %(levelname)s %(name)s %(message)s")
    runtime = Runtime(
        Settings(database_url=url, config_path=None, audit_key=AUDIT_KEY),
        bench_config(),
        platforms=("console",),
    )
    runtime.start_periodic_jobs()

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        ready.put((os.getpid(), 0))
        await runtime.worker.run(stop)

    try:
        asyncio.run(main())
    finally:
        runtime.close()


# --- looking at the database from outside -----------------------------------------------------


class Probe:
    """Counts read from the load generator's side, on a connection of its own."""

    def __init__(self, url: str) -> None:
        from bot.db import normalise_url

        self.engine = create_engine(normalise_url(url), pool_size=2)

    def scalar(self, sql: str, **params) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar() or 0)

    def backlog(self) -> int:
        """Signals accepted and not yet processed."""
        return self.scalar("SELECT coalesce(sum(count), 0) FROM event_inbox")

    def outbox_kinds(self, after: int) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, count(*) FROM outbox WHERE id > :n GROUP BY kind ORDER BY kind"),
                {"n": after},
            ).all()
        return {kind: int(n) for kind, n in rows}

    def close(self) -> None:
        self.engine.dispose()


# --- load ------------------------------------------------------------------------------------


@dataclass
class Phase:
    """What one measured phase saw."""

    name: str
    rate: float = 0.0  # requests offered a second (0: as fast as they are answered)
    seconds: float = 0.0
    requests: int = 0
    accepted: int = 0  # signals in 2xx answers
    refused: dict[int, int] = field(default_factory=dict)  # status → requests
    latencies: list[float] = field(default_factory=list)
    backlog_start: int = 0
    backlog_end: int = 0
    backlog_max: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)
    drained_in: float = 0.0
    events_after: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds of CPU, by process
    note: str = ""

    @property
    def processed(self) -> int:
        return self.accepted + self.backlog_start - self.backlog_end

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies) or [0.0]
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def _post(session: aiohttp.ClientSession, base: str, request: Request) -> tuple[int, str]:
    async with session.post(base + request.path, data=request.body, headers=request.headers) as r:
        body = await r.read()
        return r.status, body[:200].decode(errors="replace")


async def send_all(base: str, requests: list[Request], concurrency: int) -> int:
    """Send every request, `concurrency` at a time; returns how many were refused."""
    queue = list(reversed(requests))
    refused = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal refused
            while queue:
                status, body = await _post(session, base, queue.pop())
                if status >= 300:
                    refused += 1
                    if refused == 1:
                        print(f"  refused: {status} {body}", flush=True)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return refused


async def drain(probe: Probe, timeout: float = 600) -> float:
    """Wait until the inbox is empty; returns the seconds it took."""
    began = time.perf_counter()
    while await asyncio.to_thread(probe.backlog):
        if time.perf_counter() - began > timeout:
            raise RuntimeError(f"the inbox did not drain in {timeout:.0f} s")
        await asyncio.sleep(0.1)
    return time.perf_counter() - began


def cpu_seconds(server: list[int]) -> dict[str, float]:
    """CPU used so far (user + system seconds): the server's processes, this process (the
    load), and every process named postgres (the database server, if it runs here)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {"server": 0.0, "load": time.process_time(), "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        used = (int(rest[11]) + int(rest[12])) / tick
        if int(entry.name) in server:
            found["server"] += used
        elif name == "postgres":
            found["postgres"] += used
    return found


async def sustain(
    base: str,
    mix,
    name: str,
    seconds: float,
    concurrency: int,
    probe: Probe,
    server: list[int],
    rate: float = 0,
) -> Phase:
    """Send `mix` for `seconds` over `concurrency` keep-alive connections: `rate` requests
    a second on a fixed schedule (an open load, as monitoring sends whatever happens), or
    with `rate` 0 each connection's next request as soon as the last is answered."""
    phase = Phase(name, rate=rate)
    sent = 0
    phase.backlog_start = await asyncio.to_thread(probe.backlog)
    cpu = cpu_seconds(server)
    began = time.perf_counter()
    deadline = began + seconds
    sending = True

    async def sample() -> None:
        while sending:
            backlog = await asyncio.to_thread(probe.backlog)
            phase.samples.append((time.perf_counter() - began, backlog))
            phase.backlog_max = max(phase.backlog_max, backlog)
            await asyncio.sleep(SAMPLE_EVERY)

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal sent
            while time.perf_counter() < deadline:
                if rate:
                    slot = began + sent / rate
                    sent += 1
                    if slot >= deadline:
                        break
                    if slot > time.perf_counter():
                        await asyncio.sleep(slot - time.perf_counter())
                request = mix.next()
                try:
                    # A 5xx is sent again after a pause, as Alertmanager and PagerDuty
                    # clients do, so a refusal never changes what the sender has live.
                    while True:
                        start = time.perf_counter()
                        status, body = await _post(session, base, request)
                        phase.latencies.append(time.perf_counter() - start)
                        phase.requests += 1
                        if 200 <= status < 300:
                            phase.accepted += request.signals
                            break
                        phase.refused[status] = phase.refused.get(status, 0) + 1
                        if sum(phase.refused.values()) == 1:
                            print(f"  refused: {status} {body}", flush=True)
                        if status < 500 or time.perf_counter() + RETRY_AFTER > deadline:
                            break
                        await asyncio.sleep(RETRY_AFTER)
                finally:
                    mix.done(request)

        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        phase.seconds = time.perf_counter() - began
        phase.cpu = {k: v - cpu[k] for k, v in cpu_seconds(server).items()}
        sending = False
        await sampler
    phase.backlog_end = await asyncio.to_thread(probe.backlog)
    phase.backlog_max = max(phase.backlog_max, phase.backlog_end)
    phase.drained_in = await drain(probe)
    phase.events_after = await asyncio.to_thread(probe.scalar, "SELECT count(*) FROM events")
    return phase


async def storm(base: str, mix: AlertmanagerMix, probe: Probe) -> Phase:
    """10,000 alerts of one group in notifications of 100, one after another."""
    phase = Phase("storm")
    incidents = await asyncio.to_thread(probe.scalar, "SELECT coalesce(max(id), 0) FROM incidents")
    outbox = await asyncio.to_thread(probe.scalar, "SELECT coalesce(max(id), 0) FROM outbox")
    requests = mix.storm()
    began = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for request in requests:
            start = time.perf_counter()
            status, body = await _post(session, base, request)
            phase.latencies.append(time.perf_counter() - start)
            phase.requests += 1
            if 200 <= status < 300:
                phase.accepted += request.signals
            else:
                phase.refused[status] = phase.refused.get(status, 0) + 1
                print(f"  refused: {status} {body}", flush=True)
    phase.seconds = time.perf_counter() - began
    phase.backlog_end = phase.backlog_max = await asyncio.to_thread(probe.backlog)
    phase.drained_in = await drain(probe)
    processed_at = time.perf_counter() - began
    await asyncio.sleep(CARD_WAIT)  # what the card's timers and any follow-up would queue
    opened = await asyncio.to_thread(
        probe.scalar, "SELECT count(*) FROM incidents WHERE id > :n", n=incidents
    )
    kinds = await asyncio.to_thread(probe.outbox_kinds, outbox)
    chat = sum(n for kind, n in kinds.items() if kind != "incident_alerts")
    phase.note = (
        f"{phase.accepted:,} alerts accepted in {phase.seconds:.2f} s, all processed "
        f"{processed_at:.2f} s after the first; incidents opened: {opened} (must be 1); "
        f"chat messages: {chat} (must be ≤ 3); outbox rows by kind: "
        + ", ".join(f"{k} {n}" for k, n in kinds.items())
        + (" — OK" if opened == 1 and chat <= 3 else " — **FAILED**")
    )
    phase.events_after = await asyncio.to_thread(probe.scalar, "SELECT count(*) FROM events")
    return phase


# --- running it all --------------------------------------------------------------------------


def _machine(url: str) -> list[str]:
    from bot.runtime import Runtime
    from bot.settings import Settings

    runtime = Runtime(
        Settings(database_url=url, config_path=None, audit_key=AUDIT_KEY),
        bench_config(),
        platforms=(),
    )
    try:
        return support.describe_machine(runtime)
    finally:
        runtime.close()


def _start_server(
    ctx, url: str, nodelay: bool, split: bool
) -> tuple[list[mp.Process], list[int], int]:
    """The server (and with `split`, a worker process beside it): processes, pids, port."""
    ready = ctx.Queue()
    process = ctx.Process(target=run_server, args=(ready, url, nodelay, not split), daemon=True)
    process.start()
    pid, port = ready.get(timeout=120)
    processes, pids = [process], [pid]
    if split:
        worker = ctx.Process(target=run_worker, args=(ready, url), daemon=True)
        worker.start()
        processes.append(worker)
        pids.append(ready.get(timeout=120)[0])
    deadline = time.monotonic() + 30
    while True:  # bound before uvicorn listens: wait until it answers
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return processes, pids, port


def _stop_server(processes: list[mp.Process]) -> None:
    for process in processes:
        process.terminate()  # SIGTERM: the server stops as `deskbot run` does
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()


def _profile(args, pid: int, label: str, seconds: float) -> subprocess.Popen | None:
    if not args.py_spy:
        return None
    out = Path(args.profile_dir) / f"{label}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            args.py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--gil",
            "--format",
            "raw",
            "--threads",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def measure(args, url: str, pids: list[int], port: int, size: int) -> list[Phase]:
    """Every phase of `args.phases` against the server on `port`."""
    base = f"http://127.0.0.1:{port}"
    probe = Probe(url)
    results = []
    try:
        am = AlertmanagerMix(TOKENS["prometheus"])
        for name in args.phases:
            if name == "storm":
                results.append(await storm(base, am, probe))
                print(f"  {results[-1].note}", flush=True)
                continue
            if name == "alertmanager":
                mix, concurrency = am, args.batch_concurrency
            else:
                integration = "scripts" if name == "generic" else "uptime"
                mix, concurrency = SingleMix(name, TOKENS[integration]), args.concurrency
            refused = await send_all(base, mix.warm_up(), concurrency)
            await drain(probe)
            if refused:
                print(f"  warm-up: {refused} refused", flush=True)
            for load in args.loads:
                # The target's rate in requests (a notification carries GROUP_SIZE alerts).
                rate = args.pace * TARGETS[name] / (GROUP_SIZE if name == "alertmanager" else 1)
                rate = rate if load == "target" else 0
                spies = [
                    _profile(args, pid, f"{size}-{name}-{load}-{part}", args.seconds)
                    for pid, part in zip(pids, ("web", "worker"), strict=False)
                ]
                phase = await sustain(
                    base, mix, name, args.seconds, concurrency, probe, pids, rate=rate
                )
                for spy in spies:
                    if spy is not None:
                        spy.wait()
                results.append(phase)
                print(f"  {_row(size, phase)}", flush=True)
    finally:
        probe.close()
    return results


def _verdict(phase: Phase) -> str:
    """Flat when what is left at the end is under a processing batch and under 2 s of
    arrivals more than at the start."""
    rate = phase.accepted / phase.seconds if phase.seconds else 0
    grew = phase.backlog_end - phase.backlog_start
    return "flat" if grew <= max(5000, 2 * rate) else f"**grew by {grew:,}**"


def _row(size: int, p: Phase) -> str:
    refused = ", ".join(f"{n} × {s}" for s, n in sorted(p.refused.items())) or "0"
    return (
        f"| {size:,} | {p.name} | {f'{p.rate:,.0f}/s' if p.rate else 'max'} | "
        f"{p.seconds:.1f} s | {p.requests / p.seconds:,.0f} | "
        f"{p.accepted / p.seconds:,.0f} | {p.processed / p.seconds:,.0f} | "
        f"{p.backlog_start:,} / {p.backlog_max:,} / {p.backlog_end:,} ({_verdict(p)}) | "
        f"{p.drained_in:.1f} s | {p.percentile(50):.1f} / {p.percentile(99):.1f} ms | "
        f"{refused} | {p.events_after:,} | {_cpu(p)} |"
    )


def _cpu(p: Phase) -> str:
    """CPU busy as % of one core: server / load generator / PostgreSQL."""
    if not p.seconds or not p.cpu:
        return ""
    return " / ".join(f"{p.cpu[k] / p.seconds:.0%}" for k in ("server", "load", "postgres"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="each sustained phase")
    parser.add_argument("--sizes", default="0,100000", help="events stored before, per run")
    parser.add_argument(
        "--phases", default="storm,generic,pagerduty,alertmanager", help="which, in order"
    )
    parser.add_argument(
        "--loads",
        default="target,max",
        help="target: paced at the issue's target rate; max: as fast as answered",
    )
    parser.add_argument(
        "--pace", type=float, default=1.0, help="the `target` load's rate times this"
    )
    parser.add_argument("--concurrency", type=int, default=SINGLE_CONCURRENCY)
    parser.add_argument("--batch-concurrency", type=int, default=BATCH_CONCURRENCY)
    parser.add_argument(
        "--nodelay",
        action="store_true",
        help="serve on a socket made with IPPROTO_TCP (what bot.web.listen does since 3424964)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="web and worker in two processes (`deskbot serve` + `deskbot worker`)",
    )
    parser.add_argument("--py-spy", help="py-spy executable: record the server per phase")
    parser.add_argument("--profile-dir", default="/tmp/deskbot-events-profile")
    support.add_database_options(parser)
    args = parser.parse_args()
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    args.loads = [p.strip() for p in args.loads.split(",") if p.strip()]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    ctx = mp.get_context("spawn")
    results: dict[int, list[Phase]] = {}
    for n, size in enumerate(sizes):
        reset = args.reset or n > 0
        with support.bench_database(args.database_url, reset=reset) as url:
            seeded = seed(url, size)
            if n == 0:
                print("\n".join(_machine(url)))
                print(
                    f"load: this process (asyncio + aiohttp), {args.concurrency} connections "
                    f"for single events, {args.batch_concurrency} for batches; server: "
                    + (
                        "web (uvicorn) and worker in two processes"
                        if args.split
                        else "one process, web (uvicorn) and worker as `deskbot run`"
                    )
                    + ("; listening socket with IPPROTO_TCP (Nagle off)" if args.nodelay else "")
                    + f"; {os.cpu_count()} CPUs shared by them and the database"
                )
                print(_header())
            print(f"  seeded {size:,} events in {seeded:.1f} s", flush=True)
            processes, pids, port = _start_server(ctx, url, args.nodelay, args.split)
            try:
                results[size] = asyncio.run(measure(args, url, pids, port, size))
            finally:
                _stop_server(processes)
    print()
    print(_header())
    for size, phases in results.items():
        for phase in phases:
            if phase.name != "storm":
                print(_row(size, phase))
    for size, phases in results.items():
        for phase in phases:
            if phase.name == "storm":
                print(f"storm, {size:,} stored: {phase.note}")
    _targets(args, results)


def _header() -> str:
    return (
        "| stored | phase | requests offered | time | requests/s | accepted signals/s | processed signals/s | "
        "backlog start / max / end | drained in | latency p50 / p99 | refused | events after | "
        "CPU server / load / PostgreSQL |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )


def _targets(args, results: dict[int, list[Phase]]) -> None:
    """Each paced phase against its target; each unpaced one as the capacity it shows."""
    for size, phases in results.items():
        for p in phases:
            target = TARGETS.get(p.name)
            if target is None or not p.seconds:
                continue
            accepted, processed = p.accepted / p.seconds, p.processed / p.seconds
            if p.rate:
                target = target * args.pace
                met = accepted >= 0.99 * target and not p.refused and _verdict(p) == "flat"
                print(
                    f"{size:,} stored, {p.name} at {target:,.0f}/s: accepted {accepted:,.0f}/s, "
                    f"processed {processed:,.0f}/s, backlog {_verdict(p)}, "
                    f"{sum(p.refused.values())} refused: " + ("met" if met else "**missed**")
                )
            else:
                print(
                    f"{size:,} stored, {p.name} as fast as answered: accepted {accepted:,.0f}/s, "
                    f"processed {processed:,.0f}/s, backlog {_verdict(p)}"
                )


if __name__ == "__main__":
    main()
