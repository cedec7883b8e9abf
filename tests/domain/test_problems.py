"""Problem management through the console: problems, linked incidents, known errors offered
at intake, and problems suggested by recurring incidents."""

from __future__ import annotations

from domain import problems
from domain.incidents import get_incident

VPN_KE = (
    '/problem known-error PRB-1 --workaround "Click Reconnect in the VPN tray icon" '
    '--symptoms "VPN drops after laptop sleep; tunnel gone on wake"'
)


def _vpn_known_error(desk) -> None:
    desk.say("bob", '/problem new "VPN drops after sleep" --service vpn')
    assert desk.say("bob", VPN_KE).startswith("KE-1 published for PRB-1")
    desk.posts()


def _state(desk, key: str) -> str:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return get_incident(ctx, key).state


def test_a_problem_with_linked_incidents_is_investigated_resolved_and_closed(desk):
    desk.say("alice", '/incident new "VPN keeps disconnecting" --service vpn')
    desk.say("erin", '/incident new "VPN disconnects every hour" --service vpn')
    opened = desk.say("bob", '/problem new "VPN concentrator drops sessions" --service vpn')
    assert opened.startswith('Opened PRB-1 [P3] "VPN concentrator drops sessions" for team network')
    assert any(p.startswith("[#network-team] PRB-1 [P3]") for p in desk.posts())

    assert desk.say("bob", "/problem link PRB-1 INC-1 INC-2") == "Linked INC-1, INC-2 to PRB-1."
    assert "[#service-desk] INC-1 linked to PRB-1 by @bob — now New" in desk.posts()
    assert desk.say("dave", "/problem claim PRB-1").startswith("You are now investigating PRB-1")
    desk.say("dave", '/problem rca PRB-1 "session table overflows at 4,000 users"')
    desk.say("dave", '/problem note PRB-1 "vendor case 1234 opened"')

    shown = desk.say("dave", "/problem show PRB-1")
    assert "State: Under investigation" in shown
    assert "Root cause: session table overflows at 4,000 users" in shown
    assert "INC-1 [P3] VPN keeps disconnecting — New" in shown
    assert "dave: note — vendor case 1234 opened" in shown
    desk.posts()

    resolved = desk.say("dave", '/problem resolve PRB-1 "concentrator firmware 9.2 installed"')
    assert "2 linked incident(s) are still open (INC-1, INC-2)" in resolved
    offer = [p for p in desk.posts() if p.startswith("[DM @dave]")]
    assert offer and "/problem resolve-incidents PRB-1" in offer[0]

    done = desk.say("dave", "/problem resolve-incidents PRB-1")
    assert done.startswith("Resolved INC-1, INC-2 with the fix of PRB-1")
    posts = desk.posts()
    for reporter, key in (("alice", "INC-1"), ("erin", "INC-2")):
        told = [p for p in posts if p.startswith(f"[DM @{reporter}] Your incident {key}")]
        assert told and "concentrator firmware 9.2 installed" in told[0]
        assert _state(desk, key) == "resolved"
    assert desk.say("dave", "/problem resolve-incidents PRB-1") == (
        "PRB-1 has no open linked incidents left."
    )
    assert desk.say("dave", "/problem close PRB-1") == "PRB-1 is closed."
    assert desk.say("dave", "/problem link PRB-1 INC-1") == (
        "PRB-1 is closed, so it cannot be linked."
    )


def test_employees_see_only_the_problems_behind_their_own_incidents(desk):
    desk.say("alice", '/incident new "Printer jams" --service laptop')
    desk.say("erin", '/incident new "Laptop fan loud" --service laptop')
    desk.say("bob", '/problem new "Toner batch faulty" --service laptop')
    desk.say("bob", '/problem new "Fan firmware" --service laptop')
    desk.say("bob", "/problem link PRB-1 INC-1")
    desk.say("bob", "/problem link PRB-2 INC-2")

    assert desk.say("alice", '/problem new "mine"') == "Only service-desk agents can open problems."
    shown = desk.say("alice", "/problem show PRB-1")
    assert shown.startswith("PRB-1 [P3] Toner batch faulty") and "Timeline" not in shown
    assert "INC-2" not in shown
    assert desk.say("alice", "/problem show PRB-2") == (
        "You can see problems linked to incidents you reported; PRB-2 is not one."
    )
    listed = desk.say("alice", "/problem list")
    assert "PRB-1" in listed and "PRB-2" not in listed
    assert desk.say("alice", "/problem link PRB-2 INC-1") == (
        "Only service-desk agents can link incidents to problems."
    )


