"""The employee register (Avonova): add, edit, deactivate, reactivate, search, reveal.

Who sees whom (DESIGN.md): staff see every employee of the tenant; a customer organisation's
admins see their organisation's and its departments'; nobody else sees any. The national ID is
read masked; the full value needs the reveal scope and leaves an audit event each time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal_kit.domain import DomainError, Forbidden, NotFound, ValidationFailed, new_id

from portal_people.adapters.employee_repositories import EmployeeRepository, RevealRepository
from portal_people.adapters.folding import contains_pattern, fold
from portal_people.domain.audit import NationalIdReveal
from portal_people.domain.employee import (
    Employee,
    SealedNationalId,
    birth_date_matches,
    check_details,
)
from portal_people.domain.national_id import parse_national_id
from portal_people.domain.organisation import Organisation
from portal_people.service_layer import access
from portal_people.service_layer.directory import Directory
from portal_people.wiring import PeopleServices

log = logging.getLogger(__name__)
REVEAL_SCOPE = "people:national-id:reveal"
MAX_QUERY = 100


@dataclass(frozen=True)
class EmployeeInput:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    organisation_id: str | None = None
    # None leaves it as it is; a blank string removes it.
    national_id: str | None = None


class Employees:
    def __init__(self, directory: Directory, services: PeopleServices) -> None:
        self.directory = directory
        self.services = services
        tenant = directory.principal.tenant
        self.repository = EmployeeRepository(
            directory.database, tenant, on_commit=directory.on_commit
        )
        self.reveals = RevealRepository(directory.database, tenant, on_commit=directory.on_commit)

    # -- visibility ------------------------------------------------------------------------

    async def _scope(self) -> list[str] | None:
        """Organisations whose employees the caller sees; None means all of the tenant."""
        principal = self.directory.principal
        if access.is_tenant_staff(principal, principal.tenant) or principal.platform_admin:
            return None
        admin_of = access.admin_organisations(principal)
        if not principal.authenticated or not admin_of:
            return []
        return await self.directory.organisations().descendants(admin_of)

    async def _visible(self) -> dict[str, Any] | None:
        """The filter of employees the caller sees; None when it sees none. Admins see their
        organisations' (and departments'); any member sees their own record (same e-mail)."""
        scope = await self._scope()
        if scope is None:
            return {}
        seen: list[dict[str, Any]] = []
        if scope:
            seen.append({"organisation_id": {"$in": scope}})
        principal = self.directory.principal
        me = await self.directory.users().get(principal.user) if principal.authenticated else None
        if me is not None and principal.organisations:
            own = await self.directory.organisations().descendants(list(principal.organisations))
            seen.append({"organisation_id": {"$in": own}, "email_key": fold(me.email)})
        if not seen:
            return None
        return {"$or": seen}

    async def get(self, employee_id: str) -> Employee | None:
        visible = await self._visible()
        if visible is None:
            return None
        found = await self.repository.find({"$and": [{"_id": employee_id[:64]}, visible]}, limit=1)
        return found[0] if found else None

    async def search(
        self, text: str | None, organisation_id: str | None, include_inactive: bool
    ) -> dict[str, Any] | None:
        """The filter of a search, or None when it can find nothing."""
        visible = await self._visible()
        if visible is None:
            return None
        conditions: list[dict[str, Any]] = [visible]
        if organisation_id:
            department = await self.directory.organisation(organisation_id[:64])
            if department is None:
                return None
            within = await self.directory.organisations().descendants([department.id])
            conditions.append({"organisation_id": {"$in": within}})
        if text and text.strip():
            for word in text[:MAX_QUERY].split()[:5]:
                conditions.append({"search_key": {"$regex": contains_pattern(word)}})
        if not include_inactive:
            conditions.append({"active": True})
        return {"$and": conditions} if conditions else {}

    async def _organisation_for_change(self, organisation_id: str) -> Organisation:
        organisation = await self.directory.organisation(organisation_id[:64])
        scope = await self._scope()
        if organisation is None or (scope is not None and organisation.id not in scope):
            raise NotFound("no such organisation", field="organisationId")
        return organisation

    def _require_may_change(self) -> None:
        principal = self.directory.principal
        if access.is_tenant_staff(principal, principal.tenant) or principal.platform_admin:
            return
        if not access.admin_organisations(principal):
            raise Forbidden("only the operator's staff and the customer's admins may do this")

    # -- changes ---------------------------------------------------------------------------

    def _seal(
        self, employee_id: str, raw: str, country: str, birth: date | None
    ) -> SealedNationalId:
        national_id = parse_national_id(raw, country)
        birth_date_matches(national_id, birth)
        sealed = self.services.cipher.seal(national_id.value, self._context(employee_id))
        return SealedNationalId(masked=national_id.masked, sealed=sealed)

    def _context(self, employee_id: str) -> str:
        return f"{self.directory.principal.tenant}/employee/{employee_id}"

    async def add(self, data: EmployeeInput) -> Employee:
        self._require_may_change()
        tenant = await self.directory.own_tenant()
        country = tenant.configuration.country
        problems: list[DomainError] = []
        organisation: Organisation | None = None
        try:
            organisation = await self._organisation_for_change(data.organisation_id or "")
        except DomainError as problem:
            problems.append(problem)
        details = None
        try:
            details = check_details(
                country,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                mobile=data.mobile,
                birth_date=data.birth_date,
                gender=data.gender,
                creating=True,
            )
        except ValidationFailed as failed:
            problems += failed.problems
        employee_id = new_id()
        sealed = None
        if data.national_id and data.national_id.strip():
            try:
                sealed = self._seal(employee_id, data.national_id, country, data.birth_date)
            except DomainError as problem:
                problems.append(problem)
        if problems:
            raise ValidationFailed(problems)
        assert organisation is not None and details is not None
        employee = Employee.add(tenant.id, organisation, details, sealed, employee_id=employee_id)
        await self.repository.add(employee)
        return employee

    async def edit(self, employee_id: str, version: int, data: EmployeeInput) -> Employee:
        self._require_may_change()
        employee = await self.get(employee_id)
        if employee is None:
            raise NotFound("no such employee", field="id")
        tenant = await self.directory.own_tenant()
        country = tenant.configuration.country
        problems: list[DomainError] = []
        organisation = None
        if data.organisation_id is not None:
            try:
                organisation = await self._organisation_for_change(data.organisation_id)
            except DomainError as problem:
                problems.append(problem)
        details = None
        try:
            details = check_details(
                country,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                mobile=data.mobile,
                birth_date=data.birth_date,
                gender=data.gender,
                creating=False,
            )
        except ValidationFailed as failed:
            problems += failed.problems
        sealed = None
        if data.national_id is not None and data.national_id.strip():
            try:
                sealed = self._seal(
                    employee.id, data.national_id, country, data.birth_date or employee.birth_date
                )
            except DomainError as problem:
                problems.append(problem)
        if problems:
            raise ValidationFailed(problems)
        assert details is not None
        employee.version = version
        if sealed is not None and employee.national_id is not None:
            # Re-entering the same number changes nothing (a fresh nonce is not a change).
            try:
                current = self.services.cipher.open(
                    employee.national_id.sealed, self._context(employee.id)
                )
            except ValueError:
                current = None  # unreadable with this key: the new value replaces it
            if current == parse_national_id(data.national_id or "", country).value:
                sealed = employee.national_id
        employee.edit(
            details,
            organisation=organisation,
            national_id=sealed,
            clear_national_id=data.national_id is not None and not data.national_id.strip(),
        )
        await self.repository.save(employee)
        return employee

    async def set_active(self, employee_id: str, version: int, active: bool) -> Employee:
        self._require_may_change()
        employee = await self.get(employee_id)
        if employee is None:
            raise NotFound("no such employee", field="id")
        employee.version = version
        if active:
            employee.reactivate()
        else:
            employee.deactivate()
        await self.repository.save(employee)
        return employee

    async def reveal_national_id(self, employee: Employee) -> str | None:
        """The full value, for a principal with the reveal scope only; each reveal is audited
        (who, whose, when) before the value is handed out."""
        principal = self.directory.principal
        if not principal.has_scope(REVEAL_SCOPE) or employee.national_id is None:
            return None
        visible = await self.get(employee.id)
        if visible is None:
            return None
        reveal = NationalIdReveal.record_reveal(
            principal.tenant, employee.id, principal.user, self.services.clock()
        )
        await self.reveals.add(reveal)
        try:
            return self.services.cipher.open(
                employee.national_id.sealed, self._context(employee.id)
            )
        except ValueError:
            # Another key than the one it was sealed with (a development key lost on restart).
            log.error("a national ID cannot be decrypted", extra={"employee": employee.id})
            raise DomainError(
                "the national ID cannot be read with the current key", code="UNREADABLE"
            ) from None
