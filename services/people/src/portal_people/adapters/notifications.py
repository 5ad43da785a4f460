"""The e-mails the people service sends itself (invitations, password resets), in the
recipient's language, through the mail outbox: each is recorded first, then tried at once; the
answer says whether the server took it. A mail that did not go stays queued and the delivery
job retries it with backoff (staff see it in `failedNotifications` meanwhile)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from portal_kit.clock import Clock
from portal_kit.events import new_event_id

from portal_people.domain.notifications import OutboxMail, Status, notification_id
from portal_people.service_layer.notifications import (
    MailDelivery,
    MailOutbox,
    MailRenderer,
    RenderedMail,
)


class Notifications:
    def __init__(
        self,
        outbox_of: Callable[[str], MailOutbox],
        delivery: Callable[[], MailDelivery],
        renderer: MailRenderer,
        public_url: str,
        clock: Clock,
    ) -> None:
        self.renderer = renderer
        self.outbox_of = outbox_of
        self.delivery = delivery
        self.public_url = public_url.rstrip("/")
        self.clock = clock

    async def _send(
        self, tenant: str, kind: str, to: str, locale: str, portal: str, mail: RenderedMail
    ) -> bool:
        now = self.clock()
        event_id = new_event_id()
        recorded = OutboxMail(
            id=notification_id(event_id, kind, f"address:{event_id}"),
            tenant=tenant,
            kind=kind,
            event_id=event_id,
            recipient_key="address",
            to=to,
            locale=locale,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            link=None,
            created_at=now,
            next_attempt_at=now,
            sender_name=portal,
        )
        await self.outbox_of(tenant).record(recorded)
        return await self.delivery().now(recorded.id) is Status.SENT

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
        values = {
            "name": name,
            "portal": portal,
            "organisation": organisation,
            "link": link,
            "code": code,
            "days": days,
        }
        mail = self.renderer.render("invitation", locale, values)
        return await self._send(tenant, "invitation", to, locale, portal, mail)

    async def password_reset(
        self, *, to: str, locale: str, name: str, portal: str, tenant: str, token: str, minutes: int
    ) -> bool:
        link = f"{self.public_url}/{quote(tenant)}/reset-password?token={quote(token)}"
        values = {"name": name, "portal": portal, "link": link, "minutes": minutes}
        mail = self.renderer.render("password_reset", locale, values)
        return await self._send(tenant, "password_reset", to, locale, portal, mail)