def test_linking_refuses_twice_across_services_a_closed_problem_and_a_cancelled_incident(desk):
    desk.say("alice", '/incident new "VPN slow" --service vpn')
    desk.say("alice", '/incident new "Mail bounces" --service email')
    desk.say("alice", '/incident new "typo"')
    desk.say("alice", "/incident cancel INC-3")
    desk.say("bob", '/problem new "VPN capacity" --service vpn')
    desk.say("bob", '/problem new "Another VPN fault" --service vpn')

    assert desk.say("bob", "/incident link INC-1 PRB-1") == "INC-1 is linked to PRB-1."
    assert desk.say("bob", "/incident link INC-1 PRB-1") == "INC-1 is already linked to PRB-1."
    assert desk.say("bob", "/problem link PRB-2 INC-1") == (
        "INC-1 is already linked to PRB-1; unlink it first: /problem unlink PRB-1 INC-1."
    )
    assert desk.say("bob", "/problem link PRB-1 INC-2") == (
        "INC-2 is about email but PRB-1 is about vpn; link incidents of the problem's own service."
    )
    assert desk.say("bob", "/problem link PRB-1 INC-3") == (
        "INC-3 is cancelled, so it cannot be linked to a problem."
    )
    assert desk.say("bob", "/problem link PRB-1 INC-999") == "There is no incident INC-999."
    assert desk.say("bob", "/problem link PRB-1").startswith("Missing INCIDENTS")
    assert desk.say("bob", "/problem unlink PRB-2 INC-1") == "INC-1 is not linked to PRB-2."
    assert desk.say("bob", "/problem unlink PRB-1 INC-1") == "INC-1 is no longer linked to PRB-1."
    assert desk.say("bob", "/problem link PRB-2 INC-1") == "Linked INC-1 to PRB-2."

    # A failed link in a batch links none of them: nothing half done.
    desk.say("bob", "/problem unlink PRB-2 INC-1")
    assert "about email" in desk.say("bob", "/problem link PRB-2 INC-1 INC-2")
    assert "No linked incidents." in desk.say("bob", "/problem show PRB-2")

    desk.say("bob", '/problem cancel PRB-1 "duplicate"')
    assert desk.say("bob", "/incident link INC-1 PRB-1") == (
        "PRB-1 is cancelled, so it cannot be linked."
    )


def test_a_known_error_needs_a_workaround_and_an_open_problem(desk):
    desk.say("bob", '/problem new "VPN drops after sleep" --service vpn')
    refused = desk.say("bob", '/problem known-error PRB-1 --symptoms "drops"')
    assert refused.startswith("A known error needs a workaround people can use")
    assert desk.say("bob", '/problem known-error PRB-1 --workaround "   "').startswith(
        "A known error needs a workaround"
    )
    assert desk.say("alice", VPN_KE) == "Only service-desk agents can record known errors."
    assert desk.say("bob", "/kb show KE-1") == "There is no known error KE-1."
    assert desk.say("bob", VPN_KE).startswith("KE-1 published")
    # Published again: the same known error, corrected.
    desk.say("bob", '/problem known-error PRB-1 --workaround "Reconnect, then restart the client"')
    shown = desk.say("alice", "/kb show KE-1")
    assert "Workaround: Reconnect, then restart the client" in shown
    assert "Symptoms: VPN drops after laptop sleep; tunnel gone on wake" not in shown  # replaced
    assert desk.say("alice", "/kb show KE-2") == "There is no known error KE-2."
    assert desk.say("alice", "/kb show banana") == (
        "'banana' is not a known error number; use the form KE-42."
    )


