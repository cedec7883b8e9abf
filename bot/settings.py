"""Settings from the environment: the names operators rely on (see the brief)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.logs import LOG_FORMATS

SUPPORTED_DATABASES = "sqlite:///path/to/deskbot.db or postgresql://user:password@host/dbname"
# The schemes deskbot can open: SQLite (built in) and PostgreSQL through psycopg 3.
DATABASE_SCHEMES = frozenset({"sqlite", "postgres", "postgresql", "postgresql+psycopg"})


def check_database_url(url: str) -> None:
    """ValueError, in one line that never repeats the URL's password, unless deskbot can
    open `url`."""
    scheme, found, _ = url.partition("://")
    if not found or not scheme or " " in scheme:
        raise ValueError(f"DATABASE_URL is not a database URL; use {SUPPORTED_DATABASES}")
    scheme = scheme.lower()
    if scheme in DATABASE_SCHEMES:
        return
    if scheme.startswith(("postgresql+", "postgres+")):
        driver = scheme.partition("+")[2]
        raise ValueError(
            f"DATABASE_URL asks for the PostgreSQL driver {driver!r}, which deskbot does not "
            "use: write postgresql://… (deskbot connects with psycopg 3)"
        )
    raise ValueError(
        f"DATABASE_URL uses {scheme[:20]!r}, which deskbot does not support; "
        f"use {SUPPORTED_DATABASES}"
    )


@dataclass(frozen=True)
class Settings:
    """Process settings. Secrets live here and nowhere else; never log this object."""

    database_url: str
    config_path: Path | None
    port: int = 3000
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    discord_token: str | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    ldap_password: str | None = None  # the LDAP directory's bind password
    # Where people reach the web server, for every link deskbot sends (PUBLIC_URL).
    public_url: str = "http://localhost:3000"
    # Proxies whose X-Forwarded-* headers are believed (TRUSTED_PROXIES, comma-separated).
    trusted_proxies: str = "127.0.0.1"
    smtp_url: str | None = None  # DESKBOT_SMTP_URL: smtp://user:password@host:587
    mail_from: str = "deskbot@localhost"  # DESKBOT_MAIL_FROM
    mail_file: Path | None = None  # DESKBOT_MAIL_FILE: where mail goes without SMTP
    # DESKBOT_AUDIT_KEY: the audit trail's HMAC key. Without it, a key generated once into
    # `audit_key_file` (bot/audit_key.py); never logged, never stored in the database.
    audit_key: str | None = None
    audit_key_file: Path | None = None
    # LOG_FORMAT: "text" (lines for a terminal) or "json" (one object per line, bot/logs.py).
    log_format: str = "text"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
        """Read settings from environment variables, with the documented defaults."""
        env = dict(os.environ if env is None else env)
        cwd = cwd or Path.cwd()
        config = env.get("DESKBOT_CONFIG")
        config_path = Path(config) if config else cwd / "deskbot.yaml"
        port_text = env.get("PORT", "3000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"PORT must be a TCP port number, not {port_text!r}")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{cwd / 'deskbot.db'}"
        check_database_url(database_url)
        public_url = (env.get("PUBLIC_URL") or f"http://localhost:{port_text}").rstrip("/")
        if not public_url.startswith(("https://", "http://")) or " " in public_url:
            raise ValueError(f"PUBLIC_URL must be an http(s) address, not {public_url[:60]!r}")
        audit_key = env.get("DESKBOT_AUDIT_KEY") or None
        if audit_key is not None and len(audit_key.strip()) < 16:
            raise ValueError(
                "DESKBOT_AUDIT_KEY must be at least 16 characters: use `openssl rand -hex 32`"
            )
        log_format = (env.get("LOG_FORMAT") or "text").strip().lower()
        if log_format not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be text or json, not {log_format[:20]!r}")
        return cls(
            database_url=database_url,
            config_path=config_path if (config or config_path.exists()) else None,
            port=int(port_text),
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            discord_token=env.get("DISCORD_TOKEN") or None,
            discord_api_url=env.get("DISCORD_API_URL") or None,
            discord_gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
            ldap_password=env.get("DESKBOT_LDAP_PASSWORD") or None,
            public_url=public_url,
            trusted_proxies=env.get("TRUSTED_PROXIES") or "127.0.0.1",
            smtp_url=env.get("DESKBOT_SMTP_URL") or None,
            mail_from=env.get("DESKBOT_MAIL_FROM") or "deskbot@localhost",
            mail_file=Path(env.get("DESKBOT_MAIL_FILE") or cwd / "deskbot-mail.txt"),
            audit_key=audit_key.strip() if audit_key else None,
            audit_key_file=cwd / "deskbot-audit.key",
            log_format=log_format,
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)

    @property
    def chat_platforms(self) -> tuple[str, ...]:
        """The chat platforms this deployment has credentials for."""
        return tuple(
            name
            for name, on in (("slack", self.slack_enabled), ("discord", self.discord_enabled))
            if on
        )

    def __repr__(self) -> str:  # keep tokens out of tracebacks and logs
        return (
            f"Settings(database_url=<hidden>, port={self.port}, platforms={self.chat_platforms}, "
            f"public_url={self.public_url})"
        )

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure when people reach deskbot over https."""
        return self.public_url.startswith("https://")
