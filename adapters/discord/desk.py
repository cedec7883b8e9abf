"""What deskbot does when someone uses a command, presses a button or submits a form.

The first response always goes out before any desk work (Discord allows 3 seconds): a form
opens at once, everything else is deferred, run through the shared pipeline (bot/pipeline.py:
the person, once per interaction id, bounded threads) and answered by editing the deferred
reply. Replies are ephemeral: refusals and private details are for the asker only; the card
and its thread are what the channel sees.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import discord
from discord.http import Route

from adapters.discord.commands import to_argv
from adapters.discord.forms import FormStep
from adapters.discord.intake import Intake
from adapters.discord.marks import JOB as MARK_JOB
from adapters.discord.marks import Marks
from adapters.discord.modals import NewIncidentForm, NoteForm
from adapters.discord.people import identity_from, identity_of, user_data
from adapters.discord.render import chunks, escape_mentions
from adapters.discord.views import choice_menu
from bot import grammar, suggest
from bot.actions import Action, command_of, subject_type_of_key
from bot.actions import action as action_of
from bot.commands import Reply, Subcommand
from bot.commands.request import form_to_finish
from bot.identity import PlatformIdentity
from bot.inbound_work import Work
from bot.pipeline import Pipeline
from domain.errors import DeskError

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
# Who may submit a form is checked before it opens (the domain's wording); how long the
# check may take before the form opens anyway: the first response is due within 3 seconds.
CHECK_BUDGET = 1.5
# Discord accepts answers through an interaction's token for 15 minutes; after that, a
# replay answers by DM.
TOKEN_LIFE = timedelta(minutes=14)


class DiscordDesk:
    """Runs Discord interactions through the shared pipeline; `client.desk` points here."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.pipeline = Pipeline(runtime.dispatcher, platform="discord")
        self.intake = Intake(self)
        self.client: discord.Client | None = None
        self.login: Callable[[], Awaitable[None]] | None = None
        # Interactions being answered by this process, by stored work id: the live path
        # answers through them; work taken over from a dead process answers over REST.
        self._live: dict[int, discord.Interaction] = {}
        self.pipeline.job("argv", self._argv_job, self._teller)
        self.pipeline.job("dm_command", self._dm_command_job, self._teller)
        self.marks = Marks(self)
        self.pipeline.job(MARK_JOB, self.marks.job, self._teller)

    def attach(self, client: discord.Client, login: Callable[[], Awaitable[None]]) -> None:
        """The client (and how to log it in for REST) that answers stored work."""
        self.client, self.login = client, login

    async def run_command(
        self,
        interaction: discord.Interaction,
        command: str,
        sub: Subcommand,
        options: dict[str, Any],
    ) -> None:
        """A slash command: /incident new without a title, or /request new with answers
        missing, opens its form; the rest run."""
        form = None
        if (command, sub.name) == ("request", "new"):
            words = f"new {options.get('item') or ''} {options.get('answers') or ''}"
            form = form_to_finish(self.runtime.policy, words)
        if (command, sub.name) == ("incident", "new") and not options.get("title"):
            services = ", ".join(sorted(self.runtime.policy.services))
            work = self._open_form(interaction, NewIncidentForm(options, services))
        elif form is not None:  # a request with answers missing: its form, in steps of five
            work = self._open_form(interaction, FormStep(form, 0, form.given))
        else:
            work = self.run_argv(interaction, to_argv(command, sub, options))
        await self._guarded(f"/{command} {sub.name}", interaction, work)

    async def press(self, interaction: discord.Interaction, action: str, key: str) -> None:
        """A button on a card or notification, for any kind of subject: a form for actions
        that ask for a text, a menu for those that take a choice, else the command itself."""
        subject_type = subject_type_of_key(key)
        if subject_type is None:  # a key no process knows (any more)
            work = self._say(interaction, f"I do not know {key}; that button no longer works.")
        else:
            found = action_of(subject_type, action)
            if found is not None and found.needs_text:
                work = self._form_for_note(interaction, subject_type, found, key)
            elif found is not None and found.choose:
                work = self._offer_choices(interaction, subject_type, found, key)
            else:
                work = self.run_argv(interaction, [command_of(subject_type), action, key])
        await self._guarded(f"{action} button", interaction, work)

    async def choose(
        self, interaction: discord.Interaction, action: str, key: str, chosen: str
    ) -> None:
        """A choice made in the menu an action offered: the command with the chosen value,
        e.g. /incident link INC-7 PRB-2."""
        subject_type = subject_type_of_key(key)
        if subject_type is None:
            work = self._say(interaction, f"I do not know {key}; that menu no longer works.")
        else:
            argv = grammar.build_argv(command_of(subject_type), action, [key, chosen])
            work = self.run_argv(interaction, argv)
        await self._guarded(f"{action} menu", interaction, work)

    async def press_intake(
        self, interaction: discord.Interaction, action: str, message_id: str
    ) -> None:
        """A button under the offer to turn a DM into an incident."""
        await self._guarded(
            "DM offer", interaction, self.intake.press(interaction, action, message_id)
        )

    async def submit(self, interaction: discord.Interaction, argv: list[str]) -> None:
        """A submitted form, as the command it stands for."""
        await self._guarded(
            f"{argv[0]} {argv[1]} form", interaction, self.run_argv(interaction, argv)
        )

    async def submit_intake(
        self, interaction: discord.Interaction, message_id: str, argv: list[str]
    ) -> None:
        """The form opened by "Add details first": opens that DM's incident, at most once."""
        await self._guarded(
            "DM offer form", interaction, self.intake.open(interaction, message_id, argv)
        )

    async def on_message(self, message: discord.Message) -> None:
        """A message the bot can see (DMs only, by its intents)."""
        try:
            await self.intake.on_message(message)
        except Exception:
            log.exception("handling a Discord DM failed")

    async def mark(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Add to timeline, on a message: mark it on its war room's timeline, or unmark it."""
        work = self._stored(interaction, MARK_JOB, self.marks.payload(message))
        await self._guarded("Add to timeline", interaction, work)

    async def run_argv(self, interaction: discord.Interaction, argv: list[str]) -> None:
        """Store, defer, run the command through the pipeline, and answer with its reply."""
        await self._stored(interaction, "argv", {"argv": argv})

    async def _stored(
        self, interaction: discord.Interaction, job: str, payload: dict[str, Any]
    ) -> None:
        """Store the interaction for `job`, defer, do the job, and answer with its reply."""
        payload = {
            **payload,
            "user": user_data(interaction.user),
            "application_id": str(interaction.application_id),
        }
        work = await self.pipeline.accept(
            job, f"interaction:{interaction.id}", payload, reply_token=interaction.token
        )
        if work is None:
            return  # Discord delivered this interaction twice: the first is being answered
        if not interaction.response.is_done():
            try:
                await interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as exc:
                # Too late (or already answered): Discord told the person it failed, so doing
                # the work now would surprise them; they can simply try again.
                log.warning("could not acknowledge a Discord interaction in time: %s", exc)
                await self.pipeline.forget(work)
                return
        self._live[work.id] = interaction
        try:
            await self.pipeline.perform(work)
        finally:
            self._live.pop(work.id, None)

    async def _argv_job(self, work: Work) -> None:
        reply = await self._command(work, argv=list(work.payload["argv"]))
        if reply is not None:
            await self.answer_work(work, reply.text)

    async def _dm_command_job(self, work: Work) -> None:
        reply = await self._command(work, text=str(work.payload["text"]))
        if reply is not None:
            await self._send_to_channel(str(work.payload["channel_id"]), reply.text)

    async def _command(self, work: Work, **command: Any) -> Reply | None:
        """Run stored work's command once; None when there is nothing (new) to say."""
        identity = identity_from(work.payload["user"])

        async def identify() -> PlatformIdentity:
            return identity

        reply = await self.pipeline.command(identify, delivery=work.delivery, **command)
        if reply.duplicate and not work.replay:
            return None
        return reply

    def _teller(self, work: Work):
        async def tell(text: str) -> None:
            if work.job == "dm_command":
                await self._send_to_channel(str(work.payload["channel_id"]), text)
            else:
                await self.answer_work(work, text)

        return tell

    async def answer_work(self, work: Work, text: str) -> None:
        """Answer stored work: through its interaction when live, else its token, else a DM."""
        interaction = self._live.get(work.id)
        if interaction is not None:
            await self.answer(interaction, text, edit_original=True)
            return
        fresh = self.runtime.clock.now() - work.received_at < TOKEN_LIFE
        if fresh and work.reply_token:
            try:
                await self._edit_original(work, text)
                return
            except discord.HTTPException as exc:  # never deferred (the crash came first)
                log.info("answering taken-over work by its token failed (%s); sending a DM", exc)
        await self._send_dm(str(work.payload["user"]["id"]), text)

    async def _rest(self) -> discord.Client:
        if self.client is None or self.login is None:
            raise RuntimeError("the Discord desk has no client attached")
        await self.login()
        return self.client

    async def _edit_original(self, work: Work, text: str) -> None:
        client = await self._rest()
        parts = chunks(escape_mentions(text))
        app_id, token = work.payload["application_id"], work.reply_token
        no_pings = {"parse": []}
        await client.http.request(
            Route(
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                webhook_id=app_id,
                webhook_token=token,
            ),
            json={"content": parts[0], "allowed_mentions": no_pings},
        )
        for part in parts[1:]:
            await client.http.request(
                Route(
                    "POST",
                    "/webhooks/{webhook_id}/{webhook_token}",
                    webhook_id=app_id,
                    webhook_token=token,
                ),
                json={"content": part, "flags": 64, "allowed_mentions": no_pings},
            )

    async def _send_dm(self, user_id: str, text: str) -> None:
        client = await self._rest()
        channel = await client.create_dm(discord.Object(id=int(user_id)))
        for part in chunks(escape_mentions(text)):
            await channel.send(part, allowed_mentions=NO_PINGS)

    async def _send_to_channel(self, channel_id: str, text: str) -> None:
        client = await self._rest()
        channel = client.get_partial_messageable(int(channel_id))
        for part in chunks(escape_mentions(text)):
            await channel.send(part, allowed_mentions=NO_PINGS)

    @staticmethod
    def identify(interaction: discord.Interaction):
        """The pipeline's `identify`: Discord always says who pressed or typed."""

        async def identify():
            return identity_of(interaction.user)

        return identify

    async def answer(
        self,
        interaction: discord.Interaction,
        text: str,
        *,
        edit_original: bool,
        ephemeral: bool = True,
    ) -> None:
        """Send reply text (split at Discord's 2000 characters) as the response or follow-ups."""
        try:
            parts = chunks(escape_mentions(text))  # people's text (titles, notes) pings nobody
            if edit_original:
                await interaction.edit_original_response(
                    content=parts[0], allowed_mentions=NO_PINGS
                )
                parts = parts[1:]
            for part in parts:
                await interaction.followup.send(
                    part, ephemeral=ephemeral, allowed_mentions=NO_PINGS
                )
        except discord.HTTPException as exc:
            log.warning("could not answer a Discord interaction: %s", exc)

    async def _form_for_note(
        self, interaction: discord.Interaction, subject_type: str, found: Action, key: str
    ) -> None:
        """Open the note form, or refuse at once who may not submit it (nobody types in vain)."""
        refusal = await self.pipeline.refusal(
            self.identify(interaction), subject_type, found.name, CHECK_BUDGET
        )
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await self._open_form(interaction, NoteForm(subject_type, found.name, key))

    async def _offer_choices(
        self, interaction: discord.Interaction, subject_type: str, found: Action, key: str
    ) -> None:
        """Answer a press of an action that takes a choice with a menu of what may be chosen
        (only the presser sees it), or with why there is nothing to choose.

        The choices come from the desk; if they take longer than CHECK_BUDGET, the press is
        deferred first, so the first response is always within Discord's 3 seconds.
        """

        async def lookup() -> tuple[str, discord.ui.View | None]:
            identity = await self.identify(interaction)()
            try:
                found_choices = await self.pipeline.run(
                    suggest.choices,
                    self.runtime.dispatcher,
                    identity,
                    subject_type,
                    found.name,
                    key,
                )
            except DeskError as exc:
                return exc.message, None
            question = f"{found.label}: which {found.choose} for {key}?"
            view = choice_menu(found.name, key, found_choices, f"Choose a {found.choose}")
            if view is None:
                return f"There is no {found.choose} to choose for {key}.", None
            return question, view

        answer = asyncio.ensure_future(lookup())
        done, _ = await asyncio.wait({answer}, timeout=CHECK_BUDGET)
        if not done:
            try:
                await interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as exc:  # too late: Discord told them it failed
                log.warning("could not acknowledge a Discord interaction in time: %s", exc)
                answer.cancel()
                return
        text, view = await answer
        if interaction.response.is_done():
            await interaction.edit_original_response(
                content=text,
                view=view if view is not None else discord.utils.MISSING,
                allowed_mentions=NO_PINGS,
            )
        elif view is not None:
            await interaction.response.send_message(
                text, view=view, ephemeral=True, allowed_mentions=NO_PINGS
            )
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _open_form(self, interaction: discord.Interaction, form: discord.ui.Modal) -> None:
        try:
            await interaction.response.send_modal(form)
        except discord.HTTPException as exc:
            log.warning("could not open a form on Discord: %s", exc)

    async def _guarded(self, what: str, interaction: discord.Interaction, work) -> None:
        """Run `work`; an unexpected error is logged with an id that the person also sees."""

        async def tell(text: str) -> None:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
                return
            try:  # replace "deskbot is thinking…", or add a line after a form
                await interaction.edit_original_response(content=text)
            except discord.HTTPException:
                await interaction.followup.send(text, ephemeral=True)

        await self.pipeline.guard(what, work, tell)
