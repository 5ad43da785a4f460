"""A tenant: one portal running on the platform, different from the others only by data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from portal_kit.domain import Aggregate, DomainError, ValidationFailed
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from portal_people.domain.events import TenantConfigurationChanged, TenantCreated
from portal_people.domain.messages import _

Locale = Literal["nb", "sv", "da", "fi", "en"]
Country = Literal["NO", "SE", "DK", "FI"]
TENANT_ID = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


class PasswordPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_length: int = Field(default=10, ge=8, le=64)
    # The platform allows at least 64; a tenant may lower it (Familjebostäder: 30).
    max_length: int = Field(default=128, ge=8, le=1024)
    forbid_personal_data: bool = True

    @model_validator(mode="after")
    def _range(self) -> PasswordPolicy:
        if self.max_length < self.min_length:
            raise ValueError("max_length must not be below min_length")
        return self


class TenantConfiguration(BaseModel):
    """The knobs that make one portal differ from another. Later features add sections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: Country
    locales: list[Locale] = Field(min_length=1)
    default_locale: Locale
    time_zone: str = Field(default="Europe/Oslo", max_length=64)
    roles: list[str] = Field(
        default_factory=lambda: ["admin", "user", "billing"], min_length=1, max_length=50
    )
    password_policy: PasswordPolicy = PasswordPolicy()
    host_names: list[str] = Field(default_factory=list, max_length=20)

    def public_part(self) -> dict[str, Any]:
        """What anyone may read, anonymous callers too: what a login or registration page
        needs (the languages to offer, the password rules to explain). The rest is staff's."""
        return self.model_dump(
            mode="json", include={"locales", "default_locale", "password_policy"}
        )

    @model_validator(mode="after")
    def _default_locale_offered(self) -> TenantConfiguration:
        if self.default_locale not in self.locales:
            raise ValueError("default_locale must be one of locales")
        return self


def parse_configuration(raw: Any) -> TenantConfiguration:
    try:
        return TenantConfiguration.model_validate(raw)
    except ValidationError as error:
        raise ValidationFailed(
            [
                DomainError(
                    _(
                        "{where}: {problem}",
                        where=".".join(str(p) for p in e["loc"]) or "configuration",
                        problem=e["msg"],
                    ),
                    field="configuration." + ".".join(str(p) for p in e["loc"]),
                )
                for e in error.errors()
            ]
        ) from None


@dataclass(kw_only=True)
class Tenant(Aggregate):
    name: str
    configuration: TenantConfiguration

    @classmethod
    def create(cls, tenant_id: str, name: str, configuration: TenantConfiguration) -> Tenant:
        if not TENANT_ID.match(tenant_id):
            raise DomainError(
                _(
                    "a tenant id is 2-31 lower-case letters, digits or hyphens, starting with a "
                    "letter"
                ),
                field="id",
            )
        tenant = cls(
            id=tenant_id, tenant=tenant_id, name=display_name(name), configuration=configuration
        )
        tenant.record(
            TenantCreated(
                tenant_id=tenant_id,
                display_name=tenant.name,
                country=configuration.country,
                configuration=configuration.model_dump(mode="json"),
            )
        )
        return tenant

    def reconfigure(self, configuration: TenantConfiguration) -> None:
        if configuration == self.configuration:
            return
        self.configuration = configuration
        self.record(
            TenantConfigurationChanged(
                tenant_id=self.id, configuration=configuration.model_dump(mode="json")
            )
        )


def display_name(name: str, field: str = "name") -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise DomainError(_("a name is required"), field=field, code="REQUIRED")
    if len(cleaned) > 200:
        raise DomainError(
            _("a name has at most {limit} characters", limit=200), field=field, code="TOO_LONG"
        )
    return cleaned
