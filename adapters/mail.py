"""Mail out: SMTP when DESKBOT_SMTP_URL is set, else a local mail file (the example
company and the console), where `tail deskbot-mail.txt` shows what was sent."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


class MailFailed(Exception):
    """The message could not be handed over; the sentence is fit to show."""


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(body)
    return message


class MailFile:
    """Appends each message to a file only its owner may read (mbox-like, one after another)."""

    def __init__(self, path: Path, sender: str) -> None:
        self.path, self.sender = Path(path), sender
        self._lock = threading.Lock()

    def send(self, to: str, subject: str, body: str) -> None:
        text = _message(self.sender, to, subject, body).as_string()
        try:
            with self._lock:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with os.fdopen(descriptor, "a", encoding="utf-8") as out:
                    out.write(f"From {self.sender}\n{text}\n")
        except OSError as exc:
            raise MailFailed(
                f"The mail file {self.path} cannot be written ({exc.strerror})."
            ) from None


class SmtpMailer:
    """SMTP: smtp://[user[:password]@]host[:port] (STARTTLS when offered, and required to
    sign in; port 587 default) or smtps://… (TLS from the start; port 465 default). The
    server's certificate is verified either way."""

    def __init__(self, url: str, sender: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("DESKBOT_SMTP_URL must look like smtp://user:password@host:587")
        self.tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self.sender, self.timeout = sender, timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self.host}:{self.port})"

    def send(self, to: str, subject: str, body: str) -> None:
        message = _message(self.sender, to, subject, body)
        context = ssl.create_default_context()  # the server's certificate is checked
        try:
            if self.tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if not self.tls and smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif not self.tls and self.user:
                    # Never send the account's password, nor a reset code, in clear text.
                    raise MailFailed("The mail server offers no TLS, so deskbot will not sign in.")
                if self.user:
                    smtp.login(self.user, self._password or "")
                smtp.send_message(message)
        except MailFailed:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            log.warning(
                "mail: could not send through %s:%s: %s", self.host, self.port, type(exc).__name__
            )
            raise MailFailed(
                "The mail server did not take the message; try again shortly."
            ) from None


def mailer_for(settings) -> Mailer:
    """SMTP when configured, else the local mail file."""
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return MailFile(settings.mail_file, settings.mail_from)
