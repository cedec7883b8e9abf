"""`deskbot review export INC-42`: a major incident's post-incident review, as Markdown."""

from __future__ import annotations

import argparse
import sys

from bot.settings import Settings


def add_parser(sub) -> None:
    """The `review` command and its actions, on the CLI's subparsers."""
    review = sub.add_parser("review", help="post-incident reviews of major incidents")
    review_sub = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    export = review_sub.add_parser(
        "export", help="write an incident's review (the one kept, else one written now)"
    )
    export.add_argument("incident", metavar="INC-42", help="the major incident")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Write the review to standard output; 1 (with the reason) if there is none."""
    from bot.commands.major import render_review
    from bot.config import example_config_path, load_config
    from bot.db import Database
    from domain.clock import SystemClock
    from domain.context import DeskContext
    from domain.errors import DeskError
    from domain.keys import parse_number
    from domain.major import MajorIncident

    try:
        number = parse_number(args.incident, "INC", "incident")
    except DeskError as exc:
        print(f"deskbot review export: {exc.message}", file=sys.stderr)
        return 2
    policy = load_config(settings.config_path or example_config_path()).policy
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            found = session.get(MajorIncident, number)
            if found is None:
                print(
                    f"deskbot review export: INC-{number} is not a major incident.",
                    file=sys.stderr,
                )
                return 1
            document = found.review or render_review(
                DeskContext(session, policy, SystemClock()), found
            )
    finally:
        database.dispose()
    sys.stdout.write(document)
    return 0
