"""/survey: answer the one question asked when a ticket is done (the DM's buttons run
these)."""

from __future__ import annotations

from bot.commands.spec import TABLE, Arg, Call, Reply
from domain import surveys
from domain.notifications import snapshot

ID = Arg("id", help="The survey, e.g. SRV-3")

TABLE.command("survey", "Rate how a closed incident or fulfilled request went")


def _score(n: int):
    def handler(call: Call) -> Reply:
        survey = surveys.answer(call.ctx, call.actor, call.arg("id"), n, call.arg("comment"))
        return Reply(
            f"Thank you: {survey.ticket_key} rated {n} of 5.",
            subject_type="survey",
            subject=snapshot(survey),
        )

    return handler


for _n in surveys.SCORES:
    TABLE.subcommand(
        "survey",
        f"score-{_n}",
        f"Rate it {_n} of 5",
        ID,
        Arg("comment", required=False, rest=True, help="Anything to add (optional)"),
    )(_score(_n))


@TABLE.subcommand(
    "survey",
    "comment",
    "Add a comment to your answer",
    ID,
    Arg("text", rest=True, help="Your comment"),
)
def comment(call: Call) -> Reply:
    survey = surveys.add_comment(call.ctx, call.actor, call.arg("id"), call.arg("text"))
    return Reply(f"Thank you: your comment on {survey.ticket_key} is kept.")


@TABLE.subcommand("survey", "show", "Show a survey and your answer", ID)
def show(call: Call) -> Reply:
    survey = surveys.get_survey(call.ctx, call.arg("id"))
    if survey.person != call.actor.name and not call.actor.is_agent:
        return Reply(f"{survey.key} asks {survey.person}, not you.", ok=False)
    answer = f"{survey.score} of 5" if survey.score else "not answered yet"
    said = f' — "{survey.comment}"' if survey.comment else ""
    return Reply(f'{survey.key} on {survey.ticket_key} "{survey.title}": {answer}{said}')
