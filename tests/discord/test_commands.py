"""Slash commands: every subcommand of every command, through the real discord.py client.

Replies come back deferred, then edited, and only the asker sees them; what they say is
exactly what the console says for the same command, because both go through one grammar.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from adapters.console import ConsoleSession
from bot.commands import COMMANDS
from bot.config import load_config_text
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import ManualClock
from tests.discord.harness import config_text
from tests.fakes import discord_interactions as ix

# (who, the console line, the same command as Discord options): one incident's whole life.
SURVEY = 1  # the survey alice was asked when INC-1 closed (see the last lines)
SCRIPT: list[tuple[str, str, tuple[str, str, dict]]] = [
    ("alice", "/desk whoami", ("desk", "whoami", {})),
    ("alice", "/desk help", ("desk", "help", {})),
    ("alice", "/desk help incident new", ("desk", "help", {"topic": "incident new"})),
    (
        "alice",
        '/incident new "Mail stuck in outbox" --service email --impact high --urgency low '
        '--description "since 9:00, about 40 people"',
        (
            "incident",
            "new",
            {
                "title": "Mail stuck in outbox",
                "service": "email",
                "impact": "high",
                "urgency": "low",
                "description": "since 9:00, about 40 people",
            },
        ),
    ),
    (
        "alice",
        '/incident new "Printer jam" --service laptop --category hardware',
        ("incident", "new", {"title": "Printer jam", "service": "laptop", "category": "hardware"}),
    ),
    ("alice", "/incident list", ("incident", "list", {})),
    ("frank", "/incident list --team messaging", ("incident", "list", {"team": "messaging"})),
    ("alice", "/incident show INC-1", ("incident", "show", {"id": "INC-1"})),
    ("alice", "/incident claim INC-1", ("incident", "claim", {"id": "INC-1"})),
    ("frank", "/incident claim INC-1", ("incident", "claim", {"id": "INC-1"})),
    (
        "frank",
        '/incident note INC-1 "queue is 40k deep"',
        ("incident", "note", {"id": "INC-1", "text": "queue is 40k deep"}),
    ),
    (
        "frank",
        '/incident hold INC-1 "waiting for the vendor"',
        ("incident", "hold", {"id": "INC-1", "reason": "waiting for the vendor"}),
    ),
    ("frank", "/incident list --state on_hold", ("incident", "list", {"state": "on_hold"})),
    ("frank", "/incident resume INC-1", ("incident", "resume", {"id": "INC-1"})),
    (
        "frank",
        "/incident update INC-1 --urgency high",
        ("incident", "update", {"id": "INC-1", "urgency": "high"}),
    ),
    (
        "frank",
        "/incident assign INC-1 network",
        ("incident", "assign", {"id": "INC-1", "to": "network"}),
    ),
    (
        "carol",
        "/incident assign INC-1 carol",
        ("incident", "assign", {"id": "INC-1", "to": "carol"}),
    ),
    ("carol", "/incident list --mine", ("incident", "list", {"mine": True})),
    (
        "carol",
        '/incident resolve INC-1 "cleared the queue"',
        ("incident", "resolve", {"id": "INC-1", "resolution": "cleared the queue"}),
    ),
    (
        "alice",
        '/incident reopen INC-1 "still stuck"',
        ("incident", "reopen", {"id": "INC-1", "reason": "still stuck"}),
    ),
    (
        "carol",
        '/incident resolve INC-1 "restarted the relay"',
        ("incident", "resolve", {"id": "INC-1", "resolution": "restarted the relay"}),
    ),
    ("alice", "/incident close INC-1", ("incident", "close", {"id": "INC-1"})),
    ("alice", "/incident list --all", ("incident", "list", {"all": True})),
    (
        "alice",
        '/incident cancel INC-2 "it was out of paper"',
        ("incident", "cancel", {"id": "INC-2", "reason": "it was out of paper"}),
    ),
    ("alice", "/incident show INC-1", ("incident", "show", {"id": "INC-1"})),
    ("alice", "/incident show INC-99", ("incident", "show", {"id": "INC-99"})),
    # A problem's whole life, its known error and the incidents it explains.
    (
        "bob",
        '/problem new "Mail relay drops connections" --service email --impact high '
        '--urgency medium --description "the relay restarts under load"',
        (
            "problem",
            "new",
            {
                "title": "Mail relay drops connections",
                "service": "email",
                "impact": "high",
                "urgency": "medium",
                "description": "the relay restarts under load",
            },
        ),
    ),
    ("alice", "/problem show PRB-1", ("problem", "show", {"id": "PRB-1"})),
    ("bob", "/problem list", ("problem", "list", {})),
    ("bob", "/problem claim PRB-1", ("problem", "claim", {"id": "PRB-1"})),
    (
        "bob",
        "/problem assign PRB-1 messaging",
        ("problem", "assign", {"id": "PRB-1", "to": "messaging"}),
    ),
    (
        "frank",
        '/problem note PRB-1 "relay logs show it runs out of memory"',
        ("problem", "note", {"id": "PRB-1", "text": "relay logs show it runs out of memory"}),
    ),
    (
        "frank",
        "/problem link PRB-1 INC-1",
        ("problem", "link", {"id": "PRB-1", "incidents": "INC-1"}),
    ),
    (
        "frank",
        "/problem unlink PRB-1 INC-1",
        ("problem", "unlink", {"id": "PRB-1", "incident": "INC-1"}),
    ),
    (
        "alice",
        '/incident new "Mail to customers bounces" --service email',
        ("incident", "new", {"title": "Mail to customers bounces", "service": "email"}),
    ),
    (
        "frank",
        "/incident link INC-3 PRB-1",
        ("incident", "link", {"id": "INC-3", "problem": "PRB-1"}),
    ),
    (
        "frank",
        '/problem rca PRB-1 "the relay heap is too small"',
        ("problem", "rca", {"id": "PRB-1", "cause": "the relay heap is too small"}),
    ),
    (
        "frank",
        '/problem known-error PRB-1 --workaround "Send it again after a minute" '
        '--symptoms "mail relay bounces messages under load"',
        (
            "problem",
            "known-error",
            {
                "id": "PRB-1",
                "workaround": "Send it again after a minute",
                "symptoms": "mail relay bounces messages under load",
            },
        ),
    ),
    (
        "alice",
        '/incident new "The mail relay bounces my messages" --service email',
        ("incident", "new", {"title": "The mail relay bounces my messages", "service": "email"}),
    ),
    ("alice", "/incident broken INC-4", ("incident", "broken", {"id": "INC-4"})),
    ("alice", "/incident fixed INC-4", ("incident", "fixed", {"id": "INC-4"})),
    ("alice", "/kb search relay bounces", ("kb", "search", {"text": "relay bounces"})),
    ("alice", "/kb show KE-1", ("kb", "show", {"id": "KE-1"})),
    (
        "frank",
        '/problem resolve PRB-1 "doubled the relay heap"',
        ("problem", "resolve", {"id": "PRB-1", "resolution": "doubled the relay heap"}),
    ),
    (
        "frank",
        "/problem resolve-incidents PRB-1",
        ("problem", "resolve-incidents", {"id": "PRB-1"}),
    ),
    ("frank", "/problem close PRB-1", ("problem", "close", {"id": "PRB-1"})),
    (
        "bob",
        '/problem new "VPN certificate expiry" --service vpn',
        ("problem", "new", {"title": "VPN certificate expiry", "service": "vpn"}),
    ),
    (
        "bob",
        '/problem cancel PRB-2 "opened by mistake"',
        ("problem", "cancel", {"id": "PRB-2", "reason": "opened by mistake"}),
    ),
    # Incidents that keep coming back: a suggested problem, dismissed; then one adopted.
    *[
        (
            "alice",
            f'/incident new "{title}" --service {service}',
            ("incident", "new", {"title": title, "service": service}),
        )
        for title, service in (
            ("Wi-Fi drops on floor 2", "wifi"),
            ("No Wi-Fi in room 4.12", "wifi"),
            ("Guest Wi-Fi asks for a password", "wifi"),
        )
    ],
    ("carol", "/problem dismiss SUG-1", ("problem", "dismiss", {"id": "SUG-1"})),
    *[
        (
            "dave",
            f'/incident new "{title}" --service laptop',
            ("incident", "new", {"title": title, "service": "laptop"}),
        )
        for title in ("Laptop will not wake", "Laptop battery at 0%", "Laptop screen flickers")
    ],
    ("bob", "/problem adopt SUG-2", ("problem", "adopt", {"id": "SUG-2"})),
    # Requests: a licence approved and fulfilled, a laptop denied, a list joined at once.
    ("alice", "/request catalog", ("request", "catalog", {})),
    (
        "alice",
        "/request new software-licence product=Visio Professional seats=2",
        (
            "request",
            "new",
            {"item": "software-licence", "answers": "product=Visio Professional seats=2"},
        ),
    ),
    ("carol", "/request list --approvals", ("request", "list", {"approvals": True})),
    (
        "alice",
        '/request comment REQ-1 "for the network diagrams"',
        ("request", "comment", {"id": "REQ-1", "text": "for the network diagrams"}),
    ),
    ("carol", "/request approve REQ-1", ("request", "approve", {"id": "REQ-1"})),
    ("bob", "/request claim REQ-1", ("request", "claim", {"id": "REQ-1"})),
    (
        "bob",
        '/request done REQ-1 "installed; see the Start menu"',
        ("request", "done", {"id": "REQ-1", "note": "installed; see the Start menu"}),
    ),
    ("alice", "/request show REQ-1", ("request", "show", {"id": "REQ-1"})),
    (
        "alice",
        "/request new new-laptop model=developer needed_by=2030-01-31",
        (
            "request",
            "new",
            {"item": "new-laptop", "answers": "model=developer needed_by=2030-01-31"},
        ),
    ),
    (
        "carol",
        '/request deny REQ-2 "replaced last year"',
        ("request", "deny", {"id": "REQ-2", "reason": "replaced last year"}),
    ),
    (
        "alice",
        "/request new distribution-list list=sales-news",
        ("request", "new", {"item": "distribution-list", "answers": "list=sales-news"}),
    ),
    ("bob", "/request retry REQ-3", ("request", "retry", {"id": "REQ-3"})),
    (
        "alice",
        "/request new software-licence product=Excel",
        ("request", "new", {"item": "software-licence", "answers": "product=Excel"}),
    ),
    ("alice", "/request cancel REQ-4", ("request", "cancel", {"id": "REQ-4"})),
    ("alice", "/desk password", ("desk", "password", {})),
    ("grace", "/desk report --since 30d", ("desk", "report", {"since": "30d"})),
    (
        "carol",
        "/desk stats --team network --all",
        ("desk", "stats", {"team": "network", "all": True}),
    ),
    ("alice", "/desk report --team network", ("desk", "report", {"team": "network"})),
    ("alice", "/desk dashboard", ("desk", "dashboard", {})),
    # alice rates INC-1: one score counts, the rest are refused.
    *[
        (
            "alice",
            f"/survey score-{n} SRV-{SURVEY}",
            ("survey", f"score-{n}", {"id": f"SRV-{SURVEY}"}),
        )
        for n in (4, 1, 2, 3, 5)
    ],
    (
        "alice",
        f'/survey comment SRV-{SURVEY} "quick and friendly"',
        ("survey", "comment", {"id": f"SRV-{SURVEY}", "text": "quick and friendly"}),
    ),
    ("alice", f"/survey show SRV-{SURVEY}", ("survey", "show", {"id": f"SRV-{SURVEY}"})),
    ("alice", "/access resources", ("access", "resources", {})),
    (
        "alice",
        '/access request prod-db --role read --for 4h "debugging ticket 42"',
        (
            "access",
            "request",
            {"resource": "prod-db", "role": "read", "for": "4h", "reason": "debugging ticket 42"},
        ),
    ),
    ("alice", "/access approve ACC-1", ("access", "approve", {"id": "ACC-1"})),  # refused
    ("frank", "/access approve ACC-1", ("access", "approve", {"id": "ACC-1"})),
    ("alice", "/access mine", ("access", "mine", {})),
    ("carol", "/access show ACC-1", ("access", "show", {"id": "ACC-1"})),
    ("carol", "/access list prod-db", ("access", "list", {"resource": "prod-db"})),
    ("carol", "/access review prod-db", ("access", "review", {"resource": "prod-db"})),
    ("carol", "/access keep ACC-1", ("access", "keep", {"id": "ACC-1"})),
    ("alice", "/access renew ACC-1 --for 2h", ("access", "renew", {"id": "ACC-1", "for": "2h"})),
    (
        "carol",
        '/access deny ACC-2 "ask again next week"',
        ("access", "deny", {"id": "ACC-2", "reason": "ask again next week"}),
    ),
    ("bob", "/access request grafana", ("access", "request", {"resource": "grafana"})),
    ("bob", "/access cancel ACC-3", ("access", "cancel", {"id": "ACC-3"})),
    ("alice", "/access revoke ACC-1", ("access", "revoke", {"id": "ACC-1"})),
    ("grace", "/access reconcile", ("access", "reconcile", {})),
    # A major incident: its war room, roles, updates, timeline, resolution, review, actions.
    ("carol", "/incident major INC-1", ("incident", "major", {"id": "INC-1"})),  # closed
    (
        "carol",
        '/major declare "Mail down for everyone" --service email',
        ("major", "declare", {"title": "Mail down for everyone", "service": "email"}),
    ),
    ("carol", "/major role scribe dave", ("major", "role", {"role": "scribe", "person": "dave"})),
    ("erin", "/major join", ("major", "join", {})),
    ("erin", "/major leave", ("major", "leave", {})),
    (
        "carol",
        '/major update "failing over to the backup relay" --status identified',
        (
            "major",
            "update",
            {"text": "failing over to the backup relay", "status": "identified"},
        ),
    ),
    (
        "dave",
        '/major note "the relay takes the traffic"',
        ("major", "note", {"text": "the relay takes the traffic"}),
    ),
    ("carol", "/major timeline", ("major", "timeline", {})),
    ("carol", "/major show", ("major", "show", {})),
    ("carol", "/major list", ("major", "list", {})),
    (
        "carol",
        '/major action "write a relay runbook" --owner dave',
        ("major", "action", {"text": "write a relay runbook", "owner": "dave"}),
    ),
    ("carol", "/major actions", ("major", "actions", {})),
    ("dave", "/major done ACT-1", ("major", "done", {"id": "ACT-1"})),
    (
        "carol",
        '/major resolve "the backup relay carries the mail"',
        ("major", "resolve", {"text": "the backup relay carries the mail"}),
    ),
    ("carol", "/major review", ("major", "review", {})),
    # Monitoring events: none has arrived, so each answer is the same refusal or list.
    ("bob", "/event list", ("event", "list", {})),
    ("bob", "/event show EVT-1", ("event", "show", {"key": "EVT-1"})),
    ("bob", "/event ack EVT-1", ("event", "ack", {"key": "EVT-1"})),
    (
        "bob",
        "/event silence disk-full --for 1h noisy",
        ("event", "silence", {"key": "disk-full", "for": "1h", "reason": "noisy"}),
    ),
    (
        "bob",
        "/event maintenance email --for 2h patching",
        ("event", "maintenance", {"service": "email", "for": "2h", "reason": "patching"}),
    ),
    ("alice", "/event maintenance", ("event", "maintenance", {})),
    # On-call: this desk has no rotations, so each answer is the same list or refusal.
    ("bob", "/oncall who", ("oncall", "who", {})),
    ("bob", "/oncall schedule network", ("oncall", "schedule", {"team": "network"})),
    (
        "bob",
        "/oncall override network erin --to +2h",
        ("oncall", "override", {"team": "network", "person": "erin", "to": "+2h"}),
    ),
    ("bob", "/oncall swap network erin", ("oncall", "swap", {"team": "network", "person": "erin"})),
    ("bob", "/oncall cancel-override OVR-1", ("oncall", "cancel-override", {"override": "OVR-1"})),
    ("bob", "/oncall overrides network", ("oncall", "overrides", {"team": "network"})),
    ("bob", "/oncall ack PAGE-1", ("oncall", "ack", {"page": "PAGE-1"})),
    ("bob", "/oncall escalate PAGE-1", ("oncall", "escalate", {"page": "PAGE-1"})),
    ("bob", "/oncall pages", ("oncall", "pages", {})),
    ("bob", "/oncall feed network", ("oncall", "feed", {"team": "network"})),
]


def console_replies(database_url: str, config, script) -> list[str]:
    """The same script typed into the console of a second, separate desk."""
    runtime = Runtime(
        Settings(database_url=database_url, config_path=None),
        config,
        platforms=("console",),
        clock=ManualClock(),
    )
    runtime.prepare()
    out = io.StringIO()
    # The review the script writes goes beside the console's database, not into the tree.
    files = Path(database_url.removeprefix("sqlite:///")).parent / "files"
    session = ConsoleSession(runtime, out, files_dir=files)
    replies = []
    try:
        for who, line, _ in script:
            session.user = who
            start = len(out.getvalue())
            asyncio.run(session.handle_line(line))
            # The console prints the reply first, then the posts and DMs it caused.
            reply: list[str] = []
            for text in out.getvalue()[start:].splitlines():
                if text.startswith(("[#", "[DM @")):
                    break
                reply.append(text)
            replies.append("\n".join(reply))
    finally:
        runtime.close()
    return replies


async def test_every_subcommand_answers_exactly_as_the_console_does(desk, fake, tmp_path):
    used = {(c, s) for _, _, (c, s, _) in SCRIPT}
    every = {(c.name, s) for c in COMMANDS.values() for s in c.subcommands}
    assert used == every  # the script covers every command of the grammar

    config = load_config_text(config_text(fake))
    console = await asyncio.to_thread(
        console_replies, f"sqlite:///{tmp_path / 'console.db'}", config, SCRIPT
    )
    for (who, line, (command, sub, options)), expected in zip(SCRIPT, console, strict=True):
        record = await desk.command(who, command, sub, **options)
        assert await desk.answer(record) == expected, line
        assert record.callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE
        assert desk.is_private(record), line
        await desk.delivered()

    assert desk.incident(1).state == "closed"
    assert desk.incident(2).state == "cancelled"
    assert [desk.incident(n).state for n in (3, 4)] == ["resolved", "closed"]
    refused = "Only service-desk agents can claim incidents."
    assert refused in console  # alice's claim was refused on both


async def test_incident_new_with_options_posts_the_card_to_triage(desk):
    record = await desk.command(
        "alice",
        "incident",
        "new",
        title="VPN drops every 10 min",
        service="vpn",
        impact="high",
        urgency="medium",
    )
    assert (await desk.answer(record)).startswith(
        'Opened INC-1 [P2] "VPN drops every 10 min", queued for network.'
    )
    card = await desk.card(1)
    assert card["channel_id"] == desk.fake.channel_ids["service-desk"]
    [embed] = card["embeds"]
    assert embed["title"] == "INC-1 · P2 · VPN drops every 10 min"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["State"] == "New"
    assert fields["Reporter"] == f"<@{desk.user_id('alice')}>"
    assert fields["Queue"] == "network" and fields["Service"] == "vpn"
    buttons = [b["custom_id"] for row in card["components"] for b in row["components"]]
    assert buttons == [
        "deskbot:claim:INC-1",
        "deskbot:resolve:INC-1",
        "deskbot:link:INC-1",
        "deskbot:major:INC-1",
    ]


async def test_incident_new_without_options_opens_a_form(desk):
    opened = await desk.command("alice", "incident", "new")
    submitted = await desk.submit(
        "alice",
        opened,
        {
            "title": "Wi-Fi down on floor 3",
            "service": "wifi",
            "impact": "high",
            "urgency": "high",
            "description": "since the fire drill",
        },
    )
    assert opened.callback_data["custom_id"]  # a form, answered before any desk work
    assert "Opened INC-1 [P1]" in await desk.answer(submitted)
    assert desk.is_private(submitted)
    incident = desk.incident(1)
    assert (incident.title, incident.service, incident.description) == (
        "Wi-Fi down on floor 3",
        "wifi",
        "since the fire drill",
    )


async def test_a_form_keeps_what_the_command_already_said(desk):
    opened = await desk.command("alice", "incident", "new", service="vpn", impact="low")
    await desk.fake.wait_for_response(opened)
    inputs = {
        c["custom_id"]: c.get("value")
        for row in opened.callback_data["components"]
        for c in row["components"]
    }
    assert inputs["service"] == "vpn" and inputs["impact"] == "low"
    submitted = await desk.submit(
        "alice", opened, {"title": "VPN slow", "service": "vpn", "impact": "low"}
    )
    assert 'Opened INC-1 [P4] "VPN slow"' in await desk.answer(submitted)


async def test_a_bad_form_is_refused_with_the_grammar_s_words(desk):
    opened = await desk.command("alice", "incident", "new")
    submitted = await desk.submit("alice", opened, {"title": "Laptop dead", "impact": "huge"})
    answer = await desk.answer(submitted)
    assert answer.startswith("--impact must be one of high, medium, low, not 'huge'.")
    assert desk.is_private(submitted) and desk.incident(1) is None


async def test_commands_work_in_the_bots_dm_too(desk):
    record = await desk.command("zed", "desk", "whoami", dm=True)
    assert (await desk.answer(record)).startswith("You are zed (Zed) — roles: employee")


async def test_a_long_reply_is_split_into_messages_discord_accepts(desk):
    for n in range(25):
        record = await desk.command(
            "bob", "incident", "new", title=f"Laptop problem number {n} " + "x" * 40
        )
        await desk.answer(record)
    record = await desk.command("bob", "incident", "list")
    first = await desk.answer(record)
    assert first.startswith("Open incidents of service-desk (first 20)")
    parts = [first] + [desk.fake.messages[i]["content"] for i in record.followup_ids]
    assert all(len(p) <= 2000 for p in parts)
    assert "INC-1 " in "".join(parts) and "INC-20 " in "".join(parts)


async def test_an_unexpected_failure_is_told_with_an_error_id(desk, errors, monkeypatch):
    errors.allow("discord /desk whoami failed (error id ")

    def broken(identity, argv, **kwargs):
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(desk.runtime.dispatcher, "execute_argv", broken)
    record = await desk.command("alice", "desk", "whoami")
    apology = await desk.answer(record)
    error_id = errors.records[0].getMessage().split("error id ")[1].rstrip(")")
    assert apology == f"Something went wrong on my side (error id {error_id}); please try again."
    assert desk.is_private(record)
