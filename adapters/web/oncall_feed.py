"""GET /api/v1/oncall/TEAM.ics?token=…: a team's on-call as an iCalendar feed, for
people's calendar apps. The token (from `/oncall feed TEAM`, by DM) is the only
credential a calendar client can send; a wrong one gets 403 and says nothing about the
team."""

from __future__ import annotations

import asyncio
import hmac
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.oncall_feed import feed_token, render_ics
from bot.oncall_links import feed_key
from domain import oncall

PAST = timedelta(days=7)  # recent shifts stay in the calendar for a week
AHEAD = timedelta(days=90)


def oncall_feed_routes(runtime) -> list[Route]:
    """The feed's route on deskbot's web server."""
    feed = OncallFeed(runtime)
    return [Route("/api/v1/oncall/{team}.ics", feed.handle, methods=["GET", "HEAD"])]


class OncallFeed:
    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.key = feed_key(runtime.audit_key, name=runtime.policy.oncall.feed_key_env)

    async def handle(self, request: Request) -> Response:
        team = request.path_params["team"].lower()
        token = request.query_params.get("token", "")
        # Compare against the team's token whether or not the team exists: the answer and
        # its timing do not tell a stranger which teams there are.
        expected = feed_token(self.key, team)
        if not token or not hmac.compare_digest(token.encode(), expected.encode()):
            return PlainTextResponse(
                "A valid token is needed: ask deskbot for /oncall feed TEAM.\n", 403
            )
        if team not in self.runtime.policy.oncall.teams:
            return PlainTextResponse(f"{team[:40]} has no on-call schedule.\n", 404)
        body = await asyncio.to_thread(self._calendar, team)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
        )

    def _calendar(self, team: str) -> str:
        policy = self.runtime.policy
        settings = policy.oncall.teams[team]
        with self.runtime.dispatcher.unit_of_work() as ctx:
            now = ctx.clock.now()
            shifts = {}
            for name, schedule in settings.schedules.items():
                # From the real start of the shift a week ago, not the window's edge: an
                # event's UID comes from its start, and must not change as the window moves.
                start = oncall.on_call(ctx, schedule, now - PAST).now.start
                shifts[name] = oncall.timeline(ctx, schedule, start, now + AHEAD)
        known = policy.teams.get(team)
        display = (known.display_name if known else None) or team
        names = {name: p.display_name for name, p in policy.people.items()}
        return render_ics(team, display, shifts, names, now)
