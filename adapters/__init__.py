"""Platform in, platform out: console, Slack and Discord translations of the bot."""
