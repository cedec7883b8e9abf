"""What people read says what happened: no false "working on", escalation or suggestion."""


def open_vpn_incident(desk) -> None:
    desk.say("alice", '/incident new "VPN down" --service vpn')
    desk.posts()


def test_the_reporter_hears_assigned_on_assignment_and_working_on_when_claimed(desk):
    open_vpn_incident(desk)
    desk.say("bob", "/incident assign INC-1 dave")
    assert '[DM @alice] @dave has been assigned your incident INC-1 "VPN down".' in desk.posts()
    desk.say("carol", "/incident claim INC-1")
    assert '[DM @alice] @carol is working on your incident INC-1 "VPN down".' in desk.posts()


def test_back_to_the_same_team_is_not_an_escalation(desk):
    desk.say("alice", '/incident new "Printer jam"')  # service-desk's queue
    desk.say("bob", "/incident assign INC-1 bob")  # bob is in service-desk
    desk.posts()
    desk.say("bob", "/incident assign INC-1 service-desk")
    posts = desk.posts()
    assert not any("escalated" in post for post in posts), posts
    assert any("back in team service-desk's queue, by @bob" in post for post in posts), posts


def test_a_real_escalation_still_says_so(desk):
    desk.say("alice", '/incident new "Printer jam"')  # service-desk's queue
    desk.posts()
    desk.say("bob", "/incident assign INC-1 network")
    assert any("was escalated to network from service-desk" in p for p in desk.posts())


def test_suggestions_only_for_slips_of_the_keyboard(desk):
    assert "Did you mean" not in desk.say("bob", "/incident page")
    assert "Did you mean" not in desk.say("bob", "/incident rate")
    assert "Did you mean claim?" in desk.say("bob", "/incident calim INC-1")
    assert "Did you mean new?" in desk.say("bob", "/incident nwe printer")


def test_an_absurd_incident_number_is_echoed_without_being_cut_silently(desk):
    reply = desk.say("bob", "/incident show INC-99999999999999999999999")
    assert reply == "There is no incident INC-999999999999… (23 digits)."


def test_bidirectional_controls_are_stripped_from_titles(desk):
    reply = desk.say("alice", '/incident new "abc\u202eevil \u2066x\u2069"')
    assert reply.startswith('Opened INC-1 [P3] "abcevil x"')
