"""The Bolt app: every Slack listener wired to the desk, in one place."""

from __future__ import annotations

import logging
import uuid

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import actions, commands, home, intake, marks
from adapters.slack.desk import SlackDesk

log = logging.getLogger(__name__)


def build_app(
    *, client: AsyncWebClient, signing_secret: str | None, desk: SlackDesk, home_tab: home.HomeTab
) -> AsyncApp:
    """An AsyncApp that acknowledges first and does the work in the background."""
    app = AsyncApp(
        client=client,
        # Without a secret the HTTP route is not mounted (Socket Mode only), so nothing is
        # verified against an empty secret.
        signing_secret=signing_secret or "",
        # The gate (adapters/slack/gate.py) verifies every HTTP request before Bolt sees
        # it, and Socket Mode requests carry no signature: verifying again costs a second
        # HMAC per request and protects nothing.
        request_verification_enabled=False,
        # Listeners only acknowledge and hand work to desk.spawn, so the acknowledgement can
        # go out as soon as the listener returns instead of being polled for.
        process_before_response=True,
        logger=logging.getLogger("adapters.slack.bolt"),
    )
    commands.register(app, desk)
    actions.register(app, desk)
    intake.register(app, desk)
    home.register(app, desk, home_tab)
    marks.register(app, desk)

    @app.error
    async def on_error(error: Exception) -> None:
        log.error(
            "slack: listener failed (error id %s): %r", uuid.uuid4().hex[:8], error, exc_info=error
        )

    return app
