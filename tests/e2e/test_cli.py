"""The `deskbot` command as a newcomer runs it: real processes, piped input, real HTTP."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

DESKBOT = str(Path(sys.executable).parent / "deskbot")

SESSION = """\
/incident new "VPN drops every 10 min" --service vpn --impact high --urgency medium
/incident claim INC-1
:user carol
/incident claim INC-1
/incident hold INC-1 "waiting for alice to test from home"
/incident resume INC-1
/incident resolve INC-1 "replaced a faulty VPN concentrator PSU"
:user alice
/incident close INC-1
/incident clam INC-1
/incident show INC-1
"""


def run_deskbot(args, cwd, *, stdin="", env=None, timeout=60):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    environment.update(env or {})
    return subprocess.run(
        [DESKBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
    )


@pytest.fixture
def workdir(tmp_path, database_url):
    """An empty directory, as a newcomer's, with the test's database."""
    return tmp_path, {"DATABASE_URL": database_url}


def test_a_piped_console_session_works_an_incident_from_start_to_finish(workdir):
    cwd, env = workdir
    result = run_deskbot(["console"], cwd, stdin=SESSION, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "No deskbot.yaml here, so this is the example company" in out
    assert 'alice> /incident new "VPN drops every 10 min"' in out
    assert 'Opened INC-1 [P2] "VPN drops every 10 min", queued for network.' in out
    assert "[#service-desk] INC-1 [P2] VPN drops every 10 min — reported by @alice" in out
    assert "alice> /incident claim INC-1\nOnly service-desk agents can claim incidents." in out
    assert "[DM @alice] @carol is working on your incident INC-1" in out
    assert "INC-1 is on hold; its SLA clocks are paused." in out
    assert "[DM @alice] Your incident INC-1 is on hold: waiting for alice to test from home" in out
    assert "INC-1 is back in progress" in out
    assert '[DM @alice] Your incident INC-1 "VPN drops every 10 min" is resolved' in out
    assert "alice> /incident close INC-1\nINC-1 is closed. Thank you!" in out
    assert "/incident has no subcommand 'clam'. Did you mean claim?" in out
    assert "State: Closed" in out


def test_the_console_uses_a_sqlite_file_in_the_working_directory_by_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [DESKBOT, "console"],
        input='/incident new "first"\n',
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "deskbot.db").exists()
    again = subprocess.run(
        [DESKBOT, "console"],
        input="/incident list\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert "INC-1 [P3] first" in again.stdout


def test_a_broken_config_starts_nothing(workdir):
    cwd, env = workdir
    (cwd / "deskbot.yaml").write_text("routing:\n  triage: nowhere\n")
    result = run_deskbot(["console"], cwd, stdin="/incident list\n", env=env)
    assert result.returncode == 2
    assert "the configuration has problems; nothing was started" in result.stderr
    assert f"{cwd / 'deskbot.yaml'}:2: routing.triage: unknown channel 'nowhere'" in result.stderr
    assert result.stdout == ""


def test_an_unknown_console_user_is_refused(workdir):
    cwd, env = workdir
    result = run_deskbot(["console", "--user", "mallory"], cwd, env=env)
    assert result.returncode == 2
    assert "unknown person 'mallory'" in result.stderr


def test_db_upgrade_reports_the_revision(workdir):
    cwd, env = workdir
    result = run_deskbot(["db", "upgrade"], cwd, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Database schema is at revision 0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_run_without_credentials_serves_health_and_runs_the_console(workdir):
    cwd, env = workdir
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    environment.update(env, PORT=str(port))
    process = subprocess.Popen(
        [DESKBOT, "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=environment,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert (status, body) == (200, "ok")
        assert _get(f"http://127.0.0.1:{port}/readyz") == (200, '{"database":"ok"}')
        out, err = process.communicate(
            '/incident new "Laptop will not boot" --service laptop\n', timeout=30
        )
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "No Slack or Discord credentials are set" in out
    assert 'Opened INC-1 [P3] "Laptop will not boot", queued for service-desk.' in out
    assert "[#service-desk] INC-1 [P3] Laptop will not boot" in out


def test_run_says_so_when_its_port_is_taken(workdir):
    cwd, env = workdir
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_deskbot(["run"], cwd, stdin="/desk whoami\n", env={**env, "PORT": str(port)})
    assert result.returncode == 2
    assert f"the web server cannot listen on port {port}" in result.stderr
    assert "You are alice" not in result.stdout


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path):
    result = run_deskbot(
        ["db", "upgrade"],
        tmp_path,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"},
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "deskbot: cannot use the database (DATABASE_URL): unable to open database file"
    )


def test_config_check_needs_no_port(tmp_path):
    result = run_deskbot(
        ["config", "check", str(Path(__file__).parents[2] / "examples" / "deskbot.yaml")],
        tmp_path,
        env={"PORT": "not-a-port"},
    )
    assert result.returncode == 0, result.stderr
    assert "OK — 7 people" in result.stdout
