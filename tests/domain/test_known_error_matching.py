"""Known errors offered at intake and found by /kb search: the same decisions on SQLite
(FTS5, porter) and PostgreSQL (tsvectors in the `deskbot` configuration: the porter stemmer too), and no crash on hostile text.

The known-error database of tests/fixtures_known_errors.py is published through the real
use cases (open_problem, then record_known_error, as the agent bob), once per module; the
decision for each incident report comes from domain.problems.match_known_error in a
dispatcher unit of work. Run with DATABASE_URL=postgresql://… for PostgreSQL.

ENGINE_DIFFERS lists the reports one engine decides otherwise, and why: those are marked
as expected failures (strict) on that engine only, so the day the engines agree the
marker must go.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import grammar
from bot.config import example_config_path, load_config
from bot.identity import PlatformIdentity
from domain import problems
from domain.errors import InvalidInput
from domain.incidents import IncidentRecord
from domain.problems import search
from tests.conftest import POSTGRES_URL, _wipe
from tests.fixtures_known_errors import KNOWN_ERRORS, REPORTS, Report
from tests.harness import DeskHarness

ALICE = PlatformIdentity("console", "alice")
BOB = PlatformIdentity("console", "bob")
CRASH = "Something went wrong"

# report name → (the engine that decides otherwise, why). The expectation in the fixture is
# what a reader of the report and of the known error would decide.
ENGINE_DIFFERS: dict[str, tuple[str, str]] = {
    "accented-camera": (
        "postgresql",
        "FTS5 folds diacritics (remove_diacritics 2: caméra = camera); the deskbot "
        "configuration does not (no unaccent), so caméra is another word there",
    ),
}


def engine_of(harness: DeskHarness) -> str:
    return "sqlite" if harness.runtime.database.is_sqlite else "postgresql"


def publish_known_errors(harness: DeskHarness) -> dict[str, str]:
    """Publish the fixture's known errors as bob; returns slug → key (KE-n)."""
    dispatcher = harness.runtime.dispatcher
    bob = dispatcher.actor(BOB)
    keys = {}
    for known in KNOWN_ERRORS:
        with dispatcher.unit_of_work() as ctx:
            problem = problems.open_problem(
                ctx,
                bob,
                title=known.title,
                description=known.symptoms,
                service=known.service,
                category=known.category,
            )
            _, record = problems.record_known_error(
                ctx,
                bob,
                problem.key,
                workaround=known.workaround,
                symptoms=known.symptoms,
                root_cause=known.root_cause,
            )
            keys[known.slug] = record.key
            if not known.active:
                problems.resolve_problem(ctx, bob, problem.key, "Fixed for good")
    harness.posts()
    return keys


@pytest.fixture(scope="module")
def _published(tmp_path_factory, _postgres_database):
    """One desk with the known errors published, for this module's read-only tests."""
    if _postgres_database is not None:
        _wipe(_postgres_database)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('kedb') / 'deskbot.db'}"
    harness = DeskHarness.start(url, load_config(example_config_path()))
    state = {"keys": publish_known_errors(harness)}
    yield harness, state
    harness.close()


@pytest.fixture
def kedb(_published, _postgres_database):
    """The shared desk and slug → key; published again if a test using `desk` emptied the
    one PostgreSQL database in between."""
    harness, state = _published
    with harness.runtime.database.transaction() as session:
        count = session.scalar(select(func.count()).select_from(problems.KnownErrorRecord))
    if count != len(KNOWN_ERRORS):
        if _postgres_database is not None:
            _wipe(_postgres_database)
            harness.runtime.prepare()  # the configured people again
        state["keys"] = publish_known_errors(harness)
    return harness, state["keys"]


def decide(harness: DeskHarness, report: Report, keys: dict[str, str]) -> str | None:
    """The slug of the known error match_known_error offers for the report, or None."""
    incident = IncidentRecord(
        title=report.title,
        description=report.description,
        service=report.service,
        category=report.category,
    )
    with harness.runtime.dispatcher.unit_of_work() as ctx:
        found = problems.match_known_error(ctx, incident)
        key = found.key if found is not None else None
    slugs = {v: k for k, v in keys.items()}
    return slugs[key] if key else None


def mark_if_engine_differs(request, harness: DeskHarness, name: str) -> None:
    differs = ENGINE_DIFFERS.get(name)
    if differs and differs[0] == engine_of(harness):
        request.applymarker(pytest.mark.xfail(strict=True, reason=differs[1]))


def test_fixture_is_consistent():
    names = [r.name for r in REPORTS]
    assert len(names) == len(set(names))
    slugs = {k.slug for k in KNOWN_ERRORS}
    assert all(r.expect is None or r.expect in slugs for r in REPORTS)
    assert set(ENGINE_DIFFERS) <= set(names)
    assert len(KNOWN_ERRORS) >= 15 and len(REPORTS) >= 40


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_known_error_offered_at_intake(kedb, report: Report, request):
    harness, keys = kedb
    mark_if_engine_differs(request, harness, report.name)
    assert decide(harness, report, keys) == report.expect, report.why


