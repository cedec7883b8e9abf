"""Alembic environment: runs against the engine deskbot hands over, or DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine

from domain.schema import Base
from migrations import include_object

target_metadata = Base.metadata


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    from bot.db import normalise_url

    return create_engine(normalise_url(os.environ.get("DATABASE_URL", "sqlite:///deskbot.db")))


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
