"""The dispatcher acts once per delivery identity, in the command's own transaction."""

from __future__ import annotations

from bot.identity import PlatformIdentity

ALICE = PlatformIdentity("console", "alice")
CAROL = PlatformIdentity("console", "carol")


def test_a_delivery_that_arrives_twice_is_acted_on_once(desk):
    execute = desk.runtime.dispatcher.execute
    first = execute(ALICE, '/incident new "VPN drops"', delivery="command:T1")
    again = execute(ALICE, '/incident new "VPN drops"', delivery="command:T1")
    assert first.ok and not first.duplicate
    assert again.duplicate and again.ok
    assert execute(ALICE, "/incident list").text.count("VPN drops") == 1


def test_a_refused_delivery_leaves_no_trace_so_its_retry_is_acted_on(desk):
    execute = desk.runtime.dispatcher.execute
    execute(ALICE, '/incident new "VPN drops"')
    refused = execute(ALICE, "/incident claim INC-1", delivery="press:X")
    assert not refused.ok and refused.text == "Only service-desk agents can claim incidents."
    # The same identity later (say, the person was made an agent meanwhile) is not a repeat.
    assert not execute(ALICE, "/incident claim INC-1", delivery="press:X").duplicate


def test_different_deliveries_of_the_same_words_are_both_acted_on(desk):
    execute = desk.runtime.dispatcher.execute
    first = execute(ALICE, '/incident new "one"', delivery="command:A")
    second = execute(ALICE, '/incident new "one"', delivery="command:B")
    assert (first.incident["key"], second.incident["key"]) == ("INC-1", "INC-2")