# A few reports end to end: /incident new through the dispatcher, as typed, on a fresh desk.
INTAKE = [
    "vpn-dropped",
    "no-service-outlook",
    "category-mismatch",
    "one-shared-word",
    "fts-syntax",
    "sql-quote",
    "inactive-known-error",
]


def _reply_of_new(desk, report: Report) -> str:
    flags = {"service": report.service, "category": report.category}
    if report.description:
        flags["description"] = report.description
    argv = grammar.build_argv("incident", "new", [report.title], flags)
    reply = desk.runtime.dispatcher.execute_argv(ALICE, argv)
    assert reply.ok, reply.text
    return reply.text


def test_incident_new_offers_the_workaround(desk):
    keys = publish_known_errors(desk)
    by_name = {r.name: r for r in REPORTS}
    for name in INTAKE:
        report = by_name[name]
        text = _reply_of_new(desk, report)
        offered = re.search(r"This looks like (KE-\d+)", text)
        expected = keys[report.expect] if report.expect else None
        assert (offered.group(1) if offered else None) == expected, (name, text)
        if expected:
            workaround = next(k.workaround for k in KNOWN_ERRORS if k.slug == report.expect)
            assert f"Workaround: {workaround}" in text
    desk.say("alice", '/incident new "VPN drops after sleep" --service vpn')
    assert any("Looks like" in p and keys["vpn-sleep"] in p for p in desk.posts())


# /kb search: what is typed, --service, the best known error found (None: no opinion), and
# all those found, in any order.
KB_SEARCHES = [
    ("vpn sleep", None, "vpn-sleep", {"vpn-sleep"}),
    # vpn-slow's root cause says packets are "dropped" too
    ("VPN dropped after sleeping", None, "vpn-sleep", {"vpn-sleep", "vpn-slow"}),
    ("keepalive timer", None, "vpn-sleep", {"vpn-sleep"}),  # root cause words
    ("reconnect tray icon", None, "vpn-sleep", {"vpn-sleep"}),  # workaround words
    ("outlook password", None, "outlook-password", {"outlook-password"}),
    ("print queue stuck", "laptop", "printer-queue", {"printer-queue"}),
    ("printer queue", "email", None, set()),
    ("expenses receipts", None, "expenses-crash", {"expenses-crash"}),  # inactive: marked
    ('"NEAR" OR * -^ queue', None, None, set()),  # near + queue: no known error has both
    ("dropping", None, None, {"vpn-sleep", "wifi-floor3", "vpn-slow"}),  # one word: any
    # a reader sees a VPN fault; battery shares more words (keeps, lid, closed, sleep: two
    # of them from its workaround "instead of closing the lid") than vpn-sleep (vpn,
    # dropping, sleep: all in its title)
    (
        "VPN keeps dropping whenever the lid is closed, it goes to sleep",
        None,
        "vpn-sleep",
        {"vpn-sleep", "battery", "wifi-floor3", "vpn-slow"},
    ),
]
KB_DIFFERS = {
    "VPN keeps dropping whenever the lid is closed, it goes to sleep": (
        "sqlite",
        "bm25 ranks battery first (4 shared words, lid and closed rare ones), ts_rank_cd "
        "vpn-sleep (3 words, all in its title, weight A)",
    ),
}


def kb_keys(text: str) -> list[str]:
    return re.findall(r"^  (KE-\d+)", text, flags=re.MULTILINE)


@pytest.mark.parametrize(("typed", "service", "best", "found"), KB_SEARCHES, ids=str)
def test_kb_search(kedb, typed, service, best, found, request):
    harness, keys = kedb
    differs = KB_DIFFERS.get(typed)
    if differs and differs[0] == engine_of(harness):
        request.applymarker(pytest.mark.xfail(strict=True, reason=differs[1]))
    flags = {"service": service} if service else {}
    reply = harness.runtime.dispatcher.execute_argv(
        ALICE, grammar.build_argv("kb", "search", [typed], flags)
    )
    assert reply.ok, reply.text
    listed = kb_keys(reply.text)
    assert sorted(listed) == sorted(keys[s] for s in found), reply.text
    if best is not None:
        assert listed[0] == keys[best], reply.text
    if "expenses-crash" in found:
        assert f"{keys['expenses-crash']} (fixed)" in reply.text


