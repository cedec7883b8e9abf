"""The README's walkthrough is what a newcomer sees: replay its commands, compare the output."""

from pathlib import Path

from tests.e2e.test_cli import run_deskbot

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_the_walkthrough_transcript_is_what_the_console_prints(tmp_path, database_url):
    transcript = README.split("```text\n", 1)[1].split("```", 1)[0]
    prompts = [line.partition(" ") for line in transcript.splitlines()]
    typed = [rest for who, _, rest in prompts if who.endswith(">")]  # "alice> /incident new …"
    assert typed[0].startswith("/incident new") and ":user bob" in typed
    result = run_deskbot(
        ["console"], tmp_path, stdin="\n".join(typed) + "\n", env={"DATABASE_URL": database_url}
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.split("\n", 2)[2]  # after the two greeting lines
    assert printed == transcript
