"""Sending e-mail over SMTP (aiosmtplib) to the configured server.

Services compose the message (subject, plain text, optionally HTML, language, sender) themselves;
this module only delivers it and says how it failed: `MailNotSent.permanent` is true when the
server refused the message for good (a 5xx answer), false when trying again later may work (the
server is down, timed out or answered 4xx). Message bodies are never logged: they may hold codes
and links that grant access.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Protocol

import aiosmtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    language: str = "en"
    # An HTML alternative of `text`; a mail reader shows it, `text` stays the plain part.
    html: str | None = None
    # The tenant's sender; the server's configured sender when not given.
    sender_name: str | None = None
    sender_address: str | None = None
    # A stable Message-ID (the same mail sent twice reads as one in a mail reader); made up
    # when not given.
    message_id: str | None = None


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


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


def compose(mail: OutgoingMail, *, sender: str, sender_name: str) -> EmailMessage:
    """The message as it goes on the wire: plain text, with the HTML as an alternative."""
    address = mail.sender_address or sender
    message = EmailMessage()
    message["From"] = formataddr((mail.sender_name or sender_name, address))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = mail.message_id or make_msgid(domain=address.rpartition("@")[2] or None)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = mail.language
    return message


def _permanent(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(r.code >= 500 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600
    return False


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, mail: OutgoingMail) -> None:
        config = self.config
        message = compose(mail, sender=config.sender, sender_name=config.sender_name)
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
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailNotSent(
                f"{type(error).__name__}: {error}"[:300], permanent=_permanent(error)
            ) from error


class DisabledMailer:
    """No SMTP server configured: nothing is sent, and the sender learns so (the mail stays
    queued until a server is configured), never a pretended success."""

    async def send(self, mail: OutgoingMail) -> None:
        log.warning("NO SMTP SERVER CONFIGURED (PORTAL_SMTP_HOST): an e-mail waits unsent")
        raise MailNotSent("no SMTP server configured (PORTAL_SMTP_HOST)")
