"""Access management against a real slapd: reconciliation and the expiry sweep over
`--grants` active grants, and the approval round trip.

Starts slapd as the tests do (tests/ldap/slapd.py), adds `--grants` people (p0, p1, …)
and bulk-inserts one active grant each into deskbot's database (a third each of
prod-db:read, prod-db:admin and grafana:editor; expiries spread evenly over the next 24
hours; the timers a real grant has: `access_expiry`, and `access_remind_hour` an hour
before for grants longer than an hour — already fired when that hour has passed), and
puts every holder in its group in slapd (one ldapmodify per group). Drift is planted: two
people in prod-db-read nobody granted, two grants that expired whose holder is still in
prod-db-admin, two held grants whose holder slapd lacks, and one ungranted member of
grafana-editors (not drift: grafana is not managed exclusively).

1. Reconciliation: `access.reconcile(ctx, grace)` over every resource, in one unit of
   work; it must find exactly the planted drift.
2. Expiry sweep: the manual clock advanced 24 h, then `runtime.timers.run_due()` until
   nothing fires; afterwards ldapsearch must show no holder left in any group (only the
   planted ungranted members) and every grant must be `expired`.
3. Approval round trip: `--approvals` times, alice-like requesters (fresh people from the
   seeded ones, on Slack) ask `/access request prod-db --role read --for 1h …` and frank
   answers `/access approve ACC-n` through the dispatcher as chat adapters call it (slapd
   adds the member; the DM is written to the outbox). The directory's own time, measured
   by a proxy around the directory the factory makes, is subtracted from the approval.

slapd: the tests' configuration has no indexes, so every search for a person by uid reads
all of them (about 25 ms each with 10,000 people). A directory in service has at least
`index objectClass,uid eq`; the benchmark adds that (and re-indexes the seeded tree with
slapindex) unless `--slapd-index none`.

Targets (issue 12): sweep and reconciliation of 10,000 grants under 10 s each; the
approval's p99 without the directory's time under 50 ms.

    python -m bench.access [--grants 10000] [--approvals 500] [--slapd-index none]
                           [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from adapters.directory import ldap_factory
from bench import support
from bench.command_path import percentiles
from bench.known_errors import percentile
from bot.config import example_config_path, load_config_text
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from bot.settings import Settings
from domain import access
from domain.access.records import AccessGrant
from domain.clock import ManualClock
from domain.context import Actor
from domain.records import OutboxMessage, Timer
from tests.ldap.slapd import BASE, SERVICE, SERVICE_PASSWORD, person_dn, start_slapd

SWEEP_TARGET_S = 10.0
RECONCILE_TARGET_S = 10.0
APPROVAL_TARGET_MS = 50.0
GRACE = Actor("grace", frozenset({"employee", "agent", "admin"}), "Grace Hopper")
# (resource, role, group, longest grant): a third of the grants each.
ROLES = [
    ("prod-db", "read", "prod-db-read", timedelta(hours=8)),
    ("prod-db", "admin", "prod-db-admin", timedelta(hours=8)),
    ("grafana", "editor", "grafana-editors", timedelta(days=30)),
]
GROUPS = [group for _, _, group, _ in ROLES]
# Planted drift: members nobody granted (x…), ended grants still in slapd (e…), held
# grants slapd lacks (m…); g0 is in grafana-editors without a grant (not exclusive).
NOT_GRANTED = ("x0", "x1")
ENDED = ("e0", "e1")
MISSING = ("m0", "m1")
UNMANAGED = ("g0",)


def people_ldif(names: list[str]) -> str:
    return (
        "\n\n".join(
            f"dn: {person_dn(n)}\nobjectClass: inetOrgPerson\nuid: {n}\ncn: Person {n}\n"
            f"sn: {n}\nmail: {n}@example.com"
            for n in names
        )
        + "\n"
    )


def members_ldif(group: str, names: list[str]) -> str:
    return f"dn: cn={group},ou=groups,{BASE}\nchangetype: modify\nadd: member\n" + "".join(
        f"member: {person_dn(n)}\n" for n in names
    )


def grant_rows(count: int, now) -> Iterator[tuple[dict, str]]:
    """(grant row, holder's group) for `count` active grants expiring over the next day."""
    for i in range(count):
        resource, role, group, longest = ROLES[i % 3]
        expires = now + timedelta(seconds=1 + (86_399 * i) // count)
        # Durations from 30 minutes to the resource's longest, so some get no reminder.
        duration = timedelta(minutes=30) + (longest - timedelta(minutes=30)) * (
            (i * 7919 % 97) / 96
        )
        duration = timedelta(seconds=int(duration.total_seconds()))
        yield _grant(f"p{i}", resource, role, group, "granted", expires, duration), group


def _grant(person, resource, role, group, state, expires, duration, **more) -> dict:
    approved = expires - duration
    return {
        "resource": resource,
        "role": role,
        "group_name": group,
        "person": person,
        "reason": "benchmark",
        "state": state,
        "ending": None,
        "duration_s": int(duration.total_seconds()),
        "approvers": "carol,frank" if resource == "prod-db" else "dave",
        "approvals_required": 1,
        "break_glass": False,
        "renewal_of": None,
        "requested_at": approved - timedelta(minutes=5),
        "approved_at": approved,
        "expires_at": expires,
        "ended_at": None,
        "ended_by": None,
        "end_reason": None,
        "updated_at": approved,
    } | more


def timer_rows(grants: list[dict], first_id: int, now) -> Iterator[dict]:
    """The timers the grants would have: reminders an hour (and a day) before, the expiry."""
    for offset, grant in enumerate(grants):
        if grant["state"] != "granted":
            continue
        subject = {"subject_type": "access", "subject_id": str(first_id + offset)}
        duration = timedelta(seconds=grant["duration_s"])
        for kind, before in (
            ("access_remind_day", timedelta(days=1)),
            ("access_remind_hour", timedelta(hours=1)),
        ):
            if duration > before:
                due = grant["expires_at"] - before
                fired = due <= now
                yield subject | {
                    "kind": kind,
                    "due_at": due,
                    "state": "fired" if fired else "pending",
                    "fired_at": due if fired else None,
                }
        yield subject | {
            "kind": "access_expiry",
            "due_at": grant["expires_at"],
            "state": "pending",
            "fired_at": None,
        }


def ldap_config(slapd):
    text = (
        example_config_path()
        .read_text()
        .replace(
            "directory:\n  kind: builtin\n",
            f'directory:\n  kind: ldap\n  url: {slapd.url}\n  base_dn: "{BASE}"\n'
            f'  bind_dn: "{SERVICE}"\n',
        )
    )
    return load_config_text(text)


def seed(runtime: Runtime, slapd, count: int, now) -> dict[str, list[str]]:
    """Grants, timers and slapd's members; returns each group's members as put in slapd."""
    grants: list[dict] = []
    members: dict[str, list[str]] = defaultdict(list)
    for row, group in grant_rows(count, now):
        grants.append(row)
        members[group].append(row["person"])
    hour = timedelta(hours=1)
    for name in MISSING:  # held, but slapd never got them
        grants.append(
            _grant(name, "prod-db", "read", "prod-db-read", "granted", now + 3 * hour, 4 * hour)
        )
    for name in ENDED:  # expired yesterday; somebody put them back by hand
        grants.append(
            _grant(
                name,
                "prod-db",
                "admin",
                "prod-db-admin",
                "expired",
                now - 20 * hour,
                2 * hour,
                ended_at=now - 20 * hour,
                ended_by="deskbot",
                end_reason="its time ran out",
            )
        )
        members["prod-db-admin"].append(name)
    members["prod-db-read"] += NOT_GRANTED
    members["grafana-editors"] += UNMANAGED
    everybody = [g["person"] for g in grants] + [*NOT_GRANTED, *UNMANAGED]
    slapd.ldap("ldapadd", stdin=people_ldif(everybody))
    for group in GROUPS:
        slapd.ldap("ldapmodify", stdin=members_ldif(group, members[group]))
    support.bulk_insert(runtime, AccessGrant.__table__, grants)
    with runtime.database.transaction() as session:
        first = session.scalar(select(func.min(AccessGrant.id)))
    support.bulk_insert(runtime, Timer.__table__, timer_rows(grants, first, now))
    return members


def index(slapd, attributes: str) -> None:
    """Stop slapd, add `index <attributes> eq` and keep groups' members sorted (`sortvals
    member`: a modify of a large group then finds each value by binary search, as the
    slapd.conf manual advises), index what it holds, start it again."""
    slapd.stop()
    conf = slapd.root / "slapd.conf"
    text = conf.read_text().replace("\ndatabase ", "\nsortvals member\ndatabase ", 1)
    conf.write_text(text + f"index {attributes} eq\n")
    subprocess.run(["/usr/sbin/slapindex", "-q", "-f", str(conf)], check=True)
    slapd.start()


def _slapd_version() -> str:
    done = subprocess.run(["/usr/sbin/slapd", "-VV"], capture_output=True, text=True)
    found = re.search(r"slapd (\S+)", done.stderr + done.stdout)
    return f"OpenLDAP {found.group(1)}" if found else "OpenLDAP"


def expected_drift() -> set[tuple[str, str, str]]:
    return (
        {("prod-db-read", n, "not_granted") for n in NOT_GRANTED}
        | {("prod-db-admin", n, "ended") for n in ENDED}
        | {("prod-db-read", n, "missing") for n in MISSING}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=10_000)
    parser.add_argument("--approvals", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--slapd-index",
        default="objectClass,uid",
        help="attributes slapd indexes for equality ('none': the tests' slapd as it is)",
    )
    support.add_database_options(parser)
    args = parser.parse_args()
    slapd = start_slapd()
    report: list[str] = []
    try:
        if args.slapd_index != "none":
            index(slapd, args.slapd_index)
        config = ldap_config(slapd)
        factory = ldap_factory(config.directory, SERVICE_PASSWORD)
        spent: dict[str, float] = defaultdict(float)

        def directory(session):
            return support.TimedDirectory(factory(session), spent)

        clock = ManualClock()
        with support.bench_database(args.database_url, reset=args.reset) as url:
            runtime = Runtime(
                Settings(database_url=url, config_path=None),
                config,
                platforms=("console",),
                clock=clock,
                directory=directory,
            )
            runtime.prepare()
            started = time.perf_counter()
            seed(runtime, slapd, args.grants, clock.now())
            seeded = time.perf_counter() - started
            support.settle(runtime)
            report += support.describe_machine(runtime)
            report.append(
                f"slapd: {_slapd_version()}; equality indexes: {args.slapd_index}"
                + ("; sortvals member" if args.slapd_index != "none" else "")
            )
            report.append(
                f"grants: {args.grants:,} active (+ planted drift), seeded in {seeded:.1f} s"
            )
            report += reconcile(runtime, spent)
            report += sweep(runtime, slapd, clock, spent, args.grants)
            report += approvals(runtime, slapd, spent, args.approvals, args.warmup, args.grants)
            runtime.close()
    finally:
        slapd.stop()
        shutil.rmtree(slapd.root, ignore_errors=True)
    print("\n".join(report))


def reconcile(runtime: Runtime, spent: dict[str, float]) -> list[str]:
    spent.clear()
    start = time.perf_counter()
    with runtime.dispatcher.unit_of_work() as ctx:
        found = access.reconcile(ctx, GRACE)
    elapsed = time.perf_counter() - start
    drift = {(d.group, d.person, d.kind) for d in found.drift}
    assert not found.failed, found.failed
    assert drift == expected_drift(), sorted(drift ^ expected_drift())
    directory = sum(spent.values())
    met = "met" if elapsed < RECONCILE_TARGET_S else "MISSED"
    return [
        f"reconcile: {elapsed:.2f} s (directory {directory:.2f} s: "
        + _calls(spent)
        + f"); found exactly the {len(drift)} planted drifts · target < {RECONCILE_TARGET_S:.0f} s: {met}"
    ]


def sweep(runtime: Runtime, slapd, clock: ManualClock, spent, count: int) -> list[str]:
    spent.clear()
    clock.advance(timedelta(hours=24))
    fired = passes = 0
    start = time.perf_counter()
    while done := runtime.timers.run_due():
        fired += done
        passes += 1
    elapsed = time.perf_counter() - start
    with runtime.database.transaction() as session:
        states = Counter(
            dict(
                session.execute(
                    select(AccessGrant.state, func.count()).group_by(AccessGrant.state)
                ).all()
            )
        )
        timers = Counter(
            dict(
                session.execute(
                    select(Timer.kind, func.count())
                    .where(
                        Timer.state == "fired", Timer.fired_at >= clock.now() - timedelta(hours=24)
                    )
                    .group_by(Timer.kind)
                ).all()
            )
        )
        outbox = session.scalar(select(func.count(OutboxMessage.id)))
    left = {group: slapd.members(group) for group in GROUPS}  # ldapsearch, not deskbot
    if states != Counter({"expired": count + len(MISSING) + len(ENDED)}):
        with runtime.database.transaction() as session:
            failed = Counter(
                session.scalars(
                    select(access.AccessEvent.text).where(
                        access.AccessEvent.kind == "directory_failed"
                    )
                )
            )
        raise AssertionError(f"{states}; the directory failed: {dict(failed)}")
    assert left == {
        "prod-db-read": sorted(NOT_GRANTED),
        "prod-db-admin": sorted(ENDED),
        "grafana-editors": sorted(UNMANAGED),
    }, {g: m[:5] for g, m in left.items()}
    directory = sum(spent.values())
    met = "met" if elapsed < SWEEP_TARGET_S else "MISSED"
    return [
        f"sweep: {elapsed:.2f} s for {fired:,} timers in {passes} run_due passes "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(timers.items()))}); "
        f"directory {directory:.2f} s ({_calls(spent)}); outbox rows {outbox:,}; "
        f"every grant expired, groups hold only the planted ungranted members · "
        f"target < {SWEEP_TARGET_S:.0f} s: {met}"
    ]


