"""The password-reset page: /reset/TOKEN, reached from the one-time link sent by DM.

GET only shows where the flow stands (a chat platform's link preview changes nothing);
"Email me the code" (a POST) binds the flow to this browser (a cookie, stored hashed) and
mails the code; then the code, then the new password twice. The page never echoes a secret, is never cached,
sends no Referer (the token is in its address) and cannot be framed. A refusal that
recorded something (a wrong code counted) is committed with it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from adapters.mail import Mailer, MailFailed
from domain import requests
from domain.directory import DirectoryUnavailable
from domain.errors import DeskError

log = logging.getLogger(__name__)

COOKIE = "deskbot_reset"
MAX_FORM = 4096  # bytes: a code and two passwords, with room to spare
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
_env = Environment(autoescape=select_autoescape(default=True), keep_trailing_newline=False)
_page = _env.from_string(
    resources.files("adapters.web").joinpath("reset.html.j2").read_text(encoding="utf-8")
)


def reset_routes(runtime, mailer: Mailer) -> list[Route]:
    """The page's routes on deskbot's web server."""
    page = ResetPage(runtime, mailer)
    return [Route("/reset/{token}", page.handle, methods=["GET", "POST"])]


class ResetPage:
    def __init__(self, runtime, mailer: Mailer) -> None:
        self.runtime, self.mailer = runtime, mailer
        self.desk = runtime.config.desk_name
        self.secure = runtime.settings.secure_cookies

    async def handle(self, request: Request) -> Response:
        token = request.path_params["token"]
        browser = request.cookies.get(COOKIE) or ""
        new_browser = not browser
        if new_browser:
            browser = secrets.token_urlsafe(24)
        if request.method == "GET":
            response = await self._open(token, browser)
        elif new_browser:  # a form posted without the cookie the page set: not this browser
            response = self._render(400, "error", problems=["Open the link from your DM again."])
        else:
            response = await self._post(request, token, browser)
        if new_browser:
            response.set_cookie(
                COOKIE,
                browser,
                max_age=20 * 60,
                path="/reset",
                httponly=True,
                secure=self.secure,
                # Lax: reopening the link from a chat app is a cross-site visit and must
                # carry the cookie; a cross-site POST still does not.
                samesite="lax",
            )
        return response

    async def _open(self, token: str, browser: str) -> Response:
        """The link opened: show where the flow stands. Nothing is bound or mailed on a GET,
        so a chat platform's link preview cannot use the link up."""
        outcome = await self._work(lambda ctx: requests.peek_link(ctx, token, browser))
        if isinstance(outcome, DeskError):
            return self._refused(outcome)
        if outcome.state == "verified":
            return await self._password_form(outcome.person)
        if outcome.state == "code_sent":
            return await self._code_form([])
        return self._render(200, "send")

    async def _send(self, token: str, browser: str) -> Response:
        """ "Email me the code": this browser takes the flow, and the code is mailed."""
        outcome = await self._work(lambda ctx: requests.open_link(ctx, token, browser))
        if isinstance(outcome, DeskError):
            return self._refused(outcome)
        reset, code = outcome
        if reset.state == "verified":
            return await self._password_form(reset.person)
        if code is None:
            return await self._code_form([])
        return await self._code_form(await self._mail(code), requests.mask(code.address))

    async def _post(self, request: Request, token: str, browser: str) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM:
            return self._render(413, "error", problems=["That form is too large."])
        # The page's forms are urlencoded; parsed here rather than with a multipart library.
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)
        form = {name: values[0] for name, values in fields.items()}
        step = str(form.get("step", ""))
        if step == "send":
            return await self._send(token, browser)
        if step == "resend":
            outcome = await self._work(lambda ctx: requests.resend_code(ctx, token, browser))
            if isinstance(outcome, DeskError):
                return self._refused(outcome)
            sent = ["A new code is on its way; the old one no longer works."]
            problems = await self._mail(outcome) or sent
            return await self._code_form(problems, requests.mask(outcome.address))
        if step == "code":
            code = str(form.get("code", ""))[:12]
            outcome = await self._work(lambda ctx: requests.check_code(ctx, token, browser, code))
            if isinstance(outcome, requests.WrongCode):
                return await self._code_form([outcome.message], status=400)
            if isinstance(outcome, DeskError):
                return self._refused(outcome)
            return await self._password_form(outcome.person)
        if step == "password":
            password = str(form.get("password", ""))[:256]
            again = str(form.get("again", ""))[:256]
            outcome = await self._work(
                lambda ctx: requests.set_new_password(ctx, token, browser, password, again)
            )
            if isinstance(outcome, requests.PolicyRefused):
                problems = ["The directory refused that password:", *outcome.reasons]
                return await self._password_form(None, problems, status=400)
            if isinstance(outcome, requests.ResetRefused):
                return self._refused(outcome)
            if isinstance(outcome, DeskError):  # not the same twice, directory down: try again
                return await self._password_form(None, [outcome.message], status=400)
            return self._render(200, "done")
        return self._render(400, "error", problems=["Unknown step."])

    async def _code_form(
        self, problems: list[str], address: str | None = None, status: int = 200
    ) -> Response:
        shown = address or "your recovery address"
        return self._render(status, "code", problems=problems, address=shown)

    async def _password_form(
        self, person: str | None, problems: list[str] | None = None, status: int = 200
    ) -> Response:
        rules = await self._work(lambda ctx: _rules(ctx))
        return self._render(
            status, "password", problems=problems or [], person=person or "you", rules=rules
        )

    async def _mail(self, code: requests.CodeToSend) -> list[str]:
        """Mail the code; what to tell the person when it could not go (none when it did)."""
        body = (
            f"Your {self.desk} password reset code is {code.code}\n\n"
            "Type it on the reset page you opened from your DM. It works once. Never type it in "
            "chat: a code sent there cancels the reset.\nIf you did not ask to reset your "
            "password, tell the service desk.\n"
        )
        try:
            await asyncio.to_thread(
                self.mailer.send, code.address, f"{self.desk}: your reset code", body
            )
        except MailFailed as failed:
            return [f"{failed} Use “Send a new code” in a minute."]
        return []

    async def _work(self, work: Callable[[Any], Any]) -> Any:
        """Run domain work in one unit; a DeskError is returned (committed if it keeps
        what it recorded, rolled back otherwise), not raised."""
        return await asyncio.to_thread(self.runtime.dispatcher.attempt, work)

    def _refused(self, error: DeskError) -> Response:
        status = (
            503
            if isinstance(error, DirectoryUnavailable)
            else 410
            if isinstance(error, requests.ResetRefused)
            else 400
        )
        return self._render(status, "error", problems=[error.message])

    def _render(self, status: int, step: str, **context: Any) -> Response:
        context.setdefault("problems", [])
        html = _page.render(desk=self.desk, step=step, **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)


def _rules(ctx) -> list[str]:
    policy = ctx.directory.password_policy() if ctx.directory else ctx.policy.password_policy
    rules = [f"be at least {policy.min_length} characters long"]
    if policy.min_classes > 1:
        rules.append(
            f"mix at least {policy.min_classes} of: lower case, upper case, digits, other characters"
        )
    if policy.forbid_name:
        rules.append("not contain your user name")
    return rules
