"""The Alembic revisions and the SQLAlchemy models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db import Database
from domain.records import Base


def test_models_and_migrations_agree(database_url):
    database = Database(database_url)
    database.upgrade()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    database.dispose()
    assert differences == []


def test_upgrade_is_idempotent_and_reports_head(database_url):
    database = Database(database_url)
    database.upgrade()
    first = database.current_revision()
    database.upgrade()
    assert database.current_revision() == first is not None
    database.dispose()
