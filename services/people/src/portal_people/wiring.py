"""The adapters every use case may need, built once per process from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from portal_kit.mail import DisabledMailer, Mailer, SmtpConfig, SmtpMailer

from portal_people.adapters.crypto import FieldCipher
from portal_people.adapters.notifications import Notifications
from portal_people.adapters.tokens import TokenIssuer
from portal_people.domain.throttle import ACCOUNT, ADDRESS, ThrottlePolicy
from portal_people.settings import PeopleSettings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PeopleServices:
    settings: PeopleSettings
    tokens: TokenIssuer
    notifications: Notifications
    cipher: FieldCipher
    # Tests move time forward through this (expiry of codes, tokens and locks).
    clock: Callable[[], datetime] = field(default=utc_now)

    def throttle_policy(self, scope: str) -> ThrottlePolicy:
        settings = self.settings
        limit = (
            settings.login_account_max_failures
            if scope == ACCOUNT
            else settings.login_address_max_failures
        )
        return ThrottlePolicy(
            max_failures=limit,
            window=timedelta(seconds=settings.login_failure_window_seconds),
            lock=timedelta(seconds=settings.login_lock_seconds),
            max_lock=timedelta(seconds=settings.login_max_lock_seconds),
        )


def mailer_for(settings: PeopleSettings) -> Mailer:
    if not settings.smtp_host:
        log.warning("NO SMTP SERVER CONFIGURED (PORTAL_SMTP_HOST): e-mails will not be sent")
        return DisabledMailer()
    return SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            sender_name=settings.smtp_sender_name,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_use_tls,
            start_tls=settings.smtp_start_tls,
        )
    )


def cipher_for(settings: PeopleSettings) -> FieldCipher:
    if settings.national_id_key:
        return FieldCipher.from_setting(settings.national_id_key)
    log.warning(
        "NO PORTAL_NATIONAL_ID_KEY: national IDs are encrypted with a THROW-AWAY KEY and cannot "
        "be read after this process stops. Never run like this with real data."
    )
    return FieldCipher.from_setting(FieldCipher.generate_key())


__all__ = ["ADDRESS", "PeopleServices", "cipher_for", "mailer_for", "utc_now"]
