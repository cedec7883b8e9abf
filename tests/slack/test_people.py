"""People: a Slack user is matched by configured id, else by email (users.info), else is new."""

from __future__ import annotations

from bot.identity import platform_ids
from domain.people import find_by_platform_id, get_person
from domain.records import PersonRecord


def _person(desk, *, name: str | None = None, slack_id: str | None = None) -> PersonRecord | None:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        if slack_id is not None:
            return find_by_platform_id(ctx, "slack", slack_id)
        return get_person(ctx, name)


def _slack_id(desk, name: str) -> str | None:
    return platform_ids(desk.runtime.database, "slack", [name]).get(name)


async def test_configured_slack_ids_need_no_lookup(slack_desk, slack):
    assert (await slack_desk.say("U0BOB", "/desk whoami")).startswith("You are bob (Bob Baker)")
    assert slack.calls("users.info") == []


async def test_a_configured_person_without_a_slack_id_is_matched_by_email_once(slack_desk, slack):
    assert (await slack_desk.say("U0ERIN", "/desk whoami")).startswith(
        "You are erin (Erin Evans) — roles: agent; teams: network"
    )
    assert [c.args["user"] for c in slack.calls("users.info")] == ["U0ERIN"]
    assert _slack_id(slack_desk, "erin") == "U0ERIN"  # remembered

    await slack_desk.say("U0ERIN", "/desk whoami")
    assert len(slack.calls("users.info")) == 1  # cached, and mapped in the database anyway


async def test_a_stranger_becomes_an_employee_with_the_default_role(slack_desk, slack):
    assert (await slack_desk.say("U0ZED", "/desk whoami")).startswith(
        "You are zed (zed) — roles: employee"
    )
    zed = _person(slack_desk, slack_id="U0ZED")
    assert (zed.name, zed.email, zed.roles, zed.from_config) == (
        "zed",
        "zed@example.com",
        "employee",
        False,
    )
    await slack_desk.say("U0ZED", '/incident new "Cannot log in to the wiki"')
    assert slack_desk.incident(1).reporter == "zed"


async def test_when_slack_cannot_say_who_someone_is_nothing_is_guessed(slack_desk, slack):
    slack.fail("users.info", status=503)
    reply = await slack_desk.say("U0ERIN", "/desk whoami")
    assert reply == "I couldn't reach Slack to look you up just now; please try again in a minute."
    assert _slack_id(slack_desk, "erin") is None
    assert _person(slack_desk, slack_id="U0ERIN") is None

    slack.recover()
    assert (await slack_desk.say("U0ERIN", "/desk whoami")).startswith("You are erin")


async def test_mentions_in_notifications_use_slack_ids_where_known(slack_desk, slack):
    await slack_desk.say("U0ALICE", '/incident new "VPN drops" --service vpn')
    await slack_desk.say("U0CAROL", "/incident assign INC-1 erin")  # erin has no Slack id yet
    [update] = await slack_desk.posts(1, "C0DESK", where=lambda c: "thread_ts" in c.args)
    assert update.args["text"] == "INC-1 assigned to @erin by @carol — now Assigned, assignee @erin"
    assert "<@U0ALICE>" in (await slack_desk.posts(1, "C0DESK"))[0].args["text"]
