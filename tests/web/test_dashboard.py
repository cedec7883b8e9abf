"""The web dashboard over real HTTP (uvicorn on 127.0.0.1, httpx): signing in with the
one-time link `/desk dashboard` DMs, and every way that is refused — a link used twice,
expired or replaced, a forged or ended session, a form from another site — then who sees
what: an employee their own incidents, agents their teams' queues, admins the whole desk's
report, with its chart."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from adapters.web.dashboard import dashboard_routes
from bot.web import build_web_app
from tests.fakes.asgi_server import UvicornThread

LINK = re.compile(r"http://localhost:3000(/dashboard/sign-in/[A-Za-z0-9_-]+)")
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
FORM = re.compile(r'name="form" value="([^"]+)"')
ASK_AGAIN = "/desk dashboard"


@pytest.fixture
def server(desk):
    """The dashboard on a real HTTP server on 127.0.0.1."""
    running = UvicornThread(build_web_app(desk.runtime, dashboard_routes(desk.runtime))).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser(server):
    """A browser-like client (keeps cookies, does not follow redirects by itself)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _new_browser(server, **cookies: str) -> httpx.Client:
    """Another browser, maybe holding cookies (a replayed or forged one)."""
    return httpx.Client(base_url=server.url, timeout=10, cookies=cookies)


def _ask(desk, person: str) -> str:
    """/desk dashboard as `person`: the path of the link their DM carries."""
    reply = desk.say(person, "/desk dashboard")
    assert reply.startswith("I sent you a sign-in link for the dashboard by DM"), reply
    found = [LINK.search(p) for p in desk.posts() if p.startswith(f"[DM @{person}]")]
    links = [m.group(1) for m in found if m]
    assert links, "no sign-in link was DMed"
    return links[-1]


def _sign_in(client: httpx.Client, link: str) -> httpx.Response:
    """Open the link, press Continue: the answer to the press."""
    opened = client.get(link)
    assert opened.status_code == 200, opened.text
    return client.post(link, data={"nonce": NONCE.search(opened.text).group(1)})


def _signed_in(desk, server, person: str) -> httpx.Client:
    client = _new_browser(server)
    pressed = _sign_in(client, _ask(desk, person))
    assert pressed.status_code == 303 and pressed.headers["location"] == "/dashboard"
    return client


def _all_rows(desk) -> str:
    """Every stored value of every table, as one text."""
    database = desk.runtime.database
    shown = []
    with database.engine.connect() as connection:
        for table in database.engine.dialect.get_table_names(connection):
            if table.startswith(("known_errors_fts", "alembic")):
                continue
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                shown.append(" ".join(str(v) for v in row))
    return "\n".join(shown)


