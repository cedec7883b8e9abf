"""The audit trail's key: DESKBOT_AUDIT_KEY, or — for the zero-configuration start — a key
generated once into a file beside the SQLite database (mode 0600). Never logged, never in
the database: whoever can write the database must not be able to recompute the chain."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "deskbot-audit.key"


def key_file(settings: Settings) -> Path | None:
    """Where the generated key lives: the setting, else beside an SQLite file, else the
    working directory; None for an in-memory database (its trail dies with the process)."""
    if settings.audit_key_file is not None:
        return settings.audit_key_file
    url = settings.database_url
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not database or ":memory:" in database or "mode=memory" in url:
            return None
        return Path(database).parent / KEY_FILE
    return Path.cwd() / KEY_FILE


def load_audit_key(settings: Settings, *, create: bool = True) -> bytes | None:
    """The key every unit of work gets (see the module's docstring). With `create=False`
    (checking a chain), None rather than a new key where none was kept."""
    if settings.audit_key:
        return settings.audit_key.encode()
    path = key_file(settings)
    if not create:
        return _read(path) if path is not None and path.exists() else None
    if path is None:
        log.warning("audit: in-memory database and no DESKBOT_AUDIT_KEY: a key for this run only")
        return secrets.token_hex(32).encode()
    if not path.parent.is_dir():
        # Nowhere to keep it: neither can the SQLite file beside it exist, so no record can
        # be written under this key — nothing is lost by not keeping it.
        log.warning("audit: %s does not exist; a key for this run only", path.parent)
        return secrets.token_hex(32).encode()
    key = _read_or_create(path)
    log.warning(
        "audit: DESKBOT_AUDIT_KEY is not set; using the key in %s. In production set "
        "DESKBOT_AUDIT_KEY (the same on every replica) and keep it out of the database's "
        "reach",
        path,
    )
    return key


def _read_or_create(path: Path) -> bytes:
    """The key in `path`, made first if missing: written to a private temporary file and
    linked into place, so processes starting at once all end up with the one key."""
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process linked first
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < 16:
        raise ValueError(f"the audit key file {path} is empty or too short")
    return key.encode()