# -- hostile text ---------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\n\t\r",
    '"',
    '""',
    '"""vpn',
    "'",
    "*",
    "-",
    "^",
    "()",
    ")(",
    "(",
    ":",
    "{",
    "}",
    "NEAR",
    "NEAR(",
    "OR",
    "AND NOT",
    "vpn OR",
    "OR vpn",
    "vpn AND sleep",
    "vpn NOT sleep",
    "vpn*",
    "*vpn",
    "-vpn",
    "^vpn sleep",
    "vpn: sleep",
    "title:vpn",
    "{title}: vpn sleep",
    "{title symptoms} : vpn",
    'NEAR("vpn" "sleep", 2)',
    'vpn + sleep "unterminated',
    "vpn & sleep",
    "vpn | sleep",
    "!vpn !sleep",
    "vpn <-> sleep",
    "vpn <2> sleep",
    "vpn:* sleep:A",
    "'vpn' 'sleep'",
    "\\",
    "\\\\ vpn \\ sleep",
    "'; DROP TABLE known_errors; --",
    "%",
    "_",
    "%_% vpn_sleep",
    "%s %(x)s {0} {{ 7*7 }} {% if %}",
    "vpn\x00sleep",
    "\x00",
    "\ud800 vpn sleep",
    "\u202evpn sleep",
    "v\u200dp\u200dn s\u200bleep",
    "cafe\u0301 caf\u00e9",
    "İstanbul İİİ vpn",
    "ﬁle ﬂoor",
    "x² ²² vpn",
    "٤٠٤ ١٢٣ vpn",
    "Ⅻ ⅻ vpn",
    "𝔳𝔭𝔫 𝔰𝔩𝔢𝔢𝔭",
    "ＶＰＮ ｓｌｅｅｐ",
    "v̸̡̛p̷̨n̶̢ s̴l̵e̸e̷p̶",
    "हिन्दी वीपीएन",
    "打印机 无法 使用",
    "🔥💥🧨",
    "🔥vpn🔥 💤sleep💤",
    "<b>vpn</b> <script>alert(1)</script> &amp; sleep",
    "http://vpn.example.com/sleep?x=1&y=2 alice@example.com",
    "C:\\Windows\\System32 /var/log/vpn.log",
    "1e309 NaN -1 0x00 9999999999999999999999",
    "9" * 100,
    "a" * 499,
    "vpn " * 125,  # exactly 500 characters
    "vpn " * 126,  # 504
    "a" * 5000,
    "é" * 20_000,
    "vpn sleep " * 2_000,  # 20,000 characters
    " ".join(f"word{i}" for i in range(3000)),
]


def _kb(harness, typed: str):
    return harness.runtime.dispatcher.execute_argv(
        ALICE, grammar.build_argv("kb", "search", [typed])
    )


@pytest.mark.parametrize("typed", NASTY, ids=lambda s: repr(s[:30]) + f"…{len(s)}")
def test_kb_search_hostile_text(kedb, typed):
    harness, _ = kedb
    reply = _kb(harness, typed)
    assert CRASH not in reply.text
    if not typed:
        assert not reply.ok and "Missing TEXT" in reply.text
    elif len(typed) > search.MAX_QUERY:
        assert not reply.ok
        assert reply.text.startswith("A search can be at most 500 characters"), reply.text
    elif not search.words_of(typed):
        assert not reply.ok and reply.text.startswith("Give a few words to search for")
    else:
        assert reply.ok, reply.text
    # As typed: the chat tokenizer may refuse it (an unclosed quote), never crash.
    typed_reply = harness.runtime.dispatcher.execute(ALICE, "/kb search " + typed)
    assert CRASH not in typed_reply.text


@pytest.mark.parametrize("typed", NASTY, ids=lambda s: repr(s[:30]) + f"…{len(s)}")
def test_match_hostile_text(kedb, typed):
    harness, keys = kedb
    for service, category in ((None, None), ("vpn", None), ("vpn", "connectivity")):
        report = Report(
            "hostile", typed, None, description=typed, service=service, category=category
        )
        found = decide(harness, report, keys)
        assert found is None or found in keys


LONE_SURROGATE = "\ud800 vpn sleep"  # what JSON's "\\ud800" decodes to


def _new_incident(desk, title: str):
    argv = grammar.build_argv("incident", "new", [title], {"service": "vpn"})
    return desk.runtime.dispatcher.execute_argv(ALICE, argv)


def test_incident_new_hostile_text(desk):
    publish_known_errors(desk)
    for typed in NASTY:
        if typed == LONE_SURROGATE:
            continue
        reply = _new_incident(desk, typed[:200])
        assert CRASH not in reply.text, typed
        reply = desk.runtime.dispatcher.execute(ALICE, f"/incident new {typed[:200]}")
        assert CRASH not in reply.text, typed


def test_incident_new_lone_surrogate(desk):
    assert CRASH not in _new_incident(desk, LONE_SURROGATE).text


HOSTILE_CHARS = st.characters(
    codec="utf-8",
    categories=("L", "M", "N", "P", "S", "Z", "Cf"),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(typed=st.text(HOSTILE_CHARS, max_size=60) | st.text("\"'*^-:(){}&|!<>+ ab", max_size=30))
def test_search_never_raises(kedb, typed):
    harness, keys = kedb
    alice = harness.runtime.dispatcher.actor(ALICE)
    with harness.runtime.dispatcher.unit_of_work() as ctx, contextlib.suppress(InvalidInput):
        problems.search_known_errors(ctx, alice, typed)
    assert decide(harness, Report("any", typed, None, service="vpn"), keys) in {None, *keys}
