"""The app manifests ask Slack for exactly what the adapter uses, read from the code itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from adapters.slack.adapter import EVENTS_PATH
from bot.commands import COMMANDS

HERE = Path(__file__).resolve().parents[2] / "adapters" / "slack"
SOCKET, HTTP = HERE / "manifest.yaml", HERE / "manifest.http.yaml"

# The bot scopes each Web API method needs (None: no scope; a tuple: public and private
# channels each need their own). A method the adapter starts calling must be added here,
# with its scopes, before this test passes.
PUBLIC_AND_PRIVATE = ("channels:manage", "groups:write")
METHOD_SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",  # to a user id as well: that is the bot's DM
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "conversations_archive": PUBLIC_AND_PRIVATE,
    "conversations_create": PUBLIC_AND_PRIVATE,
    "conversations_history": ("channels:history", "groups:history"),
    "conversations_invite": PUBLIC_AND_PRIVATE,
    "conversations_join": "channels:join",
    "conversations_list": ("channels:read", "groups:read"),
    "conversations_setPurpose": PUBLIC_AND_PRIVATE,
    "conversations_setTopic": PUBLIC_AND_PRIVATE,
    "files_upload_v2": "files:write",  # getUploadURLExternal + completeUploadExternal
    "pins_add": "pins:write",
    "conversations_open": "im:write",
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "views_open": None,
    "views_publish": None,
    "views_update": None,
}
# Events the adapter listens to → (the manifest's bot event, the scope it needs).
EVENTS: dict[str, tuple[str, str | None]] = {
    "message": ("message.im", "im:history"),  # DMs only: intake ignores other channels
    "app_home_opened": ("app_home_opened", None),
    "reaction_added": ("reaction_added", "reactions:read"),
    "reaction_removed": ("reaction_removed", "reactions:read"),
}
WEB_API = re.compile(r"^(apps|auth|chat|conversations|files|pins|reactions|users|views)_\w+$")


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _adapter_code() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in HERE.glob("*.py")]


def _web_api_methods() -> set[str]:
    """Every Web API method the adapter calls (client.chat_postMessage(...) and the like)."""
    return {
        node.func.attr
        for _, tree in _adapter_code()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and WEB_API.match(node.func.attr)
    }


def _events() -> set[str]:
    """Every event the adapter listens to (@app.event("...") )."""
    return {
        node.args[0].value
        for _, tree in _adapter_code()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "event"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def _shortcuts() -> set[str]:
    """Every shortcut's callback_id the adapter listens to (@app.shortcut(NAME or "...") )."""
    return {
        _constant(node.args[0])
        for _, tree in _adapter_code()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "shortcut"
        and node.args
    }


def _constant(node: ast.AST) -> str:
    """A string constant, or the module-level NAME = "..." a listener was given."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    assert isinstance(node, ast.Name), f"cannot read the shortcut id {ast.dump(node)}"
    for _, tree in _adapter_code():
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == node.id for t in statement.targets)
                and isinstance(statement.value, ast.Constant)
            ):
                return str(statement.value.value)
    raise AssertionError(f"cannot read the shortcut id {ast.dump(node)}")


def _needed_scopes() -> set[str]:
    methods = _web_api_methods()
    unknown = methods - METHOD_SCOPES.keys()
    assert not unknown, f"add these methods and their scopes to METHOD_SCOPES: {unknown}"
    events = _events()
    assert events <= EVENTS.keys(), f"add these events to EVENTS: {events - EVENTS.keys()}"
    scopes = {EVENTS[e][1] for e in events}
    for method in methods:
        needed = METHOD_SCOPES[method]
        scopes |= set(needed) if isinstance(needed, tuple) else {needed}
    scopes.add("commands")  # the slash commands
    # users.info answers with profile.email only given users:read.email; people.py reads it.
    if '"email"' in (HERE / "people.py").read_text(encoding="utf-8"):
        scopes.add("users:read.email")
    return scopes - {None}


def test_the_code_sample_is_not_empty() -> None:
    # Guards the derivations below: an AST walk that finds nothing would prove nothing.
    assert {"chat_postMessage", "users_info", "views_open"} <= _web_api_methods()
    assert {"message", "app_home_opened", "reaction_added"} <= _events()
    assert {"conversations_create", "pins_add", "files_upload_v2"} <= _web_api_methods()
    assert "add_to_timeline" in _shortcuts()


@pytest.mark.parametrize("path", [SOCKET, HTTP], ids=["socket", "http"])
def test_the_manifest_declares_commands_scopes_events_and_home(path: Path) -> None:
    manifest = _load(path)
    commands = manifest["features"]["slash_commands"]
    # Exactly the grammar's commands: one it does not know would only answer "Unknown command".
    assert {c["command"]: c["description"] for c in commands} == {
        f"/{name}": command.summary for name, command in COMMANDS.items()
    }
    assert all(c["should_escape"] for c in commands)  # <@U…> mentions for the grammar
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == _needed_scopes()
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        EVENTS[e][0] for e in _events()
    }
    shortcuts = manifest["features"].get("shortcuts") or []
    assert {s["callback_id"] for s in shortcuts if s["type"] == "message"} == _shortcuts()
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
    assert len(urls) == len(COMMANDS) + 2 and all(
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
