"""Sending e-mail over SMTP (aiosmtplib) to the configured server, or nowhere in development.

Services compose the message (subject, text, language) themselves; this module only delivers it.
Message bodies are never logged: they may hold codes and links that grant access.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

import aiosmtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    language: str = "en"


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "portal@localhost"
    sender_name: str = "Portal"
    username: str | None = None
    password: str | None = None
    # STARTTLS when the server offers it; implicit TLS on port 465.
    use_tls: bool = False
    start_tls: bool | None = None
    timeout_seconds: float = 10.0


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, mail: OutgoingMail) -> None:
        config = self.config
        message = EmailMessage()
        message["From"] = formataddr((config.sender_name, config.sender))
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
        message.set_content(mail.text)
        # After set_content, which replaces every Content-* header.
        message["Content-Language"] = mail.language
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.use_tls,
                start_tls=config.start_tls,
                timeout=config.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotSent(f"{type(error).__name__}: {error}") from error


class DisabledMailer:
    """No SMTP server configured (development): says so, without the message's content."""

    async def send(self, mail: OutgoingMail) -> None:
        log.warning(
            "NO SMTP SERVER CONFIGURED: an e-mail was not sent", extra={"subject": mail.subject}
        )
