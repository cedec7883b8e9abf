"""The dashboard's sign-in records: one-time links sent by DM, and the browser sessions
they open. Secrets are kept as SHA-256 only (they are long and random, so a plain hash is
enough), and a finished link or session keeps not even that."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.records import Base, UtcDateTime


class SignInLink(Base):
    """A one-time sign-in link for one person. Written without a token when they ask; the
    token is minted (and its hash stored) as the DM is delivered, and the ten minutes it
    lasts start then."""

    __tablename__ = "sign_in_links"
    __table_args__ = (Index("ix_sign_in_links_person_created", "person", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # set when minted
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebSession(Base):
    """A signed-in browser: the person it belongs to and how long it lasts. The cookie
    holds the token; this row holds its hash."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_person_created", "person", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