def test_a_reported_known_error_gets_its_workaround_at_once_and_yes_closes_it(desk):
    _vpn_known_error(desk)
    reply = desk.say(
        "alice", '/incident new "My VPN drops every time the laptop goes to sleep" --service vpn'
    )
    assert reply.startswith('Opened INC-1 [P3] "My VPN drops every time the laptop goes to sleep"')
    assert 'This looks like KE-1 "VPN drops after sleep". Workaround: Click Reconnect' in reply
    posts = desk.posts()
    card = [p for p in posts if p.startswith("[#service-desk] INC-1")]
    assert card and "Looks like KE-1 (PRB-1): its workaround was offered to the reporter" in card[0]
    assert any(p.startswith("[DM @alice] Did the workaround of KE-1") for p in posts)
    assert _state(desk, "INC-1") == "new"  # still goes to triage at once

    assert desk.say("bob", "/incident fixed INC-1") == (
        "Only the reporter of INC-1 can say the workaround fixed it."
    )
    assert desk.say("alice", "/incident fixed INC-1") == "Glad it works! INC-1 is closed."
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        incident = get_incident(ctx, "INC-1")
        assert incident.state == "closed"
        assert incident.resolution == "Workaround of KE-1: Click Reconnect in the VPN tray icon"
        assert incident.problem_link.workaround_answer == "fixed"
    assert "now Closed" in " ".join(desk.posts())
    assert (
        desk.say("alice", "/incident fixed INC-1")
        == "INC-1 is closed, so it cannot be closed as fixed."
    )


def test_no_still_broken_notes_it_and_leaves_it_in_the_queue(desk):
    _vpn_known_error(desk)
    desk.say("alice", '/incident new "VPN dropped after laptop sleep, tunnel gone" --service vpn')
    desk.posts()
    reply = desk.say("alice", "/incident broken INC-1")
    assert reply == "Sorry it did not help. INC-1 stays with the service desk (new)."
    assert desk.posts() == [
        "[#service-desk] INC-1 @alice: the workaround of KE-1 did not fix it — now New"
    ]
    shown = desk.say("bob", "/incident show INC-1")
    assert "workaround of KE-1 offered (it did not help)" in shown
    assert "workaround failed — The workaround of KE-1 did not fix it" in shown
    assert desk.say("alice", "/incident broken INC-1") == "You already said it did not for INC-1."


def test_the_workaround_is_offered_for_words_typed_in_a_dm_but_not_for_other_faults(desk):
    _vpn_known_error(desk)
    desk.say("alice", "my vpn drops whenever the laptop wakes from sleep")
    opened = desk.say("alice", "yes")
    assert "This looks like KE-1" in opened  # no service named: three words in common
    other = desk.say("erin", '/incident new "VPN password expired" --service vpn')
    assert "looks like" not in other
    email = desk.say("erin", '/incident new "Laptop sleep drops VPN" --service email')
    assert "looks like" not in email  # another service's incident
    assert desk.say("erin", "/incident fixed INC-2") == "No workaround was offered for INC-2."


def test_a_fixed_problem_s_known_error_is_no_longer_offered_but_still_found(desk):
    _vpn_known_error(desk)
    desk.say("bob", '/problem resolve PRB-1 "VPN client 5.2 rolled out"')
    reply = desk.say("alice", '/incident new "VPN drops after laptop sleep" --service vpn')
    assert "looks like" not in reply
    found = desk.say("alice", "/kb search vpn sleep")
    assert found.startswith('Known errors for "vpn sleep" (best first):')
    assert "KE-1 (fixed) VPN drops after sleep" in found


def test_kb_search_answers_bad_input_clearly(desk):
    _vpn_known_error(desk)
    assert desk.say("alice", "/kb search " + "x" * 19_000).startswith(
        "A search can be at most 500 characters (this one has 19000)"
    )
    assert desk.say("alice", "/kb search " + "x" * 20_000).startswith("That command is too long")
    assert desk.say("alice", '/kb search "?!* -- ^ ..."').startswith(
        "Give a few words to search for"
    )
    assert desk.say("alice", "/kb search the and of").startswith("Give a few words to search for")
    assert desk.say("alice", '/kb search "vpn') == 'A quote (") is not closed: add the closing ".'
    for typed in [
        '"vpn sleep"',
        "vpn*",
        "vpn NEAR sleep",
        "vpn OR sleep",
        "-vpn ^sleep",
        "title:vpn",
    ]:
        reply = desk.say("alice", f"/kb search {typed}")
        assert reply.startswith(("Known errors for", "No known error matches")), typed
    assert desk.say("alice", "/kb search vpn NEAR sleep").startswith(
        'Known errors for "vpn near sleep"'
    )
    assert desk.say("alice", "/kb search printer toner").startswith("No known error matches")
    assert desk.say("alice", "/kb search vpn --service nosuch").startswith(
        "There is no service 'nosuch'"
    )


