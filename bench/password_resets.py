"""Password resets against a real slapd: --resets whole flows, one person each.

Starts slapd as the tests do (tests/ldap/slapd.py: ppolicy on, a service account), adds
`--resets` people, then runs each flow in-process as deskbot does it: /desk password (the
flow, the DM), the link's token minted at delivery, the page opened (the code made and
hashed with scrypt), the code checked (scrypt again), the new password set in slapd
through ldap3 (ppolicy checks it). Reports the throughput and each step's percentiles,
and how much of the time slapd itself took.

    python -m bench.password_resets [--resets 1000] [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

from adapters.directory import ldap_factory
from bench import support
from bench.command_path import percentiles
from bot.config import example_config_path, load_config_text
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from bot.settings import Settings
from domain import requests
from domain.requests.records import PasswordReset
from tests.ldap.slapd import BASE, POLICY, SERVICE, SERVICE_PASSWORD, person_dn, start_slapd


def people_ldif(count: int) -> str:
    return (
        "\n\n".join(
            f"dn: {person_dn(f'user{i}')}\nobjectClass: inetOrgPerson\n"
            f"objectClass: extensibleObject\nuid: user{i}\n"
            f"cn: User {i}\nsn: {i}\nmail: user{i}@example.com\notherMailbox: user{i}@home.example\n"
            "userPassword: Spring-Garden-26"
            for i in range(count)
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=1000)
    support.add_database_options(parser)
    args = parser.parse_args()
    slapd = start_slapd()
    try:
        slapd.ldap("ldapadd", stdin=people_ldif(args.resets))
        text = (
            example_config_path()
            .read_text()
            .replace(
                "directory:\n  kind: builtin\n",
                f'directory:\n  kind: ldap\n  url: {slapd.url}\n  base_dn: "{BASE}"\n'
                f'  bind_dn: "{SERVICE}"\n  policy_dn: "{POLICY}"\n',
            )
        )
        config = load_config_text(text)
        spent: dict[str, float] = defaultdict(float)
        shared = ldap_factory(config.directory, SERVICE_PASSWORD)(None)
        timed = support.TimedDirectory(shared, spent)
        with support.bench_database(args.database_url, reset=args.reset) as url:
            runtime = Runtime(
                Settings(database_url=url, config_path=None),
                config,
                platforms=("console",),
                directory=lambda session: timed,
            )
            runtime.prepare()
            steps: dict[str, list[float]] = defaultdict(list)
            dispatcher = runtime.dispatcher
            started = time.perf_counter()
            for i in range(args.resets):
                who = PlatformIdentity("slack", f"U{i:06d}", f"user{i}")
                browser = f"browser {i}"
                mark = time.perf_counter()
                reply = dispatcher.execute(who, "/desk password")
                assert reply.ok, reply.text
                mark = _step(steps, "start", mark)
                with dispatcher.unit_of_work() as ctx:
                    reset_id = (
                        ctx.session.query(PasswordReset.id).filter_by(person=f"user{i}").scalar()
                    )
                    token = requests.mint_reset_token(ctx, reset_id)
                mark = _step(steps, "mint", mark)
                with dispatcher.unit_of_work() as ctx:
                    _, code = requests.open_link(ctx, token, browser)
                mark = _step(steps, "open", mark)
                with dispatcher.unit_of_work() as ctx:
                    requests.check_code(ctx, token, browser, code.code)
                mark = _step(steps, "code", mark)
                with dispatcher.unit_of_work() as ctx:
                    requests.set_new_password(
                        ctx, token, browser, f"Harbour-Lamp-{i}-Blue", f"Harbour-Lamp-{i}-Blue"
                    )
                _step(steps, "password", mark)
            elapsed = time.perf_counter() - started
            print("\n".join(support.describe_machine(runtime)))
            runtime.close()
        assert slapd.whoami(f"user{args.resets - 1}", f"Harbour-Lamp-{args.resets - 1}-Blue")
    finally:
        slapd.stop()
    print(
        f"{args.resets} password resets in {elapsed:.1f} s: {args.resets / elapsed:.1f} resets/s; "
        f"slapd's own time {sum(spent.values()):.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(spent.items()))
        + ")"
    )
    for name, timings in steps.items():
        print(f"{name:>9}: {percentiles(timings)} · mean {statistics.fmean(timings):.2f} ms")


def _step(steps: dict[str, list[float]], name: str, since: float) -> float:
    now = time.perf_counter()
    steps[name].append((now - since) * 1000)
    return now


if __name__ == "__main__":
    main()
