"""`deskbot --help` (and --version) import none of the heavy parts a subcommand needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("sqlalchemy", "alembic", "jinja2", "bot.outbox", "uvicorn", "starlette", "slack_bolt")

PROBE = """
import json, sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _imported_by(*argv: str, cwd=None, env=None) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.splitlines()[-1]))


def test_help_imports_no_database_templates_outbox_or_web_server():
    modules = _imported_by("--help")
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}


def test_version_imports_none_of_them_either():
    modules = _imported_by("--version")
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}


def test_the_probe_sees_what_a_command_imports(tmp_path, database_url):
    # Guards the test above: `db current` does import SQLAlchemy, and the probe sees it.
    env = {k: v for k, v in os.environ.items() if k != "DESKBOT_CONFIG"}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    modules = _imported_by("db", "current", cwd=tmp_path, env=env)
    assert "sqlalchemy" in modules