def test_recurring_incidents_make_one_suggestion_updated_as_more_arrive(desk):
    for n in range(2):
        desk.say(
            "alice",
            f'/incident new "Outlook crashes at start {n}" --service email --category mailbox',
        )
    desk.say("alice", '/incident new "Mail bounces" --service email --category delivery')
    assert not any("SUG-" in p for p in desk.posts())
    desk.say("erin", '/incident new "Outlook crashes again" --service email --category mailbox')
    suggested = [p for p in desk.posts() if "SUG-1" in p]
    assert suggested == [
        "[#messaging-team] SUG-1: 3 incidents on email/mailbox within 1d and no open problem "
        "covers them (INC-1, INC-2, INC-4). Open a problem with them linked: /problem adopt "
        "SUG-1 (or /problem dismiss SUG-1)"
    ]
    desk.say("erin", '/incident new "Outlook crash #5" --service email --category mailbox')
    assert [p for p in desk.posts() if "SUG-" in p] == [
        "[#messaging-team] SUG-1 (email/mailbox): INC-5 is one more — 4 incidents"
    ]
    assert (
        desk.say("alice", "/problem adopt SUG-1") == "Only service-desk agents can open problems."
    )
    adopted = desk.say("carol", "/problem adopt SUG-1")
    assert adopted == "Opened PRB-1 from SUG-1 with INC-1, INC-2, INC-4, INC-5 linked."
    assert desk.say("carol", "/problem adopt SUG-1") == (
        "SUG-1 is problem opened, so it cannot be opened as a problem."
    )
    # Covered by an open problem now: no new suggestion, however many come.
    desk.posts()
    for n in range(3):
        desk.say("alice", f'/incident new "Outlook crashes {n}" --service email --category mailbox')
    assert not any("SUG-" in p for p in desk.posts())


def test_a_dismissed_suggestion_counts_afresh_and_the_window_limits_a_cluster(desk):
    for n in range(3):
        desk.say("alice", f'/incident new "Wi-Fi drops {n}" --service wifi')
    assert any("SUG-1" in p for p in desk.posts())
    assert desk.say("bob", "/problem dismiss SUG-1").startswith("SUG-1 dismissed")
    assert "[#network-team] SUG-1 (wifi): dismissed by @bob — 3 incidents" in desk.posts()
    desk.say("alice", '/incident new "Wi-Fi drops 3" --service wifi')
    assert not any("SUG-" in p for p in desk.posts())
    desk.advance(hours=25)
    desk.say("alice", '/incident new "Wi-Fi drops 4" --service wifi')
    desk.say("alice", '/incident new "Wi-Fi drops 5" --service wifi')
    assert not any("SUG-" in p for p in desk.posts())  # only two since the dismissal
    desk.say("alice", '/incident new "Wi-Fi drops 6" --service wifi')
    assert any(p.startswith("[#network-team] SUG-2: 3 incidents") for p in desk.posts())


def test_cancelling_a_problem_frees_its_incidents(desk):
    desk.say("alice", '/incident new "VPN slow" --service vpn')
    desk.say("bob", '/problem new "VPN capacity" --service vpn')
    desk.say("bob", "/problem link PRB-1 INC-1")
    assert desk.say("bob", '/problem cancel PRB-1 "not a problem"') == "PRB-1 is cancelled."
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert problems.problem_of(get_incident(ctx, "INC-1")) is None
    desk.say("bob", '/problem new "VPN capacity, really" --service vpn')
    assert desk.say("bob", "/problem link PRB-2 INC-1") == "Linked INC-1 to PRB-2."