def test_a_link_signs_in_once_and_the_session_cookie_is_strict(desk, server, browser):
    desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn')
    link = _ask(desk, "alice")
    token = link.rsplit("/", 1)[1]

    # Opening the link (a chat platform's preview does) spends nothing, however often.
    for _ in range(2):
        opened = browser.get(link)
        assert opened.status_code == 200 and 'id="continue"' in opened.text
        assert "Alice Archer" in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert opened.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in opened.headers["content-security-policy"]
    assert "script-src" not in opened.headers["content-security-policy"]  # default-src 'none'

    pressed = browser.post(link, data={"nonce": NONCE.search(opened.text).group(1)})
    assert pressed.status_code == 303 and pressed.headers["location"] == "/dashboard"
    cookie = next(c for c in pressed.headers.get_list("set-cookie") if "deskbot_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is http:// in this test
    session = browser.cookies.get("deskbot_session")

    front = browser.get("/dashboard")
    assert front.status_code == 200
    assert "Signed in as Alice Archer" in front.text and "INC-1" in front.text
    assert front.headers["cache-control"] == "no-store"

    # Used: the link is no good again, in this browser or another.
    with _new_browser(server, deskbot_sign_in="x") as other:
        again = other.get(link)
        assert again.status_code == 403 and "not valid" in again.text
        assert ASK_AGAIN in again.text
        posted = other.post(link, data={"nonce": "x"})
        assert posted.status_code == 403 and "deskbot_session" not in other.cookies

    # Neither the link's token nor the session's is stored in clear; the DM is not
    # stored with the link either (it was minted as the DM went out).
    stored = _all_rows(desk)
    assert token not in stored and session not in stored

    # Signing out needs the page's form token; afterwards the cookie is worthless.
    assert browser.post("/dashboard/sign-out", data={"form": "guess"}).status_code == 403
    assert browser.get("/dashboard").status_code == 200
    form = FORM.search(front.text).group(1)
    out = browser.post("/dashboard/sign-out", data={"form": form})
    assert out.status_code == 200 and "You are signed out" in out.text
    with _new_browser(server, deskbot_session=session) as replay:
        ended = replay.get("/dashboard")
        assert ended.status_code == 401 and ASK_AGAIN in ended.text


def test_a_link_lasts_ten_minutes_from_its_delivery_and_a_newer_one_replaces_it(desk, server):
    late = _ask(desk, "bob")
    desk.clock.advance(timedelta(minutes=10))
    with _new_browser(server) as client:
        expired = client.get(late)
        assert expired.status_code == 403 and "expired (links last 10 minutes)" in expired.text
        assert ASK_AGAIN in expired.text

    first = _ask(desk, "bob")
    desk.clock.advance(timedelta(minutes=9))
    second = _ask(desk, "bob")
    with _new_browser(server) as client:
        assert client.get(first).status_code == 403  # replaced by the newer one
        assert _sign_in(client, second).status_code == 303
        assert "Signed in as Bob Baker" in client.get("/dashboard").text


def test_the_link_signs_in_the_person_it_was_sent_to_and_ends_the_browsers_earlier_session(
    desk, server
):
    client = _signed_in(desk, server, "bob")
    bobs = client.cookies.get("deskbot_session")
    # Alice's link, opened in the browser where Bob is signed in: it signs in Alice (the
    # link is bound to her), and Bob's session in that browser ends.
    pressed = _sign_in(client, _ask(desk, "alice"))
    assert pressed.status_code == 303
    assert "Signed in as Alice Archer" in client.get("/dashboard").text
    with _new_browser(server, deskbot_session=bobs) as other:
        assert other.get("/dashboard").status_code == 401
    client.close()


def test_forged_expired_and_idle_sessions_are_refused_and_say_nothing(desk, server, browser):
    desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn')
    none = browser.get("/dashboard")
    assert none.status_code == 401 and ASK_AGAIN in none.text
    for forged in ("forged", "A" * 43, "x" * 500):
        with _new_browser(server, deskbot_session=forged) as client:
            answer = client.get("/dashboard/incidents/INC-1")
        assert answer.status_code == 401
        assert "VPN" not in answer.text and "INC-1" not in answer.text
        assert 'deskbot_session=""' in answer.headers["set-cookie"]  # the bad cookie is dropped
    assert browser.get("/dashboard/report.png").status_code == 401

    idle = _signed_in(desk, server, "alice")
    desk.clock.advance(timedelta(minutes=119))
    assert idle.get("/dashboard").status_code == 200  # used: the idle clock starts again
    desk.clock.advance(timedelta(minutes=119))
    assert idle.get("/dashboard").status_code == 200
    desk.clock.advance(timedelta(hours=2))
    assert idle.get("/dashboard").status_code == 401  # two hours unused
    idle.close()

    long = _signed_in(desk, server, "alice")
    for _ in range(12):  # busy all day: the session still ends after twelve hours
        desk.clock.advance(timedelta(hours=1))
        last = long.get("/dashboard").status_code
    assert last == 401
    long.close()


def test_forms_from_another_site_or_without_the_pages_cookie_are_refused(desk, server):
    link = _ask(desk, "alice")
    with _new_browser(server) as client:
        opened = client.get(link)
        nonce = NONCE.search(opened.text).group(1)
        # Another site's form (login CSRF: signing the victim in as someone else).
        evil = client.post(link, data={"nonce": nonce}, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403
        # A form without the cookie the page set (another site cannot set it).
        with _new_browser(server) as fresh:
            assert fresh.post(link, data={"nonce": nonce}).status_code == 400
        # Neither spent the link: the real press still works.
        same = client.post(link, data={"nonce": nonce}, headers={"Origin": server.url})
        assert same.status_code == 303
        form = FORM.search(client.get("/dashboard").text).group(1)
        away = client.post(
            "/dashboard/sign-out", data={"form": form}, headers={"Origin": "https://evil.example"}
        )
        assert away.status_code == 403
        assert client.get("/dashboard").status_code == 200  # still signed in


def test_an_employee_sees_their_own_incidents_only(desk, server):
    desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn')
    desk.say("bob", '/incident new "Mail bounces" --service email')
    alice = _signed_in(desk, server, "alice")
    front = alice.get("/dashboard")
    assert "Your open incidents" in front.text
    assert "VPN drops every 10 min" in front.text and "Mail bounces" not in front.text
    assert 'id="team"' not in front.text  # no team filter for an employee
    mine = alice.get("/dashboard/incidents/INC-1")
    assert mine.status_code == 200 and 'id="timeline"' in mine.text
    theirs = alice.get("/dashboard/incidents/INC-2")
    assert theirs.status_code == 403 and "Mail bounces" not in theirs.text
    assert "You can only see incidents you reported" in theirs.text
    team = alice.get("/dashboard", params={"team": "messaging"})
    assert team.status_code == 403 and "Only agents can list a team" in team.text
    assert alice.get("/dashboard/incidents/INC-99").status_code == 404
    report = alice.get("/dashboard/report", params={"team": "network"})
    assert report.status_code == 403 and "Mail bounces" not in report.text
    own = alice.get("/dashboard/report")
    assert own.status_code == 200 and 'id="figures"' in own.text
    alice.close()


def test_an_agent_sees_their_teams_queue_filters_it_and_any_incident(desk, server):
    desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn --impact high')
    desk.say("alice", '/incident new "Wi-Fi slow on floor 3" --service wifi')
    desk.say("bob", '/incident new "Mail bounces" --service email')
    carol = _signed_in(desk, server, "carol")  # network's lead
    front = carol.get("/dashboard")
    assert "Open incidents of network" in front.text
    assert "VPN drops" in front.text and "Wi-Fi slow" in front.text
    assert "Mail bounces" not in front.text
    # Filters: a GET form, so the address can be shared and the back button works.
    p3 = carol.get("/dashboard", params={"priority": "P3"})
    assert "Wi-Fi slow" in p3.text and "VPN drops" not in p3.text
    other = carol.get("/dashboard", params={"team": "messaging"})
    assert "Mail bounces" in other.text and "VPN drops" not in other.text
    assert carol.get("/dashboard", params={"priority": "P9"}).status_code == 400
    unknown = carol.get("/dashboard", params={"state": "sleeping"})
    assert unknown.status_code == 400 and "Unknown state" in unknown.text
    # Agents may see any incident (the incident process's rule).
    shown = carol.get("/dashboard/incidents/INC-3")
    assert shown.status_code == 200 and "Mail bounces" in shown.text
    # Majors running and who is on call, on the front page.
    assert 'id="oncall"' in front.text and "network" in front.text
    carol.close()


def test_majors_running_are_on_the_front_page(desk, server):
    desk.say("carol", '/major declare "VPN down for everyone" --service vpn')
    bob = _signed_in(desk, server, "bob")
    front = bob.get("/dashboard")
    majors = front.text[front.text.index('id="majors"') :]
    assert "INC-1" in majors and "VPN down for everyone" in majors
    bob.close()


def test_an_admin_sees_the_whole_desks_report_with_its_chart(desk, server):
    desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn')
    desk.say("bob", "/incident claim INC-1")
    desk.say("bob", '/incident resolve INC-1 "restarted the concentrator"')
    desk.say("alice", '/incident new "Mail bounces" --service email')
    desk.clock.advance(timedelta(minutes=1))  # the report's window ends now: they are in it
    grace = _signed_in(desk, server, "grace")
    page = grace.get("/dashboard/report")
    assert page.status_code == 200, page.text
    assert "The whole desk" in page.text or "the whole desk" in page.text
    figures = page.text[page.text.index('id="figures"') :]
    assert re.search(r"Opened</th><td>2</td>", figures)
    assert re.search(r"Resolved</th><td>1</td>", figures)
    chart = re.search(r'<img id="chart" src="([^"]+)" alt="([^"]+)"', page.text)
    assert chart and chart.group(1) == "/dashboard/report.png"
    png = grace.get(chart.group(1))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["cache-control"] == "no-store"
    # The same filters reach the chart.
    narrowed = grace.get("/dashboard/report", params={"team": "network", "since": "2020-01-01"})
    assert narrowed.status_code == 200
    src = re.search(r'<img id="chart" src="([^"]+)"', narrowed.text).group(1)
    assert src.startswith("/dashboard/report.png?") and "team=network" in src
    assert grace.get(src.replace("&amp;", "&")).status_code == 200
    # Bad input: a clear sentence, 400, nothing drawn.
    bad = grace.get("/dashboard/report", params={"since": "yesterday"})
    assert bad.status_code == 400 and "is not a date" in bad.text
    inverted = grace.get("/dashboard/report", params={"since": "2030-01-02", "until": "2030-01-01"})
    assert inverted.status_code == 400 and 'id="chart"' not in inverted.text
    assert grace.get("/dashboard/report.png", params={"team": "nosuch"}).status_code == 404
    grace.close()


def test_a_dm_delivered_again_or_late_carries_a_fresh_link_or_says_to_ask_again(desk):
    from bot.templates import render
    from domain import sign_in
    from domain.context import Actor
    from domain.errors import DeskError

    alice = Actor("alice")
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        link = sign_in.send_link(ctx, alice)
        first = sign_in.mint_link(ctx, link.id)
        again = sign_in.mint_link(ctx, link.id)  # a redelivery: a new token, the old one dead
        assert first and again and first != again
        assert sign_in.peek_link(ctx, again) == "alice"
        with pytest.raises(DeskError, match="not valid"):
            sign_in.peek_link(ctx, first)
        newer = sign_in.send_link(ctx, alice)
        assert sign_in.mint_link(ctx, link.id) is None  # replaced before it went out
    desk.clock.advance(timedelta(minutes=61))
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert sign_in.mint_link(ctx, newer.id) is None  # delivered too long after the asking
    said = render("dashboard_link", link=None)
    assert "no longer valid" in said and "/desk dashboard" in said


def test_a_form_with_a_nonce_of_any_characters_is_refused_not_an_error(desk, server):
    link = _ask(desk, "alice")
    with _new_browser(server) as client:
        assert client.get(link).status_code == 200  # the page's cookie is set
        odd = client.post(link, data={"nonce": "é" * 10})
        assert odd.status_code == 400 and "press Continue" in odd.text
        assert "deskbot_session" not in client.cookies


def test_two_presses_at_once_open_one_session(desk, server):
    """Two posts of the same link at the same moment (a double click, a replay racing the
    owner): the link is spent once, so exactly one of them opens a session."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    link = _ask(desk, "alice")
    with _new_browser(server) as opener:
        opened = opener.get(link)
        nonce = NONCE.search(opened.text).group(1)
        cookie = opener.cookies.get("deskbot_sign_in")
    start = Barrier(2)

    def press(_: int) -> tuple[int, str | None]:
        with _new_browser(server, deskbot_sign_in=cookie) as client:
            start.wait()
            answer = client.post(link, data={"nonce": nonce})
            return answer.status_code, client.cookies.get("deskbot_session")

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(press, range(2)))
    assert [status for status, _ in answers] == [303, 403]
    assert answers[1][1] is None
    with desk.runtime.database.engine.connect() as connection:
        sessions = connection.execute(text("SELECT COUNT(*) FROM web_sessions")).scalar()
    assert sessions == 1
