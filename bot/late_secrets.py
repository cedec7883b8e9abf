"""Secrets minted as a message is delivered, so they never rest in the outbox table.

An on-call calendar address carries a token made from a key, never stored either.

A password-reset DM is written to the outbox with the flow's number only; the delivery
asks the domain for a fresh token just before sending and renders the link with it. A
redelivery mints a new token (the old one stops working), so a retried DM never carries a
dead link.
"""

from __future__ import annotations

from dataclasses import replace

from bot.oncall_links import feed_key, feed_url
from domain import requests, sign_in
from domain.context import DeskContext
from domain.directory import DirectoryFactory


class LateSecrets:
    """Completes the messages of the kinds that carry a secret, one transaction each."""

    KINDS = frozenset({"password_reset_link", "oncall_feed", "dashboard_link"})

    def __init__(
        self,
        database,
        policy,
        clock,
        public_url: str,
        directory: DirectoryFactory | None,
        audit_key: bytes | None = None,
    ) -> None:
        self.database, self.policy, self.clock = database, policy, clock
        self.audit_key = audit_key
        self.public_url = public_url.rstrip("/")
        self.directory = directory

    def needs(self, kind: str) -> bool:
        return kind in self.KINDS

    def complete(self, message):
        """The message with its secret filled in (None where the flow is already over)."""
        if message.kind == "oncall_feed":
            key = feed_key(self.audit_key, name=self.policy.oncall.feed_key_env)
            link = feed_url(self.public_url, key, str(message.context["team"]))
            return replace(message, context={**message.context, "link": link})
        with self.database.transaction() as session:
            ctx = DeskContext(
                session,
                self.policy,
                self.clock,
                directory=self.directory(session) if self.directory else None,
                audit_key=self.audit_key,
            )
            if message.kind == "dashboard_link":
                token = sign_in.mint_link(ctx, int(message.context["sign_in"]))
                path = "/dashboard/sign-in/"
            else:
                token = requests.mint_reset_token(ctx, int(message.context["reset"]))
                path = "/reset/"
        link = f"{self.public_url}{path}{token}" if token else None
        return replace(message, context={**message.context, "link": link})
