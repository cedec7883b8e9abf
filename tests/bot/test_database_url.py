"""DATABASE_URL mistakes are one line naming the variable; in-memory SQLite works."""

import threading

import pytest

from bot.config import load_config_text
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from bot.settings import Settings
from tests.e2e.test_cli import run_deskbot

EXAMPLE = "examples/deskbot.yaml"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "DATABASE_URL is not a database URL; use sqlite:///"),
        (
            "mysql://root:hunter2@db/desk",
            "DATABASE_URL uses 'mysql', which deskbot does not support",
        ),
        ("http://x", "DATABASE_URL uses 'http', which deskbot does not support"),
        (
            "postgresql+psycopg2://desk:hunter2@127.0.0.1/desk",
            "DATABASE_URL asks for the PostgreSQL driver 'psycopg2'",
        ),
    ],
)
def test_an_unusable_database_url_is_one_clear_line(url, says):
    with pytest.raises(ValueError) as raised:
        Settings.from_env({"DATABASE_URL": url})
    message = str(raised.value)
    assert message.startswith(says)
    assert "postgresql://user:password@host/dbname" in message or "psycopg 3" in message
    assert "hunter2" not in message and "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///desk.db",
        "postgres://u:p@h/d",
        "postgresql://u@h/d",
        "postgresql:///d",
        "sqlite://",
    ],
)
def test_the_supported_forms_are_accepted(url):
    assert Settings.from_env({"DATABASE_URL": url}).database_url == url


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path):
    result = run_deskbot(["console"], tmp_path, env={"DATABASE_URL": "mysql://root:hunter2@db/x"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "deskbot: DATABASE_URL uses 'mysql', which deskbot does not support; use "
        "sqlite:///path/to/deskbot.db or postgresql://user:password@host/dbname"
    ]


def test_config_check_does_not_need_a_usable_database_url(tmp_path):
    from pathlib import Path

    example = str(Path(__file__).parents[2] / EXAMPLE)
    result = run_deskbot(["config", "check", example], tmp_path, env={"DATABASE_URL": "garbage"})
    assert result.returncode == 0, result.stderr


def test_in_memory_sqlite_is_one_database_for_every_thread():
    # Each thread used to get a connection, and so an empty database, of its own.
    from pathlib import Path

    config = load_config_text((Path(__file__).parents[2] / EXAMPLE).read_text())
    runtime = Runtime(
        Settings(database_url="sqlite://", config_path=None), config, platforms=("console",)
    )
    runtime.prepare()
    replies: list[str] = []

    def report(n: int) -> None:
        reply = runtime.dispatcher.execute(
            PlatformIdentity("console", "alice"), f'/incident new "memory {n}"'
        )
        replies.append(reply.text)

    threads = [threading.Thread(target=report, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = runtime.dispatcher.execute(PlatformIdentity("console", "alice"), "/incident list")
    runtime.close()
    assert sorted(reply.split(" ", 2)[1] for reply in replies) == sorted(
        f"INC-{n}" for n in range(1, 9)
    )
    assert "Your open incidents (8)" in listed.text
