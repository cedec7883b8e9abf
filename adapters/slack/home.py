"""App Home: a person's open incidents; for agents also what is assigned to them and their queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.asker import Asker
from adapters.slack.mrkdwn import escape
from adapters.slack.people import SlackPeople
from bot.actions import button_id
from bot.dispatcher import Dispatcher, HomeView

NEW_INCIDENT_BUTTON = "home_new_incident"


def _section(text: str, accessory: dict | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True},
    }
    if accessory:
        block["accessory"] = accessory
    return block


def _button(action_id: str, text: str, value: str, primary: bool = False) -> dict[str, Any]:
    button = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }
    if primary:
        button["style"] = "primary"
    return button


def _action_button(incident: dict, name: str) -> dict[str, Any] | None:
    """The button for one of the actions the incident's snapshot allows, if it allows it."""
    for action in incident.get("actions", ()):
        if action["name"] == name:
            return _button(
                button_id("incident", name), action["label"], incident["key"], action["primary"]
            )
    return None


def _item(incident: dict, button: dict | None = None) -> dict[str, Any]:
    who = (
        f" · {escape('@' + incident['assignee'])}" if incident.get("assignee") else " · unassigned"
    )
    state = incident["state_label"]
    breach = " · :warning: SLA breached" if incident.get("breached") else ""
    return _section(
        f"*{incident['key']}* · {incident['priority']} · {escape(incident['title'])}\n"
        f"{state}{who}{breach}",
        button,
    )


def _listing(title: str, incidents: list[dict], empty: str, button=None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}}
    ]
    if not incidents:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": empty}]})
    blocks += [_item(i, button(i) if button else None) for i in incidents]
    return blocks


def home_view(view: HomeView, *, desk_name: str, notice: str | None = None) -> dict[str, Any]:
    """The Home tab for one person (at most 100 blocks: lists hold at most 20 incidents each)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": desk_name[:150]}},
    ]
    if notice:
        blocks.append(_section(escape(notice)))
    blocks.append(
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [_button(NEW_INCIDENT_BUTTON, "Report an incident", "new", primary=True)],
        }
    )
    blocks += _listing(
        "Your open incidents",
        view.reported[:20],
        "Nothing open. DM me in your own words when something breaks.",
    )
    if view.actor.is_agent:
        blocks += _listing(
            "Assigned to you",
            view.assigned[:20],
            "Nothing assigned to you.",
            lambda i: _action_button(i, "resolve"),
        )
        blocks += _listing(
            view.queue_title or "Queue",
            view.queue[:20],
            "The queue is empty.",
            # Claim where nobody has started yet; taking over work in progress is on the card.
            lambda i: _action_button(i, "claim") if i["tone"] == "waiting" else None,
        )
    return {"type": "home", "blocks": blocks[:100]}


class HomeTab:
    """Publishes a person's Home tab."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        dispatcher: Dispatcher,
        people: SlackPeople,
        desk_name: str,
        run: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.people = people
        self.desk_name = desk_name
        self.run = run or asyncio.to_thread  # SlackDesk.run, which limits threads

    async def publish(self, user_id: str, notice: str | None = None) -> None:
        """Render the person's incidents now and publish them as their Home tab."""
        identity = await self.people.identity(user_id)
        view = await self.run(self.dispatcher.home, identity)
        await self.client.views_publish(
            user_id=user_id, view=home_view(view, desk_name=self.desk_name, notice=notice)
        )


def register(app, desk, home: HomeTab) -> None:
    """Publish the Home tab whenever someone opens it."""

    async def home_job(asker, work) -> None:
        await home.publish(asker.user_id)

    desk.job("home", home_job)

    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") == "home" and event.get("user"):
            asker = Asker(event["user"], home=True)
            desk.start(await desk.accept("home", body.get("event_id"), asker))
