"""The `deskbot` command line: run, console, serve, worker, discord, db upgrade, config check."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot import audit_cli, review_cli
from bot.config import ConfigError, load_config
from bot.settings import Settings

# `deskbot --help` must stay quick: SQLAlchemy, Alembic, Jinja, the outbox and the web
# server are imported by the commands that use them, when they run.
if TYPE_CHECKING:
    import asyncio

    from bot.chat import ChatAdapter
    from bot.runtime import Runtime

log = logging.getLogger("deskbot")

CONNECT_HINT = (
    "No Slack or Discord credentials are set, so deskbot runs the local console.\n"
    "  Slack:   set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP).\n"
    "  Discord: set DISCORD_TOKEN.  See README.md for both."
)


def connect_hint(settings: Settings) -> str:
    """Why `run` falls back to the console: nothing is set, or what Slack still lacks."""
    slack_vars = (
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
    )
    if not any(slack_vars) or settings.slack_enabled:
        return CONNECT_HINT
    if not settings.slack_bot_token:
        given = "SLACK_APP_TOKEN" if settings.slack_app_token else "SLACK_SIGNING_SECRET"
        problem = f"{given} is set but Slack also needs SLACK_BOT_TOKEN"
    else:
        problem = (
            "SLACK_BOT_TOKEN is set but Slack also needs SLACK_APP_TOKEN (Socket Mode) "
            "or SLACK_SIGNING_SECRET (HTTP)"
        )
    first, _, rest = CONNECT_HINT.partition("\n")
    return f"Slack is not connected: {problem}, so deskbot runs the local console.\n{rest}"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deskbot")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """--version, read from the installed package's metadata only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"deskbot {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deskbot", description="A chat-ops service desk.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run", help="everything in one process: web, worker, chat adapters (or the console)"
    )
    console = sub.add_parser("console", help="a chat session in this terminal")
    console.add_argument("--user", help="who you act as (default: the first employee)")
    sub.add_parser("serve", help="the web server: Slack events, health, readiness")
    sub.add_parser("worker", help="timers, escalations and outbox delivery")
    discord = sub.add_parser("discord", help="the Discord gateway connection")
    discord_sub = discord.add_subparsers(dest="discord_command", metavar="ACTION")
    sync = discord_sub.add_parser("sync-commands", help="register the slash commands with Discord")
    sync.add_argument("--guild", help="register in one guild (instant) instead of globally")
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply every pending migration")
    db_sub.add_parser("current", help="show the schema revision")
    config = sub.add_parser("config", help="configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    check.add_argument("file", nargs="?", help="default: DESKBOT_CONFIG or ./deskbot.yaml")
    audit_cli.add_parser(sub)
    review_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `deskbot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from bot.logs import configure_logging  # stdlib only: --help stays quick

    # A bad LOG_FORMAT is reported by Settings.from_env below, with the other settings.
    log_format = (os.environ.get("LOG_FORMAT") or "text").strip().lower()
    configure_logging(args.verbose, log_format if log_format in ("text", "json") else "text")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        if args.command != "config":  # checking a file needs no port
            print(f"deskbot: {exc}", file=sys.stderr)
            return 2
        # Checking a file needs neither a port nor a database.
        ignored = ("PORT", "DATABASE_URL")
        settings = Settings.from_env({k: v for k, v in os.environ.items() if k not in ignored})
    if args.command == "config":
        return config_check(settings, args.file)
    from sqlalchemy.exc import OperationalError  # a command runs: it needs the database

    try:
        return run_command(args, settings)
    except KeyboardInterrupt:  # Ctrl-C in the console (or before signal handlers are set)
        print("\ndeskbot: stopped.", file=sys.stderr)
        return 130
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        print(f"deskbot: cannot use the database (DATABASE_URL): {reason}", file=sys.stderr)
        return 2


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Every command that needs the database and the configuration."""
    import asyncio

    from bot.db import Database
    from bot.runtime import load_desk_config

    if args.command == "audit":
        return audit_cli.run(args, settings)
    if args.command == "review":
        return review_cli.run(args, settings)
    if args.command == "db":
        database = Database(settings.database_url)
        if args.db_command == "upgrade":
            database.upgrade()
        print(f"Database schema is at revision {database.current_revision() or 'none'}.")
        database.dispose()
        return 0
    try:
        loaded = load_desk_config(settings)
    except ConfigError as exc:
        print("deskbot: the configuration has problems; nothing was started.", file=sys.stderr)
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    if args.command == "console":
        platforms = ("console",) + settings.chat_platforms
        return asyncio.run(run_console(settings, loaded, platforms, args.user))
    if args.command == "discord" and args.discord_command == "sync-commands":
        from adapters.discord.cli import sync_commands  # wiring

        return asyncio.run(sync_commands(settings, loaded.config, guild=args.guild))
    return asyncio.run(run_services(settings, loaded, args.command))


def config_check(settings: Settings, file: str | None) -> int:
    path = Path(file) if file else settings.config_path
    if path is None:
        # Check what `deskbot run` would use: the example company.
        from bot.config import example_config_path

        print(
            "No deskbot.yaml here and DESKBOT_CONFIG is not set, so deskbot runs the example "
            "company (examples/deskbot.yaml); checking it."
        )
        path = example_config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(config.summary())
    for warning in config.warnings:
        print(f"warning: {warning}")
    return 0


def chat_adapters(runtime: Runtime, settings: Settings) -> list[ChatAdapter]:
    """The adapters whose credentials are configured."""
    found: list[ChatAdapter] = []
    if settings.slack_enabled:
        from adapters.slack import SlackAdapter  # wiring

        found.append(SlackAdapter(runtime))
    if settings.discord_enabled:
        from adapters.discord import DiscordAdapter  # wiring

        found.append(DiscordAdapter(runtime))
    return found


def directory_factory(settings: Settings, config):
    """The directory the config names: LDAP (its password from DESKBOT_LDAP_PASSWORD), or
    None for the built-in directory the runtime makes itself."""
    if config.directory.kind != "ldap":
        return None
    if config.directory.bind_dn and not settings.ldap_password:
        raise SystemExit(
            f"deskbot: the LDAP directory binds as {config.directory.bind_dn}: "
            "set DESKBOT_LDAP_PASSWORD to its password."
        )
    from adapters.directory import ldap_factory  # wiring

    return ldap_factory(config.directory, settings.ldap_password or "")


def web_pages(runtime: Runtime, settings: Settings) -> list:
    """The pages people open in a browser (the password-reset page, the dashboard, the
    status page), with the mail it sends, the on-call calendar feeds, and the routes
    monitoring systems send events to."""
    from adapters.mail import mailer_for  # wiring
    from adapters.monitoring import monitoring_routes  # wiring
    from adapters.web import (  # wiring
        dashboard_routes,
        oncall_feed_routes,
        reset_routes,
        status_page_routes,
    )

    return (
        reset_routes(runtime, mailer_for(settings))
        + oncall_feed_routes(runtime)
        + monitoring_routes(runtime, runtime.intake)
        + dashboard_routes(runtime)
        + status_page_routes(runtime)
    )


async def run_console(settings: Settings, loaded, platforms, user: str | None) -> int:
    import asyncio

    from adapters.console import ConsoleSession  # wiring
    from bot.runtime import Runtime

    directory = directory_factory(settings, loaded.config)
    runtime = Runtime(settings, loaded.config, platforms=platforms, directory=directory)
    await asyncio.to_thread(runtime.prepare)
    await asyncio.to_thread(runtime.start_periodic_jobs)  # the console fires timers too
    interactive = sys.stdin.isatty()
    try:
        session = ConsoleSession(runtime, sys.stdout, user)
    except Exception:
        runtime.close()
        raise
    if user and user not in session.people():
        print(
            f"deskbot: unknown person '{user}'. People: {', '.join(session.people())}.",
            file=sys.stderr,
        )
        return 2
    greet(session, loaded, "")
    stop = asyncio.Event()
    _stop_on_signals(stop, [])
    try:
        await _console_then_stop(session, stop, interactive)
    finally:
        runtime.close()
    return 0


async def run_services(settings: Settings, loaded, command: str) -> int:
    """run / serve / worker / discord: the long-running process roles."""
    import asyncio

    from bot.runtime import Runtime
    from bot.web import build_web_app, listen, serve

    # Console rows are only written when this very process shows a console.
    console = command == "run" and not settings.chat_platforms
    platforms = ("console",) if console else settings.chat_platforms
    directory = directory_factory(settings, loaded.config)
    runtime = Runtime(settings, loaded.config, platforms=platforms, directory=directory)
    await asyncio.to_thread(runtime.prepare)
    stop = asyncio.Event()
    adapters = chat_adapters(runtime, settings)
    _stop_on_signals(stop, adapters)
    if command == "discord":
        adapters = [a for a in adapters if a.platform == "discord"]
        if not adapters:
            print("deskbot: set DISCORD_TOKEN to connect to Discord.", file=sys.stderr)
            return 2
    tasks = []
    if command in ("run", "serve"):
        try:
            sock = listen(settings.port)
        except OSError as exc:
            print(f"deskbot: {exc}; set PORT to a free port.", file=sys.stderr)
            runtime.close()
            return 2
    live = {"run": {"slack", "discord"}, "serve": {"slack"}, "discord": {"discord"}}.get(
        command, set()
    )
    if command in ("run", "serve"):
        from adapters.web import WebMetrics  # wiring

        web_metrics = WebMetrics(runtime)  # /metrics, and the timing and log line of requests
        app = build_web_app(
            runtime,
            [r for a in adapters for r in a.routes()]
            + web_pages(runtime, settings)
            + web_metrics.routes(),
            connections=_live_connections(adapters, live, settings),
            middleware=[web_metrics.middleware()],
        )
        tasks.append(asyncio.create_task(serve(app, sock, stop, settings.trusted_proxies)))
    if command in ("run", "worker"):
        await asyncio.to_thread(runtime.start_periodic_jobs)
        for adapter in adapters:
            runtime.add_sender(adapter.platform, adapter.sender())
        tasks.append(asyncio.create_task(runtime.worker.run(stop)))
    tasks += [asyncio.create_task(a.run(stop)) for a in adapters if a.platform in live]
    # Every process with an adapter takes over interactions a dead process acknowledged.
    tasks += [asyncio.create_task(a.pipeline.keep_recovering(stop)) for a in adapters]
    if command == "run" and not adapters:
        from adapters.console import ConsoleSession  # wiring

        print(connect_hint(settings))
        session = ConsoleSession(runtime, sys.stdout)
        greet(session, loaded, f" The web server is on port {settings.port}.")
        interactive = sys.stdin.isatty()
        tasks.append(asyncio.create_task(_console_then_stop(session, stop, interactive)))
    else:
        print(start_line(command, settings, loaded, adapters, live), flush=True)
    failures: list[BaseException] = []
    for task in tasks:
        task.add_done_callback(lambda t: _stop_on_failure(t, stop, failures))
    try:
        await stop.wait()
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=10)
        for task in tasks:
            task.cancel()  # e.g. a console still waiting for a line of input
        await asyncio.gather(*tasks, return_exceptions=True)
        runtime.close()
    for failure in failures:
        if getattr(failure, "explained", False):  # e.g. Slack refused a token: say only that
            print(f"deskbot: {failure}", file=sys.stderr)
        else:
            print(f"deskbot: stopped because a part failed: {failure!r}", file=sys.stderr)
    return 1 if failures else 0


def start_line(command: str, settings: Settings, loaded, adapters, live: set[str]) -> str:
    """One line saying what this process runs, where, on which database and configuration."""
    web = f"http://localhost:{settings.port}"
    parts = []
    if command in ("run", "serve"):
        parts.append(f"web server on {web} (health {web}/healthz, readiness {web}/readyz)")
    for adapter in adapters:
        if adapter.platform == "slack" and "slack" in live:
            if settings.slack_app_token:
                parts.append("Slack in Socket Mode")
            elif settings.slack_signing_secret:
                parts.append(f"Slack over HTTP (events at {web}/slack/events)")
        elif adapter.platform == "discord" and "discord" in live:
            parts.append("the Discord gateway")
    if command in ("run", "worker"):
        names = ", ".join(a.platform.capitalize() for a in adapters) or "no chat platform"
        parts.append(f"the worker (timers, escalations, delivery to {names})")
    if command == "serve" and settings.slack_enabled and not settings.slack_signing_secret:
        parts.append("no Slack HTTP endpoint (SLACK_SIGNING_SECRET is not set)")
    if command in ("run", "serve"):
        parts += _monitoring(loaded.config.policy.events)
    config = (
        "examples/deskbot.yaml (the example company)"
        if loaded.is_example
        else str(settings.config_path)
    )
    database = _mask_password(settings.database_url)
    return f"deskbot {command}: {'; '.join(parts)}; database {database}; config {config}"


def _monitoring(events) -> list[str]:
    """What the start line says of monitoring integrations: which listen, which cannot."""
    ready = [i.name for i in events.integrations.values() if i.token]
    unset = [
        f"{i.name} ({i.token_env} is not set)" for i in events.integrations.values() if not i.token
    ]
    found = []
    if ready:
        found.append("monitoring events from " + ", ".join(ready))
    if unset:
        found.append("refusing events from " + ", ".join(unset))
    return found


def _mask_password(url: str) -> str:
    """postgresql://user:secret@host/db → postgresql://user:***@host/db"""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _live_connections(adapters, live: set[str], settings: Settings) -> dict:
    """The connections this process holds, for /readyz: Slack's Socket Mode (not HTTP mode)."""
    found = {}
    for adapter in adapters:
        connected = getattr(adapter, "connected", None)
        holds = adapter.platform != "slack" or bool(settings.slack_app_token)
        if connected is not None and adapter.platform in live and holds:
            found[adapter.platform] = connected
    return found


def _stop_on_signals(stop: asyncio.Event, adapters) -> None:
    """SIGINT/SIGTERM: stop in one line (finishing work in flight); a second one: stop now."""
    import asyncio

    loop = asyncio.get_running_loop()

    def stopping() -> None:
        if stop.is_set():
            print("deskbot: stopping now.", file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(130)
        in_flight = sum(a.pipeline.pending for a in adapters)
        if in_flight:
            print(
                f"deskbot: stopping; finishing {in_flight} request(s) in flight "
                "(press Ctrl-C again to stop now)…",
                file=sys.stderr,
                flush=True,
            )
        else:
            # On a terminal the line starts after the console's prompt (or the ^C).
            start = "\n" if sys.stdin.isatty() else ""
            print(f"{start}deskbot: stopping (nothing in flight)…", file=sys.stderr, flush=True)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping)


def _stop_on_failure(task: asyncio.Task, stop: asyncio.Event, failures: list) -> None:
    """One failed part (web server, worker, adapter) stops the process instead of hanging."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        failures.append(error)
        stop.set()


def greet(session, loaded, extra: str) -> None:
    """The console's first lines: which company this is and who you are."""
    if loaded.is_example:
        session.write(
            "No deskbot.yaml here, so this is the example company (examples/deskbot.yaml): "
            "alice is an employee, bob an agent, carol leads network."
        )
    session.write(
        f"deskbot console — you are {session.user}. "
        f"Type /desk help, or :help for console commands.{extra}"
    )


async def _console_then_stop(session, stop: asyncio.Event, interactive: bool) -> None:
    """Run the console until its input ends or `stop` (a signal): waiting for a line of
    input is nothing in flight, so stopping never waits for one."""
    import asyncio

    reading = asyncio.create_task(session.run(sys.stdin, echo=not interactive, prompt=interactive))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({reading, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not reading.done():
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        stop.set()
    if not reading.cancelled():
        reading.result()  # an error in the session stops the process and is reported