def approvals(runtime: Runtime, slapd, spent, runs: int, warmup: int, seeded: int) -> list[str]:
    dispatcher = runtime.dispatcher
    frank = PlatformIdentity("console", "frank")
    # Requesters: seeded people whose grants have expired (in slapd, with no access now).
    timings: dict[str, list[float]] = defaultdict(list)
    for i in range(warmup + runs):
        name = f"p{(3 * i) % seeded}"  # prod-db-read holders before the sweep
        who = PlatformIdentity("slack", f"U{i:07d}", name, f"{name}@example.com")
        start = time.perf_counter()
        asked = dispatcher.execute(
            who, f'/access request prod-db --role read --for 1h "report {i}"'
        )
        middle = time.perf_counter()
        assert asked.ok, asked.text
        key = re.search(r"ACC-\d+", asked.text).group(0)
        spent.clear()
        approved = dispatcher.execute(frank, f"/access approve {key}")
        end = time.perf_counter()
        assert approved.ok and "now active" in approved.text, approved.text
        if i < warmup:
            continue
        directory = sum(spent.values())
        timings["request"].append((middle - start) * 1000)
        timings["approve"].append((end - middle) * 1000)
        timings["directory"].append(directory * 1000)
        timings["approve − directory"].append((end - middle - directory) * 1000)
    held = slapd.members("prod-db-read")
    assert len(held) == warmup + runs + len(NOT_GRANTED), len(held)
    with runtime.database.transaction() as session:
        dms = session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "access_news")
        )
    lines = [
        f"approval round trip: {runs} after {warmup} untimed; slapd holds all {len(held)} members; {dms:,} access_news DMs in the outbox"
    ]
    for name, found in timings.items():
        verdict = ""
        if name == "approve − directory":
            met = percentile(found, 99) < APPROVAL_TARGET_MS
            verdict = f" · target p99 < {APPROVAL_TARGET_MS:.0f} ms: " + (
                "met" if met else "MISSED"
            )
        lines.append(f"{name:>20}: {percentiles(found)}{verdict}")
    return lines


def _calls(spent: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f} s" for k, v in sorted(spent.items())) or "no calls"


if __name__ == "__main__":
    main()
