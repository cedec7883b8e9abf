"""People: a Discord user id is a person from the config; Discord roles may grant desk roles;
anyone else becomes an employee with the default role on first contact."""

from __future__ import annotations


async def whoami(desk, who: str, **where) -> str:
    return await desk.answer(await desk.command(who, "desk", "whoami", **where))


async def test_a_configured_discord_id_is_that_person(desk):
    assert await whoami(desk, "carol") == (
        "You are carol (Carol Chen) — roles: agent; teams: network."
    )


async def test_a_stranger_becomes_an_employee_and_may_not_act_as_an_agent(desk):
    assert await whoami(desk, "zed") == "You are zed (Zed) — roles: employee; teams: no team."
    await desk.answer(await desk.command("alice", "incident", "new", title="VPN drops"))
    refused = await desk.command("zed", "incident", "claim", id="INC-1")
    assert await desk.answer(refused) == "Only service-desk agents can claim incidents."
    assert desk.is_private(refused)


async def test_discord_roles_grant_desk_roles_by_name_or_by_id(desk):
    assert (
        await whoami(desk, "nina")
        == "You are nina (Nina) — roles: agent, employee; teams: no team."
    )
    assert (
        await whoami(desk, "olga")
        == "You are olga (Olga) — roles: admin, employee; teams: no team."
    )
    await desk.answer(await desk.command("alice", "incident", "new", title="VPN drops"))
    claim = await desk.command("nina", "incident", "claim", id="INC-1")
    assert await desk.answer(claim) == 'You are now working on INC-1 "VPN drops".'


async def test_a_role_granted_in_the_server_is_kept_in_dms(desk):
    await whoami(desk, "nina")  # seen once in the server, with the Agents role
    assert await whoami(desk, "nina", dm=True) == (
        "You are nina (Nina) — roles: agent, employee; teams: no team."
    )
