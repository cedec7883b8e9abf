"""Benchmark: known-error matching at intake, and /kb search, on a large known-error database.

Seeds N historic incidents (default 100,000; the rows of bench.command_path) and K known
errors (default 10,000), each with its problem, by bulk inserts through the tables: on
SQLite the FTS5 triggers index every known error as it is inserted, on PostgreSQL the GIN
index of the migration is in place before the first row. The known errors are generated
from a vocabulary of products, symptoms and circumstances over the example company's
services (a fifth with no service, a tenth no longer active).

Then, through `Dispatcher.execute` in-process, after a warm-up:

* `new`: `/incident new` with distinct titles, half of them worded after a known error
  (inflected, reordered; with its service, sometimes its category, a quarter with no
  service), half requests that share at most one word with any known error;
* `match`: `match_known_error` alone for the same kind of reports, in a unit of work;
* `kb`: `/kb search` with 2–4 words of the vocabulary.

and prints percentiles, and how many reports of each half were offered a workaround.

    python -m bench.known_errors [--incidents 100000] [--known-errors 10000] [--runs 1000]
                                 [--decisions FILE] [--database-url URL [--reset]]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import support
from bench.command_path import historic_incidents, percentiles
from bot.identity import PlatformIdentity
from domain import problems
from domain.clock import SystemClock
from domain.incidents import IncidentRecord
from domain.problems import KnownErrorRecord, ProblemRecord

OFFERED = re.compile(r"This looks like (KE-\d+)")
FOUND = re.compile(r"^  (KE-\d+)", re.MULTILINE)
TARGETS = {"new": 5.0, "kb": 20.0}  # p99, ms, on SQLite (the targets; none for PostgreSQL)

# product → its service (None: not one of the desk's services)
PRODUCTS: dict[str, str | None] = {
    "VPN": "vpn",
    "GlobalProtect": "vpn",
    "VPN client": "vpn",
    "remote access gateway": "vpn",
    "AnyConnect": "vpn",
    "split tunnel": "vpn",
    "VPN token": "vpn",
    "Zscaler": "vpn",
    "jump host": "vpn",
    "remote desktop gateway": "vpn",
    "Wi-Fi": "wifi",
    "wireless network": "wifi",
    "guest network": "wifi",
    "access point": "wifi",
    "CorpNet SSID": "wifi",
    "captive portal": "wifi",
    "wireless adapter": "wifi",
    "mesh node": "wifi",
    "802.1X profile": "wifi",
    "Wi-Fi certificate": "wifi",
    "Outlook": "email",
    "Exchange mailbox": "email",
    "webmail": "email",
    "shared mailbox": "email",
    "team calendar": "email",
    "distribution list": "email",
    "spam filter": "email",
    "mail merge": "email",
    "out-of-office reply": "email",
    "mailbox archive": "email",
    "room booking": "email",
    "email signature": "email",
    "Outlook add-in": "email",
    "mobile mail app": "email",
    "meeting invite": "email",
    "laptop": "laptop",
    "docking station": "laptop",
    "external monitor": "laptop",
    "printer": "laptop",
    "webcam": "laptop",
    "Teams": "laptop",
    "OneDrive": "laptop",
    "BitLocker": "laptop",
    "keyboard": "laptop",
    "touchpad": "laptop",
    "battery": "laptop",
    "Excel": "laptop",
    "Chrome": "laptop",
    "Zoom": "laptop",
    "headset": "laptop",
    "Word": "laptop",
    "PowerPoint": "laptop",
    "Edge": "laptop",
    "Firefox": "laptop",
    "Acrobat Reader": "laptop",
    "Visio": "laptop",
    "AutoCAD": "laptop",
    "Slack": "laptop",
    "Webex": "laptop",
    "Citrix Workspace": "laptop",
    "Windows Hello": "laptop",
    "fingerprint reader": "laptop",
    "USB-C charger": "laptop",
    "SSD": "laptop",
    "graphics driver": "laptop",
    "Bluetooth mouse": "laptop",
    "scanner": "laptop",
    "label printer": "laptop",
    "Company Portal": "laptop",
    "Intune agent": "laptop",
    "antivirus": "laptop",
    "Windows Explorer": "laptop",
    "Notepad++": "laptop",
    "Python installer": "laptop",
    "Docker Desktop": "laptop",
    "SSO": None,
    "SAP": None,
    "Jira": None,
    "Confluence": None,
    "Salesforce": None,
    "Workday": None,
    "intranet": None,
    "badge reader": None,
    "expenses app": None,
    "HR portal": None,
    "ServiceNow": None,
    "Okta": None,
    "GitLab": None,
    "Power BI": None,
    "Tableau": None,
    "DocuSign": None,
    "payroll portal": None,
    "travel booking tool": None,
    "learning portal": None,
    "timesheet app": None,
    "CRM dashboard": None,
    "file share": None,
    "SharePoint site": None,
    "Dropbox": None,
    "password manager": None,
}
CATEGORIES = {
    "vpn": ["connectivity", "authentication", "performance"],
    "wifi": ["connectivity", "performance"],
    "email": ["delivery", "mailbox", "calendar", "spam"],
    "laptop": ["hardware", "software", "peripherals"],
}
OWNERS = {"vpn": "network", "wifi": "network", "email": "messaging", "laptop": "service-desk"}
# a symptom as a known error states it, and as a reporter words it (same stems)
SYMPTOMS = [
    ("crashes on start", "crashed on start"),
    ("freezes", "keeps freezing"),
    ("drops the connection", "dropped my connection"),
    ("disconnects", "disconnected again"),
    ("is very slow", "slow"),
    ("asks for the password", "keeps asking for my password"),
    ("shows a certificate error", "certificate error shown"),
    ("cannot connect", "not connecting"),
    ("stops syncing", "stopped syncing"),
    ("does not load", "won't load"),
    ("loops on login", "login looping"),
    ("shows a blank screen", "blank screen"),
    ("times out", "timing out"),
    ("rejects the MFA code", "MFA code rejected"),
    ("loses its settings", "lost settings"),
    ("prints blank pages", "printing blank pages"),
    ("stays black", "black"),
    ("is not detected", "not detected"),
    ("overheats", "overheating"),
    ("drains the battery", "draining battery"),
    ("fills the disk", "disk filled"),
    ("hangs on update", "hanging on updates"),
    ("duplicates messages", "duplicated messages"),
    ("loses calendar invites", "calendar invites lost"),
]
CONTEXTS = [
    ("after sleep", "after sleeping"),
    ("after the Windows update", "since the Windows updates"),
    ("on floor 3", "on floor 3"),
    ("when working from home", "at home"),
    ("after the mailbox migration", "since the migration"),
    ("in meeting rooms", "in the meeting room"),
    ("when docked", "while docked"),
    ("over the VPN", "on VPN"),
    ("on the guest network", "on guest network"),
    ("after a password change", "after changing password"),
    ("at startup", "on startup"),
    ("with two monitors", "with 2 monitors"),
    ("in Chrome", "in Chrome"),
    ("on battery power", "on battery"),
    ("behind the proxy", "behind proxy"),
    ("on Monday mornings", "Monday morning"),
    ("after reimaging", "after reimage"),
    ("in the Berlin office", "Berlin office"),
    ("for new starters", "new starter"),
    ("on macOS", "on my Mac"),
]
DETAILS = [
    "Several users in the same team report it.",
    "Event log shows warning 4625 at the same time.",
    "Rebooting helps for a while.",
    "It started with the last client rollout.",
    "Only managed devices are affected.",
    "Support bundles were collected from three machines.",
]
CAUSES = [
    "A driver regression in the last rollout.",
    "An expired intermediate certificate on the gateway.",
    "A group policy that disables the cache.",
    "Token lifetime shorter than the sync interval.",
    "Firmware bug in the current model.",
    "Misconfigured load balancer health check.",
]
WORKAROUNDS = [
    "Restart the client and sign in again.",
    "Clear the cached credentials in Credential Manager.",
    "Unplug the device for ten seconds and plug it in again.",
    "Use the web version until the fix is deployed.",
    "Roll back the driver from Device Manager.",
    "Switch to the wired network or the 5 GHz SSID.",
]
# words that appear in no known error: requests, not faults
REQUESTS = [
    "Request",
    "Need",
    "Please grant",
    "Asking for",
    "Order",
    "Purchase approval for",
    "Onboarding",
    "Question about",
]
THINGS = [
    "licence for Visio",
    "ergonomic chair",
    "Adobe Acrobat Pro",
    "second phone",
    "parking permit",
    "admin rights on Ubuntu",
    "Figma seat",
    "Tableau viewer",
    "shared drive folder",
    "mobile hotspot",
    "name change",
    "desk move",
]
TEAMS = ["finance", "marketing", "legal", "sales", "research", "facilities", "payroll", "design"]


def known_errors(count: int, seed: int = 7) -> Iterator[tuple[dict, dict]]:
    """`count` (problem row, known error row) pairs with distinct titles."""
    rng = random.Random(seed)
    now = SystemClock().now()
    combos = [(p, s, c) for p in PRODUCTS for s in range(len(SYMPTOMS)) for c in CONTEXTS]
    rng.shuffle(combos)
    for n in range(1, count + 1):
        product, s, (context, _) = combos[(n - 1) % len(combos)]
        round_ = (n - 1) // len(combos)
        title = f"{product} {SYMPTOMS[s][0]} {context}" + (f" (build {round_})" if round_ else "")
        service = PRODUCTS[product]
        category = None
        if service is not None and rng.random() < 0.8:
            category = rng.choice(CATEGORIES[service])
        active = rng.random() >= 0.1
        symptoms = (
            f"Users report that the {product} {SYMPTOMS[s][0]} {context}. "
            f"{rng.choice(DETAILS)} Reference KB{40000 + n}."
        )
        opened = now - timedelta(days=400) + timedelta(minutes=n)
        problem = {
            "id": n,
            "title": title[:200],
            "description": symptoms,
            "service": service,
            "category": category,
            "priority": "P3",
            "owner_team": OWNERS.get(service, "service-desk"),
            "assignee": "bob",
            "state": "known_error" if active else "resolved",
            "opened_by": "bob",
            "opened_at": opened,
            "updated_at": opened,
        }
        known = {
            "id": n,
            "problem_id": n,
            "title": title[:200],
            "symptoms": symptoms,
            "root_cause": rng.choice(CAUSES),
            "workaround": rng.choice(WORKAROUNDS),
            "service": service,
            "category": category,
            "active": active,
            "created_by": "bob",
            "created_at": opened,
            "updated_at": opened,
        }
        yield problem, known


def reports(count: int, seed: int) -> list[tuple[bool, str, dict[str, str]]]:
    """`count` distinct incident reports: (worded after a known error?, title, flags)."""
    rng = random.Random(seed)
    found: list[tuple[bool, str, dict[str, str]]] = []
    seen: set[str] = set()
    n = 0
    while len(found) < count:
        n += 1
        if n % 2:
            product = rng.choice([p for p, s in PRODUCTS.items() if s is not None])
            symptom = rng.choice(SYMPTOMS)[1]
            context = rng.choice(CONTEXTS)[1]
            title = rng.choice(
                [
                    f"My {product} {symptom} {context}",
                    f"{product}: {symptom} {context}",
                    f"{context.capitalize()} {product} {symptom}",
                ]
            ) + rng.choice(["", " again", " today", f" ({n})", f" #{n}"])
            flags = {} if rng.random() < 0.25 else {"service": PRODUCTS[product]}
            if flags and rng.random() < 0.3:
                flags["category"] = rng.choice(CATEGORIES[flags["service"]])
            matching = True
        else:
            title = f"{rng.choice(REQUESTS)} {rng.choice(THINGS)} for {rng.choice(TEAMS)} ({n})"
            service = rng.choice([None, "vpn", "wifi", "email", "laptop"])
            flags = {"service": service} if service else {}
            matching = False
        if title not in seen:
            seen.add(title)
            found.append((matching, title, flags))
    return found


def kb_queries(count: int, seed: int) -> list[str]:
    """Searches of 2–4 words, as people type them."""
    rng = random.Random(seed)
    words = sorted(
        {
            w
            for text in [
                *PRODUCTS,
                *(s for pair in SYMPTOMS for s in pair),
                *(c for c, _ in CONTEXTS),
            ]
            for w in text.lower().split()
            if len(w) > 2 and w not in {"the", "and", "for", "not", "after", "with", "when"}
        }
    )
    queries = []
    for _ in range(count):
        product = rng.choice(list(PRODUCTS)).lower().split()[-1]
        more = rng.sample(words, rng.randint(1, 3))
        queries.append(" ".join([product, *more]))
    return queries


def command(flags: dict[str, str], title: str) -> str:
    return f'/incident new "{title}"' + "".join(f" --{k} {v}" for k, v in flags.items())


def measure(fn: Callable[[int], Any], runs: int, warmup: int) -> tuple[list[float], list[Any]]:
    """Milliseconds per call of fn(i) for i in range(runs), after `warmup` calls not timed."""
    for i in range(warmup):
        fn(runs + i)
    timings, results = [], []
    for i in range(runs):
        start = time.perf_counter()
        results.append(fn(i))
        timings.append((time.perf_counter() - start) * 1000)
    return timings, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--known-errors", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--decisions", help="write the known errors offered and found to this JSON file"
    )
    support.add_database_options(parser)
    args = parser.parse_args()
    with support.bench_database(args.database_url, reset=args.reset) as url:
        runtime = support.open_runtime(url)
        runtime.prepare()
        started = time.perf_counter()
        support.bulk_insert(runtime, IncidentRecord.__table__, historic_incidents(args.incidents))
        incidents_seeded = time.perf_counter() - started
        pairs = list(known_errors(args.known_errors))
        started = time.perf_counter()
        support.bulk_insert(runtime, ProblemRecord.__table__, (p for p, _ in pairs))
        support.bulk_insert(runtime, KnownErrorRecord.__table__, (k for _, k in pairs))
        known_seeded = time.perf_counter() - started
        del pairs
        support.settle(runtime)
        dispatcher = runtime.dispatcher
        alice = PlatformIdentity("console", "alice")
        total = args.runs + args.warmup
        new_reports = reports(total, seed=1)
        match_reports = reports(total, seed=2)
        queries = kb_queries(total, seed=3)

        def new(i: int) -> tuple[bool, str | None]:
            matching, title, flags = new_reports[i]
            reply = dispatcher.execute(alice, command(flags, title))
            assert reply.ok, reply.text
            offered = OFFERED.search(reply.text)
            return matching, offered.group(1) if offered else None

        def match(i: int) -> tuple[bool, bool]:
            matching, title, flags = match_reports[i]
            incident = IncidentRecord(
                title=title,
                description="",
                service=flags.get("service"),
                category=flags.get("category"),
            )
            with dispatcher.unit_of_work() as ctx:
                found = problems.match_known_error(ctx, incident)
                return matching, found.key if found is not None else None

        def kb(i: int) -> list[str]:
            reply = dispatcher.execute(alice, f"/kb search {queries[i]}")
            assert reply.ok, reply.text
            return FOUND.findall(reply.text)

        results = {}
        outcomes = {}
        for name, fn in (("new", new), ("match", match), ("kb", kb)):
            results[name], outcomes[name] = measure(fn, args.runs, args.warmup)
        print("\n".join(support.describe_machine(runtime)))
        sqlite = runtime.database.is_sqlite
        runtime.close()
    print(
        f"incidents stored: {args.incidents:,} (seeded in {incidents_seeded:.1f} s); "
        f"known errors: {args.known_errors:,} with their problems (seeded in "
        f"{known_seeded:.1f} s, indexed as inserted); runs per measure: {args.runs} "
        f"after {args.warmup} untimed"
    )
    for name, timings in results.items():
        target = TARGETS.get(name) if sqlite else None
        verdict = ""
        if target is not None:
            met = percentile(timings, 99) < target
            verdict = f" · target p99 < {target:.0f} ms: " + ("met" if met else "MISSED")
        print(f"{name:>6}: {percentiles(timings)}{verdict}")
    for name in ("new", "match"):
        worded = [bool(key) for matching, key in outcomes[name] if matching]
        other = [bool(key) for matching, key in outcomes[name] if not matching]
        print(
            f"{name:>6}: workaround offered to {sum(worded)}/{len(worded)} reports worded "
            f"after a known error, {sum(other)}/{len(other)} others"
        )
    found = outcomes["kb"]
    print(
        f"    kb: {sum(map(bool, found))}/{len(found)} searches found something, "
        f"{sum(map(len, found)) / len(found):.1f} known errors listed on average"
    )
    if args.decisions:
        # The same seeds give the same reports on every database: compare the files.
        decisions = {name: [o[1] for o in outcomes[name]] for name in ("new", "match")}
        Path(args.decisions).write_text(json.dumps(decisions | {"kb": found}, indent=0))
        print(f"decisions written to {args.decisions}")


def percentile(timings: list[float], p: int) -> float:
    """As bench.command_path.percentiles computes them."""
    return statistics.quantiles(timings, n=100, method="inclusive")[p - 1]


if __name__ == "__main__":
    main()
