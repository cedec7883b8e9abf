"""People: a Discord user id is a person from the config; Discord roles may grant desk roles;
anyone else becomes an employee with the default role on first contact."""

from __future__ import annotations

from tests.fakes import discord_interactions as ix


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


async def test_discord_roles_mapped_by_id_grant_desk_roles(desk):
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


async def test_a_mapped_role_does_not_carry_into_dms(desk):
    await whoami(desk, "nina")  # seen in the server first, with the Agents role
    assert await whoami(desk, "nina", dm=True) == (
        "You are nina (Nina) — roles: employee; teams: no team."
    )
    await desk.answer(await desk.command("alice", "incident", "new", title="VPN drops"))
    refused = await desk.command("nina", "incident", "claim", id="INC-1", dm=True)
    assert await desk.answer(refused) == "Only service-desk agents can claim incidents."
    # Back in the server, where she holds the role, she is an agent again.
    claim = await desk.command("nina", "incident", "claim", id="INC-1")
    assert await desk.answer(claim) == 'You are now working on INC-1 "VPN drops".'


async def test_a_role_of_the_same_name_in_another_server_grants_nothing(desk):
    fake = desk.fake
    agents_id = fake.role_ids["Agents"]  # the role deskbot.yaml maps to agent
    # Someone adds the bot to a server of their own and makes roles that look like ours:
    # one with the same name, one whose name is the mapped role's id.
    other = fake.add_guild("Mallory's server", roles=["Agents", agents_id], channels=["lobby"])
    mallory = fake.add_user("mallory", in_guild=False)
    fake.add_guild_member(other, mallory, roles=["Agents", agents_id])
    await fake.gateway.dispatch("GUILD_CREATE", fake.other_guild_create(other))
    guild = await desk.until(
        lambda: desk.adapter.client.get_guild(int(other)), what="the other server", thread=False
    )
    assert sorted(r.name for r in guild.roles) == sorted(["@everyone", "Agents", agents_id])

    await desk.answer(await desk.command("alice", "incident", "new", title="VPN drops"))
    refused = await fake.dispatch_interaction(
        fake.command_interaction(
            "incident",
            [ix.subcommand("claim", [ix.option("id", "INC-1")])],
            user=mallory,
            channel=fake.channel_ids["lobby"],
        )
    )
    assert await desk.answer(refused) == "Only service-desk agents can claim incidents."
    assert desk.incident(1).assignee is None
    whoami_there = await fake.dispatch_interaction(
        fake.command_interaction(
            "desk", [ix.subcommand("whoami")], user=mallory, channel=fake.channel_ids["lobby"]
        )
    )
    assert await desk.answer(whoami_there) == (
        "You are mallory (Mallory) — roles: employee; teams: no team."
    )
