"""Slack: slash commands, buttons, modals, DMs and App Home on slack-bolt; outbox delivery."""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
