"""The Alembic revisions and the SQLAlchemy models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db import Database
from domain.schema import Base
from migrations import include_object


def test_models_and_migrations_agree(database_url):
    database = Database(database_url)
    database.upgrade()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
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


def test_replicas_starting_at_once_on_an_empty_database_all_come_up(tmp_path, database_url):
    """Each replica runs upgrade and the people sync; they must take turns, not collide."""
    import threading
    import uuid

    from sqlalchemy import create_engine, text

    from bot.config import example_config_path, load_config
    from bot.runtime import Runtime
    from bot.settings import Settings

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    admin = None
    if not database_url.startswith("sqlite"):
        name = f"deskbot_race_{uuid.uuid4().hex[:8]}"
        admin = create_engine(Database(database_url).url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        fresh = database_url.rsplit("/", 1)[0] + f"/{name}"
    config = load_config(example_config_path())
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def replica() -> None:
        runtime = Runtime(Settings(database_url=fresh, config_path=None), config, platforms=())
        start.wait()
        try:
            runtime.prepare()
            outcomes.append("ok")
        except Exception as exc:  # the assertion below shows which
            outcomes.append(repr(exc)[:200])
        finally:
            runtime.close()

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()
    assert outcomes == ["ok"] * 4
