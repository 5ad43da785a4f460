"""The composition root of the people service: what it is built of, made once per process.

`bootstrap(settings)` makes the adapters the settings call for (token issuer, cipher, mailer)
and the kit's runtime (database, NATS, outbox relay); the `PeopleService` it returns builds, per
caller, the tenant's repositories and hands them to the use cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from portal_kit.clock import Clock, utc_now_to_the_millisecond
from portal_kit.mail import DisabledMailer, Mailer, SmtpConfig, SmtpMailer
from portal_kit.principal import Principal, generate_key_pair
from portal_kit.repository import AggregateRepository
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import SettingsError
from starlette.requests import Request

from portal_people.adapters.auth_repositories import (
    InvitationRepository,
    SessionRepository,
    ThrottleRepository,
)
from portal_people.adapters.crypto import FieldCipher
from portal_people.adapters.employee_repositories import EmployeeRepository, RevealRepository
from portal_people.adapters.mail_renderer import JinjaMailRenderer
from portal_people.adapters.notification_repositories import (
    NOTIFICATION_INDEXES,
    DeliveryQueueRepository,
    MailOutboxRepository,
    OrderFactsRepository,
    PreferenceRepository,
    RecipientLookup,
    SettingsRepository,
    ensure_delivery_index,
)
from portal_people.adapters.notifications import Notifications
from portal_people.adapters.partner_client_repository import PartnerClientRepository
from portal_people.adapters.passwords import Argon2Passwords
from portal_people.adapters.product_access_repository import ProductAccessRepository
from portal_people.adapters.repositories import (
    INDEXES,
    OUTBOX_COLLECTIONS,
    OrganisationRepository,
    TenantRegistry,
    UserRepository,
)
from portal_people.adapters.ticket_posts import GatewayTicketPosts
from portal_people.adapters.tokens import TokenIssuer
from portal_people.domain.throttle import ACCOUNT, ADDRESS, PAIR, ThrottlePolicy
from portal_people.entrypoints.context import PeopleContext
from portal_people.entrypoints.notification_consumers import notification_consumers
from portal_people.service_layer.credentials import Credentials
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.employees import Employees
from portal_people.service_layer.notifications import (
    DeliveryPolicy,
    DigestRound,
    MailDelivery,
    NotificationDesk,
    Notifier,
)
from portal_people.service_layer.onboarding import Onboarding
from portal_people.service_layer.partner_clients import PartnerClients
from portal_people.service_layer.product_access import ProductAccessDesk
from portal_people.service_layer.profile import Profile
from portal_people.service_layer.sessions import Sessions
from portal_people.settings import PeopleSettings

log = logging.getLogger(__name__)
R = TypeVar("R", bound=AggregateRepository[Any])


@dataclass
class PeopleService:
    """The running service's parts. Tests replace `clock` (to move time forward) and
    `settings` (other limits); both are read afresh for every caller."""

    settings: PeopleSettings
    runtime: ServiceRuntime
    tokens: TokenIssuer
    notifications: Notifications
    cipher: FieldCipher
    mailer: Mailer
    clock: Clock = utc_now_to_the_millisecond
    passwords: Argon2Passwords = field(default_factory=Argon2Passwords)
    renderer: JinjaMailRenderer = field(default_factory=JinjaMailRenderer)

    def context(
        self, runtime: ServiceRuntime, principal: Principal, request: Request
    ) -> PeopleContext:
        return PeopleContext(principal=principal, service=self, request=request)

    # -- one caller's use cases ------------------------------------------------------------

    def _repository(self, kind: type[R], tenant: str) -> R:
        """A repository of the tenant that wakes the outbox relay when it commits events."""
        return kind(self.runtime.database, tenant, on_commit=self.runtime.wake_relay)

    def _organisations_of(self, tenant: str) -> OrganisationRepository:
        return self._repository(OrganisationRepository, tenant)

    def directory(self, principal: Principal) -> Directory:
        return Directory(
            principal,
            tenants=TenantRegistry(self.runtime.database, on_commit=self.runtime.wake_relay),
            organisations_of=self._organisations_of,
            users=self._repository(UserRepository, principal.tenant),
            passwords=self.passwords,
            ticket_circles=OrderFactsRepository(self.runtime.database, principal.tenant),
        )

    def sessions(self, directory: Directory) -> Sessions:
        tenant = directory.principal.tenant
        return Sessions(
            directory,
            families=self._repository(SessionRepository, tenant),
            throttles=self._repository(ThrottleRepository, tenant),
            tokens=self.tokens,
            policies=throttle_policies(self.settings),
            refresh_lifetime=timedelta(days=self.settings.refresh_token_days),
            clock=self.clock,
        )

    def credentials(self, directory: Directory, sessions: Sessions) -> Credentials:
        return Credentials(
            directory,
            sessions=sessions,
            mail=self.notifications,
            reset_minutes=self.settings.password_reset_minutes,
            clock=self.clock,
        )

    def partner_clients(self, directory: Directory, sessions: Sessions) -> PartnerClients:
        return PartnerClients(
            directory,
            records=self._repository(PartnerClientRepository, directory.principal.tenant),
            sessions=sessions,
            tokens=self.tokens,
            clock=self.clock,
        )

    def onboarding(self, directory: Directory) -> Onboarding:
        return Onboarding(
            directory,
            invitations=self._repository(InvitationRepository, directory.principal.tenant),
            mail=self.notifications,
            invitation_days=self.settings.invitation_days,
            clock=self.clock,
        )

    def profile(self, directory: Directory, sessions: Sessions) -> Profile:
        return Profile(directory, sessions=sessions)

    # -- notifications (services/people/README.md, "Notifications") -----------------------

    def mail_outbox(self, tenant: str) -> MailOutboxRepository:
        return MailOutboxRepository(self.runtime.database, tenant)

    def _recipients(self, tenant: str) -> RecipientLookup:
        return RecipientLookup(
            TenantRegistry(self.runtime.database, on_commit=self.runtime.wake_relay),
            self._repository(UserRepository, tenant),
            self._repository(EmployeeRepository, tenant),
            tenant,
            self._organisations_of(tenant),
        )

    def notifier(self, tenant: str) -> Notifier:
        database = self.runtime.database
        return Notifier(
            settings=SettingsRepository(database, tenant),
            orders=OrderFactsRepository(database, tenant),
            directory=self._recipients(tenant),
            preferences=PreferenceRepository(database, tenant),
            outbox=self.mail_outbox(tenant),
            renderer=self.renderer,
            public_url=self.settings.public_url,
            clock=self.clock,
            posts=(
                GatewayTicketPosts(self.settings.gateway_url, self.tokens)
                if self.settings.gateway_url
                else None
            ),
        )

    def delivery(self) -> MailDelivery:
        return MailDelivery(
            DeliveryQueueRepository(self.runtime.database),
            self.mailer,
            policy=DeliveryPolicy(
                retry_seconds=self.settings.mail_retry_seconds,
                max_retry_seconds=self.settings.mail_max_retry_seconds,
            ),
            clock=self.clock,
        )

    def digests(self) -> DigestRound:
        tenants = TenantRegistry(self.runtime.database, on_commit=self.runtime.wake_relay)
        return DigestRound(
            DeliveryQueueRepository(self.runtime.database),
            self.mail_outbox,
            self.renderer,
            tenants.get,
            clock=self.clock,
        )

    def notification_desk(self, principal: Principal) -> NotificationDesk:
        database, tenant = self.runtime.database, principal.tenant
        return NotificationDesk(
            principal,
            settings=SettingsRepository(database, tenant),
            preferences=PreferenceRepository(database, tenant),
            outbox=self.mail_outbox(tenant),
            directory=self._recipients(tenant),
            clock=self.clock,
        )

    def employees(self, directory: Directory) -> Employees:
        tenant = directory.principal.tenant
        return Employees(
            directory,
            records=self._repository(EmployeeRepository, tenant),
            reveals=self._repository(RevealRepository, tenant),
            cipher=self.cipher,
            clock=self.clock,
        )

    def product_access(self, directory: Directory) -> ProductAccessDesk:
        tenant = directory.principal.tenant
        return ProductAccessDesk(directory, self._repository(ProductAccessRepository, tenant))


def bootstrap(
    settings: PeopleSettings, *, clock: Clock = utc_now_to_the_millisecond
) -> PeopleService:
    def notifier_of(tenant: str) -> Notifier:
        return service.notifier(tenant)

    async def delivery_index(runtime: ServiceRuntime) -> None:
        await ensure_delivery_index(runtime.database)

    runtime = ServiceRuntime(
        settings,
        outbox_collections=OUTBOX_COLLECTIONS,
        indexes=(*INDEXES, *NOTIFICATION_INDEXES),
        on_start=[delivery_index, notification_consumers(notifier_of)],
    )
    tokens, cipher = token_issuer(settings), cipher_for(settings)
    renderer = JinjaMailRenderer()
    service = PeopleService(
        settings=settings,
        runtime=runtime,
        tokens=tokens,
        notifications=Notifications(
            lambda tenant: service.mail_outbox(tenant),
            lambda: service.delivery(),
            renderer,
            settings.public_url,
            lambda: service.clock(),
        ),
        cipher=cipher,
        mailer=mailer_for(settings),
        clock=clock,
        renderer=renderer,
    )

    async def deliver() -> None:
        await service.delivery().round()

    async def digest() -> None:
        await service.digests().round()

    runtime.every(settings.mail_poll_seconds, "mail-delivery", deliver)
    runtime.every(settings.mail_digest_check_seconds, "mail-digests", digest)
    return service


# -- adapters made from the settings -------------------------------------------------------


def throttle_policies(settings: PeopleSettings) -> dict[str, ThrottlePolicy]:
    """Failed logins per account from one address, per account and per client address: the
    limits differ, the times not."""

    def policy(max_failures: int) -> ThrottlePolicy:
        return ThrottlePolicy(
            max_failures=max_failures,
            window=timedelta(seconds=settings.login_failure_window_seconds),
            lock=timedelta(seconds=settings.login_lock_seconds),
            max_lock=timedelta(seconds=settings.login_max_lock_seconds),
        )

    return {
        PAIR: policy(settings.login_pair_max_failures),
        ACCOUNT: policy(settings.login_account_max_failures),
        ADDRESS: policy(settings.login_address_max_failures),
    }


def token_issuer(settings: PeopleSettings) -> TokenIssuer:
    def read(setting: str, path: object) -> bytes:
        try:
            with open(str(path), "rb") as file:
                return file.read()
        except OSError as error:
            raise SettingsError(setting, f"cannot be read: {error.strerror}") from error

    if settings.token_signing_key_file is None:
        log.warning("no PORTAL_TOKEN_SIGNING_KEY_FILE: signing tokens with a throw-away key")
        signing_key, _ = generate_key_pair()
    else:
        signing_key = read("PORTAL_TOKEN_SIGNING_KEY_FILE", settings.token_signing_key_file)
    retired = [
        read("PORTAL_TOKEN_RETIRED_PUBLIC_KEY_FILES", path)
        for path in settings.token_retired_public_key_files
    ]
    try:
        return TokenIssuer(signing_key, retired, lifetime_seconds=settings.access_token_seconds)
    except ValueError as error:
        raise SettingsError("PORTAL_TOKEN_SIGNING_KEY_FILE", str(error)) from error


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
    if not settings.national_id_key:
        log.warning(
            "NO PORTAL_NATIONAL_ID_KEY: national IDs are encrypted with a THROW-AWAY KEY and "
            "cannot be read after this process stops. Never run like this with real data."
        )
        return FieldCipher.from_setting(FieldCipher.generate_key())
    try:
        return FieldCipher.from_setting(settings.national_id_key)
    except ValueError as error:
        raise SettingsError("PORTAL_NATIONAL_ID_KEY", str(error)) from error
