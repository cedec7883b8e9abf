"""Who someone is and what they may do: the configuration is the authority."""

from bot.config import example_config_path, load_config_text
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from bot.settings import Settings

EXAMPLE = example_config_path().read_text()
SERVICE_DESK_ROLE = "1100000000000000100"  # mapped to agent in the example


def start(database_url, text=EXAMPLE) -> Runtime:
    runtime = Runtime(
        Settings(database_url=database_url, config_path=None),
        load_config_text(text, "deskbot.yaml"),
        platforms=("slack", "discord"),
    )
    runtime.prepare()
    return runtime


def whoami(runtime, identity) -> str:
    return runtime.dispatcher.execute(identity, "/desk whoami").text


def test_a_mapped_discord_role_counts_only_while_the_member_has_it(database_url):
    runtime = start(database_url)
    member = PlatformIdentity("discord", "4242", "mallory", platform_roles=(SERVICE_DESK_ROLE,))
    assert "roles: agent, employee" in whoami(runtime, member)
    assert "roles: employee;" in whoami(runtime, PlatformIdentity("discord", "4242", "mallory"))
    runtime.close()


def test_a_role_name_is_not_a_role_id(database_url):
    runtime = start(database_url)
    named = PlatformIdentity("discord", "4242", "mallory", platform_roles=("Service Desk",))
    assert "roles: employee;" in whoami(runtime, named)
    runtime.close()


def test_a_chat_user_cannot_take_over_a_name_the_config_gives_later(database_url):
    runtime = start(database_url)
    squatter = PlatformIdentity("slack", "U0EVIL", "hank", email="evil@example.net")
    assert "You are hank " in whoami(runtime, squatter)
    assert runtime.dispatcher.execute(squatter, '/incident new "my own problem"').ok
    licence = "/request new software-licence product=Visio"
    assert runtime.dispatcher.execute(squatter, licence).ok
    runtime.close()
    hank = "  hank:\n    display_name: Hank Hill\n    email: hank@example.com\n    roles: [admin]\n"
    runtime = start(database_url, EXAMPLE.replace("people:\n", "people:\n" + hank))
    reply = whoami(runtime, squatter)
    assert "You are hank-chat " in reply and "roles: employee;" in reply
    assert (
        "INC-1 [P3] my own problem" in runtime.dispatcher.execute(squatter, "/incident list").text
    )
    # Their request followed them too: still theirs, not the configured hank's.
    assert "REQ-1 Software licence" in runtime.dispatcher.execute(squatter, "/request list").text
    hank_himself = PlatformIdentity("console", "hank")
    assert runtime.dispatcher.execute(hank_himself, "/request list").text == (
        "Your open requests: none."
    )
    runtime.close()


def test_someone_removed_from_the_config_loses_their_roles(database_url):
    with_ids = EXAMPLE.replace(
        "    email: bob@example.com\n", "    email: bob@example.com\n    slack_id: U0BOB\n"
    )
    runtime = start(database_url, with_ids)
    bob = PlatformIdentity("slack", "U0BOB", "bob")
    assert "roles: agent;" in whoami(runtime, bob)
    runtime.close()
    block = "  bob:\n    display_name: Bob Baker\n    email: bob@example.com\n    slack_id: U0BOB\n    roles: [agent]\n"
    assert block in with_ids
    without_bob = (
        with_ids.replace(block + "    manager: dave\n", "")
        .replace("members: [bob, dave]", "members: [dave]")
        .replace("all-staff: [alice, bob, carol", "all-staff: [alice, carol")
    )
    runtime = start(database_url, without_bob)
    reply = whoami(runtime, bob)
    assert "You are bob " in reply and "roles: employee;" in reply
    assert runtime.dispatcher.execute(bob, "/incident list --team network").text == (
        "Only agents can list a team's queue."
    )
    runtime.close()


def test_an_email_never_merges_two_chat_accounts(database_url):
    runtime = start(database_url)
    first = PlatformIdentity("slack", "U0ONE", "Bob", email="bob@example.com")
    second = PlatformIdentity("slack", "U0TWO", "Bob", email="BOB@example.com ")
    assert "You are bob " in whoami(runtime, first)
    assert "You are bob " not in whoami(runtime, second)
    assert "roles: employee;" in whoami(runtime, second)
    runtime.close()


def test_the_config_can_give_an_id_a_stranger_already_used(database_url):
    runtime = start(database_url)
    whoami(runtime, PlatformIdentity("slack", "U0NEW", "newbie"))
    runtime.close()
    configured = EXAMPLE.replace(
        "    email: erin@example.com\n", "    email: erin@example.com\n    slack_id: U0NEW\n"
    )
    runtime = start(database_url, configured)
    assert "You are erin " in whoami(runtime, PlatformIdentity("slack", "U0NEW", "newbie"))
    runtime.close()
