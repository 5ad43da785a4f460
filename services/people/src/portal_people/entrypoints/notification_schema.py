"""Notifications in the API: each user's preferences per kind (in their profile), the tenant's
notification settings and account managers, and the mails that failed (operator staff)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from portal_kit.domain import DomainError
from portal_kit.graphql import (
    Connection,
    UserError,
    attempt,
    decode_keyset,
    empty_connection,
    page_connection,
)
from portal_kit.graphql import page_size as bounded_page_size
from strawberry.scalars import JSON

from portal_people.domain import notifications as domain
from portal_people.entrypoints.context import Info
from portal_people.service_layer.notifications import KindPreference

strawberry.enum(
    domain.Mode,
    name="NotificationMode",
    description="Immediately, or gathered in one mail a day (where allowed).",
)
strawberry.enum(
    domain.Status,
    name="NotificationStatus",
    description="Where a mail is: queued (perhaps retrying), sent, failed, or in a digest.",
)


@strawberry.type(description="One kind of notification as the caller receives it.")
class NotificationPreference:
    kind: str
    enabled: bool
    mode: domain.Mode
    digest_allowed: bool

    @classmethod
    def of(cls, preference: KindPreference) -> NotificationPreference:
        return cls(
            kind=preference.kind,
            enabled=preference.enabled,
            mode=preference.mode,
            digest_allowed=preference.digest_allowed,
        )


@strawberry.type(description="A notification mail as staff see it: never its body or address.")
class NotificationMail:
    id: strawberry.ID
    kind: str
    recipient: str = strawberry.field(description="user:<id> or employee:<id>")
    status: domain.Status
    attempts: int
    reason: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None

    @classmethod
    def of(cls, mail: domain.OutboxMail) -> NotificationMail:
        waiting = mail.status is domain.Status.QUEUED
        return cls(
            id=strawberry.ID(mail.id),
            kind=mail.kind,
            recipient=mail.recipient_key,
            status=mail.status,
            attempts=mail.attempts,
            reason=mail.last_error,
            created_at=mail.created_at,
            next_attempt_at=mail.next_attempt_at if waiting else None,
            sent_at=mail.sent_at,
        )


@strawberry.type
class AccountManager:
    organisation_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type(description="A tenant's notification configuration.")
class NotificationSettings:
    portal_url: str | None
    sender_name: str | None
    sender_address: str | None
    kinds: list[str]
    disabled_kinds: list[str]
    attention_statuses: list[str]
    digest_kinds: list[str]
    digest_hour: int
    account_managers: list[AccountManager]
    rules: JSON = strawberry.field(description="The rules in force (the defaults when not set).")

    @classmethod
    def of(cls, settings: domain.NotificationSettings) -> NotificationSettings:
        return cls(
            portal_url=settings.portal_url,
            sender_name=settings.sender_name,
            sender_address=settings.sender_address,
            kinds=list(settings.kinds()),
            disabled_kinds=list(settings.disabled_kinds),
            attention_statuses=list(settings.attention_statuses),
            digest_kinds=list(settings.digest_kinds),
            digest_hour=settings.digest_hour,
            rules=cast(JSON, [rule.model_dump(mode="json") for rule in settings.rules_in_force()]),
            account_managers=[
                AccountManager(organisation_id=strawberry.ID(o), user_id=strawberry.ID(u))
                for o, u in sorted(settings.account_managers.items())
            ],
        )


@strawberry.input
class SetMyNotificationPreferenceInput:
    kind: str
    enabled: bool
    mode: domain.Mode = domain.Mode.IMMEDIATE


@strawberry.input
class ConfigureNotificationsInput:
    portal_url: str | None = None
    sender_name: str | None = None
    sender_address: str | None = None
    disabled_kinds: list[str] | None = None
    attention_statuses: list[str] | None = None
    digest_kinds: list[str] | None = None
    digest_hour: int | None = None
    rules: JSON | None = strawberry.field(
        default=None,
        description="The tenant's own rules (a list of {kind, event, recipients, ...}); "
        "an empty list goes back to the platform's defaults.",
    )


@strawberry.input
class SetAccountManagerInput:
    organisation_id: strawberry.ID
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="An operator staff member; null removes the manager."
    )


@strawberry.input
class RetryNotificationInput:
    id: strawberry.ID


@strawberry.type
class NotificationMailPayload:
    notification: NotificationMail | None
    user_errors: list[UserError]


@strawberry.type
class NotificationPreferencePayload:
    preference: NotificationPreference | None
    user_errors: list[UserError]


@strawberry.type
class NotificationSettingsPayload:
    settings: NotificationSettings | None
    user_errors: list[UserError]


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="The caller's notification preferences, one per kind.")
    async def my_notification_preferences(self, info: Info) -> list[NotificationPreference]:
        found = await info.context.notifications.my_preferences()
        return [NotificationPreference.of(p) for p in found]

    @strawberry.field(description="Staff: the tenant's notification settings.")
    async def notification_settings(self, info: Info) -> NotificationSettings | None:
        try:
            return NotificationSettings.of(await info.context.notifications.settings_of_tenant())
        except DomainError:
            return None

    @strawberry.field(
        description="Staff: mails that failed for good or wait for another try, oldest first."
    )
    async def failed_notifications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[NotificationMail]:
        try:
            page = await info.context.notifications.failed(
                decode_keyset(after, str), bounded_page_size(first)
            )
        except DomainError:
            return empty_connection()
        return page_connection(
            page, NotificationMail.of, lambda m: (m.created_at.isoformat(), m.id), after=after
        )


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Turn one kind of notification on or off for yourself.")
    async def set_my_notification_preference(
        self, info: Info, input: SetMyNotificationPreferenceInput
    ) -> NotificationPreferencePayload:
        found, errors = await attempt(
            lambda: info.context.notifications.set_my_preference(
                input.kind[:64], input.enabled, input.mode
            )
        )
        return NotificationPreferencePayload(
            preference=NotificationPreference.of(found) if found else None, user_errors=errors
        )

    @strawberry.mutation(description="Staff: change the tenant's notification settings.")
    async def configure_notifications(
        self, info: Info, input: ConfigureNotificationsInput
    ) -> NotificationSettingsPayload:
        changes = {
            "portal_url": input.portal_url,
            "sender_name": input.sender_name,
            "sender_address": input.sender_address,
            "disabled_kinds": input.disabled_kinds,
            "attention_statuses": input.attention_statuses,
            "digest_kinds": input.digest_kinds,
            "digest_hour": input.digest_hour,
            "rules": input.rules,
        }
        found, errors = await attempt(lambda: info.context.notifications.configure(changes))
        return NotificationSettingsPayload(
            settings=NotificationSettings.of(found) if found else None, user_errors=errors
        )

    @strawberry.mutation(description="Staff: the account manager of a customer organisation.")
    async def set_account_manager(
        self, info: Info, input: SetAccountManagerInput
    ) -> NotificationSettingsPayload:
        found, errors = await attempt(
            lambda: info.context.notifications.set_account_manager(
                str(input.organisation_id)[:64],
                None if input.user_id is None else str(input.user_id)[:64],
            )
        )
        return NotificationSettingsPayload(
            settings=NotificationSettings.of(found) if found else None, user_errors=errors
        )

    @strawberry.mutation(description="Staff: send a failed notification again.")
    async def retry_notification(
        self, info: Info, input: RetryNotificationInput
    ) -> NotificationMailPayload:
        found, errors = await attempt(lambda: info.context.notifications.retry(str(input.id)[:64]))
        return NotificationMailPayload(
            notification=NotificationMail.of(found) if found else None, user_errors=errors
        )
