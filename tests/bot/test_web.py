"""Health and readiness endpoints."""

from starlette.testclient import TestClient

from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import build_web_app


def test_healthz_and_readyz(database_url, example_config, tmp_path):
    runtime = Runtime(
        Settings(database_url=database_url, config_path=None),
        example_config,
        platforms=("console",),
    )
    client = TestClient(build_web_app(runtime))
    assert client.get("/healthz").text == "ok"
    assert client.get("/readyz").json() == {"database": "ok"}
    runtime.close()


def test_readyz_says_when_the_database_is_unreachable(example_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'deskbot.db'}"
    runtime = Runtime(
        Settings(database_url=url, config_path=None), example_config, platforms=("console",)
    )
    response = TestClient(build_web_app(runtime)).get("/readyz")
    assert (response.status_code, response.json()) == (503, {"database": "unreachable"})
    runtime.close()
