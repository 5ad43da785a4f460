"""The employee register of customer organisations (Avonova): people, not necessarily users.

The national ID arrives here already checked and sealed (encrypted by an adapter); the aggregate
keeps the sealed value and the masked form everybody reads. Events name what changed, never the
values: a CRM reads those through the API with its own credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from portal_kit.domain import Aggregate, DomainError, new_id
from portal_kit.values import Problems, check_text

from portal_people.domain.contact import check_email, check_phone
from portal_people.domain.events import (
    EmployeeCreated,
    EmployeeDeactivated,
    EmployeeReactivated,
    EmployeeUpdated,
)
from portal_people.domain.messages import _
from portal_people.domain.national_id import NationalId
from portal_people.domain.organisation import Organisation, OrganisationKind

NAME_LENGTH = 100


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


@dataclass(frozen=True)
class SealedNationalId:
    masked: str
    sealed: str  # ciphertext from the encryption adapter


@dataclass(frozen=True)
class EmployeeDetails:
    """Checked values of the employee form; None in an edit means 'leave as it is'."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None


def check_details(
    country: str,
    *,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    mobile: str | None,
    birth_date: date | None,
    gender: str | None,
    creating: bool,
) -> EmployeeDetails:
    """Every field is checked and every problem reported together."""
    problems = Problems()
    values: dict[str, object] = {}
    checks: list[tuple[str, object, Callable[[], object]]] = [
        (
            "first_name",
            first_name,
            lambda: check_text(first_name or "", field="firstName", max_length=NAME_LENGTH),
        ),
        (
            "last_name",
            last_name,
            lambda: check_text(last_name or "", field="lastName", max_length=NAME_LENGTH),
        ),
        # The e-mail is required: Avonova sends appointments and forms to it.
        ("email", email, lambda: check_email(email or "")),
        ("mobile", mobile, lambda: check_phone(mobile, country, field="mobile") or ""),
        ("birth_date", birth_date, lambda: _check_birth_date(birth_date)),
        ("gender", gender, lambda: _check_gender(gender)),
    ]
    for key, raw, check in checks:
        if raw is None and not (creating and key in ("first_name", "last_name", "email")):
            continue
        values[key] = problems.check(check, None)
    problems.raise_if_any()
    return EmployeeDetails(**values)  # type: ignore[arg-type]


def _check_birth_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= date.today():
        raise DomainError(_("not a possible birth date"), field="birthDate", code="INVALID_DATE")
    return value


def _check_gender(value: str | None) -> Gender | None:
    if value is None or not value.strip():
        return None
    try:
        return Gender(value.strip().lower())
    except ValueError:
        raise DomainError(
            _("one of: female, male, other"), field="gender", code="UNKNOWN_CODE"
        ) from None


def birth_date_matches(national_id: NationalId, birth_date: date | None) -> None:
    if birth_date is not None and national_id.birth_date not in (None, birth_date):
        raise DomainError(
            _("the national ID holds another birth date"), field="nationalId", code="INVALID_DATE"
        )


@dataclass(kw_only=True)
class Employee(Aggregate):
    organisation_id: str
    first_name: str
    last_name: str
    email: str
    mobile: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    national_id: SealedNationalId | None = None
    active: bool = True

    @classmethod
    def add(
        cls,
        tenant: str,
        organisation: Organisation,
        details: EmployeeDetails,
        national_id: SealedNationalId | None,
        *,
        employee_id: str | None = None,
    ) -> Employee:
        _check_employer(tenant, organisation)
        assert details.first_name and details.last_name and details.email
        employee = cls(
            id=employee_id or new_id(),
            tenant=tenant,
            organisation_id=organisation.id,
            first_name=details.first_name,
            last_name=details.last_name,
            email=details.email,
            mobile=details.mobile or None,
            birth_date=details.birth_date,
            gender=details.gender,
            national_id=national_id,
        )
        employee.record(
            EmployeeCreated(
                employee_id=employee.id,
                organisation_id=organisation.id,
                national_id_registered=national_id is not None,
            )
        )
        return employee

    def edit(
        self,
        details: EmployeeDetails,
        *,
        organisation: Organisation | None = None,
        national_id: SealedNationalId | None = None,
        clear_national_id: bool = False,
    ) -> None:
        changed: list[str] = []
        for key in ("first_name", "last_name", "email", "mobile", "birth_date", "gender"):
            value = getattr(details, key)
            if value is None:
                continue
            if key == "mobile" and value == "":
                value = None  # a blank mobile clears it
            if value != getattr(self, key):
                setattr(self, key, value)
                changed.append(key)
        if organisation is not None and organisation.id != self.organisation_id:
            _check_employer(self.tenant, organisation)
            self.organisation_id = organisation.id
            changed.append("organisation")
        if national_id is not None and national_id != self.national_id:
            self.national_id = national_id
            changed.append("national_id")
        elif clear_national_id and self.national_id is not None:
            self.national_id = None
            changed.append("national_id")
        if changed:
            self.record(
                EmployeeUpdated(
                    employee_id=self.id,
                    organisation_id=self.organisation_id,
                    changed=changed,
                    active=self.active,
                )
            )

    def deactivate(self) -> None:
        if not self.active:
            raise DomainError(
                _("the employee is deactivated already"), field="id", code="NO_CHANGE"
            )
        self.active = False
        self.record(EmployeeDeactivated(employee_id=self.id, organisation_id=self.organisation_id))

    def reactivate(self) -> None:
        if self.active:
            raise DomainError(_("the employee is active already"), field="id", code="NO_CHANGE")
        self.active = True
        self.record(EmployeeReactivated(employee_id=self.id, organisation_id=self.organisation_id))


def _check_employer(tenant: str, organisation: Organisation) -> None:
    if organisation.tenant != tenant or not organisation.active:
        raise DomainError(_("no such organisation"), field="organisationId", code="NOT_FOUND")
    if organisation.kind is not OrganisationKind.CUSTOMER:
        raise DomainError(
            _("employees belong to customer organisations"), field="organisationId", code="INVALID"
        )
