"""The e-mails the people service sends, in the recipient's language, through the kit's mailer.

Sending happens after the change is committed; a mail server that is down is logged (without
the message) and does not undo the change: the person can ask again.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from portal_kit.mail import Mailer, MailNotSent, OutgoingMail

from portal_people.adapters.mail_templates import INVITATION, PASSWORD_RESET, Template, render

log = logging.getLogger(__name__)


class Notifications:
    def __init__(self, mailer: Mailer, public_url: str) -> None:
        self.mailer = mailer
        self.public_url = public_url.rstrip("/")

    async def _send(self, to: str, locale: str, mail: Template) -> bool:
        try:
            await self.mailer.send(
                OutgoingMail(to=to, subject=mail.subject, text=mail.text, language=locale)
            )
        except MailNotSent as error:
            log.error("e-mail not sent", extra={"problem": str(error)[:200]})
            return False
        return True

    async def invitation(
        self,
        *,
        to: str,
        locale: str,
        name: str,
        portal: str,
        tenant: str,
        organisation: str,
        code: str,
        days: int,
    ) -> bool:
        link = f"{self.public_url}/{quote(tenant)}/invitation?code={quote(code)}"
        mail = render(
            INVITATION,
            locale,
            name=name,
            portal=portal,
            organisation=organisation,
            link=link,
            code=code,
            days=days,
        )
        return await self._send(to, locale, mail)

    async def password_reset(
        self, *, to: str, locale: str, name: str, portal: str, tenant: str, token: str, minutes: int
    ) -> bool:
        link = f"{self.public_url}/{quote(tenant)}/reset-password?token={quote(token)}"
        mail = render(PASSWORD_RESET, locale, name=name, portal=portal, link=link, minutes=minutes)
        return await self._send(to, locale, mail)
