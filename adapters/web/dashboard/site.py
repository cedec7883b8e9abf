"""The dashboard's routes: signing in with a one-time link, the pages, the chart, signing
out. Each request runs its domain work in one unit of work, off the event loop.

Cookies (all HttpOnly, SameSite=Lax, Secure when PUBLIC_URL is https):
- `deskbot_session` (path /dashboard): the session's token; the database keeps its hash.
- `deskbot_sign_in` (path /dashboard/sign-in, ten minutes): a random value the sign-in page
  also puts in its form. A post must carry both, the same (another site can make a browser
  post the form, but cannot read or set the cookie), so nobody can sign a victim's browser
  in to the attacker's account with a link of their own.

The sign-out form carries a token made from the session's own (`sign_in.form_token`); and
any post whose Origin names another site is refused.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from adapters.web.dashboard import pages
from adapters.web.dashboard.render import HEADERS, page
from domain import sign_in
from domain.context import Actor, DeskContext
from domain.errors import DeskError, NotFound, PermissionDenied

log = logging.getLogger(__name__)

SESSION = "deskbot_session"
NONCE = "deskbot_sign_in"
MAX_FORM = 1024  # bytes: the forms carry one token each
ASK = "Ask for a new sign-in link with /desk dashboard in chat."
_CSS = resources.files("adapters.web.dashboard").joinpath("dashboard.css").read_bytes()

Work = Callable[[DeskContext, Actor], pages.Page]


class Dashboard:
    """The dashboard's request handlers on deskbot's web server."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.desk = runtime.config.desk_name
        self.secure = runtime.settings.secure_cookies
        self.public_origin = _origin(runtime.settings.public_url)

    # Signing in and out

    async def sign_in_page(self, request: Request) -> Response:
        """GET: who the link signs in, and a button. Nothing is spent (link previews)."""
        token = request.path_params["token"]
        outcome = await self._run(lambda ctx: sign_in.peek_link(ctx, token))
        if isinstance(outcome, DeskError):
            return self._refused(403, outcome.message)
        nonce = secrets.token_urlsafe(24)
        profile = self.runtime.policy.people.get(outcome)
        name = (profile.display_name if profile else None) or outcome
        response = page("sign_in", desk=self.desk, person=name, nonce=nonce, user=None)
        self._cookie(response, NONCE, nonce, path="/dashboard/sign-in", max_age=10 * 60)
        return response

    async def sign_in(self, request: Request) -> Response:
        """POST: spend the link, open a session, go to the front page."""
        token = request.path_params["token"]
        form = await self._form(request)
        if form is None:
            return self._refused(403, f"That form did not come from this dashboard. {ASK}")
        nonce = request.cookies.get(NONCE, "")
        given = form.get("nonce", "")
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
        if not nonce or not secrets.compare_digest(nonce.encode(), given.encode()):
            return self._refused(400, "Open the link from your DM again, then press Continue.")
        earlier = request.cookies.get(SESSION)

        def work(ctx: DeskContext) -> str:
            session = sign_in.redeem(ctx, token)
            if earlier:  # this browser was signed in: that session ends, this one begins
                sign_in.sign_out(ctx, earlier)
            return session

        outcome = await self._run(work)
        if isinstance(outcome, DeskError):
            return self._refused(403, outcome.message)
        response = RedirectResponse("/dashboard", status_code=303, headers=HEADERS)
        self._cookie(
            response,
            SESSION,
            outcome,
            path="/dashboard",
            max_age=int(sign_in.SESSION_LIFE.total_seconds()),
        )
        response.delete_cookie(NONCE, path="/dashboard/sign-in")
        return response

    async def sign_out(self, request: Request) -> Response:
        """POST: end the session, forget the cookie."""
        token = request.cookies.get(SESSION)
        form = await self._form(request)
        if form is None or not sign_in.form_token_matches(token, form.get("form")):
            return self._refused(
                403, "That form did not come from this dashboard. Nothing changed."
            )
        await self._run(lambda ctx: sign_in.sign_out(ctx, token))
        said = "You are signed out. To sign in again, ask for a link with /desk dashboard in chat."
        response = page("message", title="Signed out", desk=self.desk, user=None, message=said)
        response.delete_cookie(SESSION, path="/dashboard")
        return response

    # The pages

    async def queue(self, request: Request) -> Response:
        query = dict(request.query_params)
        return await self._page(request, lambda ctx, actor: pages.queue(ctx, actor, query))

    async def incident(self, request: Request) -> Response:
        key = request.path_params["key"]
        return await self._page(request, lambda ctx, actor: pages.incident(ctx, actor, key))

    async def report(self, request: Request) -> Response:
        query = dict(request.query_params)
        return await self._page(request, lambda ctx, actor: pages.report(ctx, actor, query))

    async def report_png(self, request: Request) -> Response:
        """The report's chart, for the same filters as the page that shows it."""
        query = dict(request.query_params)
        token = request.cookies.get(SESSION)

        def work(ctx: DeskContext) -> Any:
            actor = sign_in.session_actor(ctx, token)
            if actor is None:
                return None
            return pages.build_report(ctx, actor, pages.report_query(query))

        found = await self._run(work)
        if found is None or isinstance(found, DeskError):
            status = 401 if found is None else _status(found)
            return Response(status_code=status, headers=HEADERS)
        from bot.charts import render_report_chart  # matplotlib: loaded when first drawn

        png = await asyncio.to_thread(render_report_chart, found)
        return Response(png, media_type="image/png", headers=HEADERS)

    async def stylesheet(self, request: Request) -> Response:
        # Not private, and the same for everyone: a browser may keep it a while.
        return Response(
            _CSS,
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # Helpers

    async def _page(self, request: Request, work: Work) -> Response:
        """A signed-in page: the session's person, then the page's work, in one unit of
        work; a refusal (not yours to see, not found) is shown on the page with its status."""
        token = request.cookies.get(SESSION)

        def run(ctx: DeskContext) -> tuple[Actor | None, pages.Page | DeskError | None]:
            actor = sign_in.session_actor(ctx, token)
            if actor is None:
                return None, None
            try:
                return actor, work(ctx, actor)
            except DeskError as refused:  # pages only read: the session's touch is kept
                return actor, refused

        actor, shown = await self._run(run)
        if actor is None or shown is None:
            response = self._refused(
                401, f"You are not signed in, or your session has ended. {ASK}"
            )
            if token:
                response.delete_cookie(SESSION, path="/dashboard")
            return response
        user = {"name": actor.display_name or actor.name, "form": sign_in.form_token(token or "")}
        if isinstance(shown, DeskError):
            return self._refused(_status(shown), shown.message, user=user)
        return page(shown.template, shown.status, desk=self.desk, user=user, **shown.context)

    async def _run(self, work: Callable[[DeskContext], Any]) -> Any:
        """Domain work off the event loop; a DeskError is returned, not raised."""
        return await asyncio.to_thread(self.runtime.dispatcher.attempt, work)

    async def _form(self, request: Request) -> dict[str, str] | None:
        """A posted form's fields, or None when it came from another site or is too big."""
        origin = request.headers.get("origin")
        # "null": a same-site form on a page that sends no Referer (ours) may say so.
        if origin not in (None, "null") and origin not in (
            self.public_origin,
            _origin(str(request.base_url)),
        ):
            log.info("dashboard: a form posted from another origin was refused")
            return None
        # Read no more than the limit: a huge body is refused as it arrives, not after.
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                return None
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
        return {name: values[0] for name, values in fields.items()}

    def _cookie(self, response: Response, name: str, value: str, path: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path,
            httponly=True,
            secure=self.secure,
            # Lax: a link opened from a chat app is a cross-site visit and must carry the
            # cookie; a cross-site post does not.
            samesite="lax",
        )

    def _refused(self, status: int, message: str, user: dict | None = None) -> Response:
        titles = {400: "Try again", 401: "Sign in", 403: "Not allowed", 404: "Not found"}
        title = titles.get(status, "Not possible")
        return page("message", status, title=title, desk=self.desk, user=user, message=message)


def _status(error: DeskError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied | sign_in.SignInRefused):
        return 403
    return 400


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
