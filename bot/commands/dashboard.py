"""/desk dashboard: a one-time sign-in link to the web dashboard, by DM."""

from __future__ import annotations

from bot.commands import desk  # noqa: F401  (declares /desk, which this adds to)
from bot.commands.spec import TABLE, Call, Reply
from domain import sign_in


@TABLE.subcommand(
    "desk", "dashboard", "Open the web dashboard: a one-time sign-in link comes by DM"
)
def dashboard(call: Call) -> Reply:
    sign_in.send_link(call.ctx, call.actor, platform=call.identity.platform)
    minutes = int(sign_in.LINK_LIFE.total_seconds() // 60)
    return Reply(
        f"I sent you a sign-in link for the dashboard by DM: it works once, within {minutes} "
        "minutes of arriving. Keep it to yourself: it signs you in as you."
    )
