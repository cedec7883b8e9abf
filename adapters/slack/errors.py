"""Reading Slack API failures."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: SlackApiError) -> str | None:
    """The `error` field of a failed call ("channel_not_found"…), if its body was JSON."""
    data = getattr(exc.response, "data", None)
    return str(data["error"]) if isinstance(data, dict) and data.get("error") else None
