"""Mail out through a real SMTP server on 127.0.0.1 (aiosmtpd), and into the mail file."""

from __future__ import annotations

import os
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from adapters.mail import MailFailed, MailFile, SmtpMailer


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received: list = []

    def handle_message(self, message) -> None:
        self.received.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_delivers_the_message():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{controller.port}", "desk@example.com")
        mailer.send("alice@home.example", "Your code", "Your reset code is 123456\n")
    finally:
        controller.stop()
    [message] = inbox.received
    assert message["To"] == "alice@home.example" and message["From"] == "desk@example.com"
    assert "123456" in message.get_payload()


def test_an_unreachable_smtp_server_is_a_clear_failure_without_the_password():
    mailer = SmtpMailer(f"smtp://desk:hunter2@127.0.0.1:{_free_port()}", "desk@example.com")
    with pytest.raises(MailFailed, match="did not take the message") as failed:
        mailer.send("alice@home.example", "Your code", "body")
    assert "hunter2" not in str(failed.value) and "hunter2" not in repr(mailer)
    with pytest.raises(ValueError):
        SmtpMailer("http://example.com", "desk@example.com")


def test_the_mail_file_is_private_and_appended(tmp_path):
    path = tmp_path / "mail.txt"
    mail = MailFile(path, "desk@example.com")
    mail.send("a@example.net", "one", "first")
    mail.send("b@example.net", "two", "second")
    text = path.read_text()
    assert text.index("first") < text.index("second") and "To: b@example.net" in text
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with pytest.raises(MailFailed, match="cannot be written"):
        MailFile(tmp_path / "missing" / "mail.txt", "d@x").send("a@x", "s", "b")


def test_no_password_is_sent_to_a_server_without_tls():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        mailer = SmtpMailer(f"smtp://desk:hunter2@127.0.0.1:{controller.port}", "d@example.com")
        with pytest.raises(MailFailed, match="offers no TLS"):
            mailer.send("alice@home.example", "Your code", "Your reset code is 123456\n")
    finally:
        controller.stop()
    assert inbox.received == []
