"""Identity of the fake Slack workspace, shared by the fake Web API and the request signer."""

TEAM_ID = "T0DESK"
TEAM_DOMAIN = "deskbot-test"
APP_ID = "A0DESKBOT"
BOT_USER_ID = "U0DESKBOT"
BOT_ID = "B0DESKBOT"
