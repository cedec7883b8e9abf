"""The app manifests ask Slack for exactly what the adapter uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.slack.adapter import EVENTS_PATH
from bot.grammar import COMMANDS

HERE = Path(__file__).resolve().parents[2] / "adapters" / "slack"
SOCKET, HTTP = HERE / "manifest.yaml", HERE / "manifest.http.yaml"
SCOPES = {
    "commands",
    "chat:write",
    "channels:join",
    "im:history",
    "im:write",
    "users:read",
    "users:read.email",
}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [SOCKET, HTTP], ids=["socket", "http"])
def test_the_manifest_declares_commands_scopes_events_and_home(path: Path) -> None:
    manifest = _load(path)
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert {f"/{name}" for name in COMMANDS} <= set(commands)  # every command of the grammar
    assert {"/request", "/access", "/problem"} <= set(commands)  # routed the same way, later
    assert all(c["should_escape"] for c in manifest["features"]["slash_commands"])  # <@U…> mentions
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.im",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False


def test_socket_mode_needs_no_urls_and_http_mode_points_every_url_at_slack_events() -> None:
    socket, http = _load(SOCKET), _load(HTTP)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in str(socket["settings"]) and all(
        "url" not in c for c in socket["features"]["slash_commands"]
    )
    assert http["settings"]["socket_mode_enabled"] is False
    urls = [c["url"] for c in http["features"]["slash_commands"]] + [
        http["settings"]["event_subscriptions"]["request_url"],
        http["settings"]["interactivity"]["request_url"],
    ]
    assert len(urls) == 7 and all(
        u.startswith("https://") and u.endswith(EVENTS_PATH) for u in urls
    )
    # Apart from transport, the two manifests are the same app.
    for manifest in (socket, http):
        for command in manifest["features"]["slash_commands"]:
            command.pop("url", None)
        for section in ("event_subscriptions", "interactivity"):
            manifest["settings"][section].pop("request_url", None)
        manifest["settings"].pop("socket_mode_enabled")
    assert socket == http
