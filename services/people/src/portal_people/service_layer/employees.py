"""The employee register (Avonova): add, edit, deactivate, reactivate, search, reveal.

Who sees whom (docs/architecture.md): staff see every employee of the tenant; a customer
organisation's admins see their organisation's and its departments'; any member sees their own
record (same e-mail). The national ID is read masked; the full value needs the reveal scope and
leaves an audit event each time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from portal_kit.clock import Clock
from portal_kit.domain import DomainError, Forbidden, NotFound, new_id
from portal_kit.repository import Keyset, Page
from portal_kit.values import Problems

from portal_people.domain.audit import NationalIdReveal
from portal_people.domain.employee import (
    Employee,
    EmployeeDetails,
    SealedNationalId,
    birth_date_matches,
    check_details,
)
from portal_people.domain.messages import _
from portal_people.domain.national_id import REVEAL_SCOPE, parse_national_id
from portal_people.domain.organisation import Organisation
from portal_people.service_layer import access
from portal_people.service_layer.access import EmployeeSearch, EmployeeSight
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.ports import Cipher, EmployeeRecords, Reveals

log = logging.getLogger(__name__)
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
    def __init__(
        self,
        directory: Directory,
        *,
        records: EmployeeRecords,
        reveals: Reveals,
        cipher: Cipher,
        clock: Clock,
    ) -> None:
        self.directory = directory
        self.records = records
        self.reveals = reveals
        self.cipher = cipher
        self.clock = clock

    # -- visibility ------------------------------------------------------------------------

    async def _admin_scope(self) -> list[str] | None:
        """Organisations whose employees the caller sees; None means all of the tenant."""
        principal = self.directory.principal
        if access.is_tenant_staff(principal, principal.tenant) or principal.platform_admin:
            return None
        admin_of = access.admin_organisations(principal)
        if not principal.authenticated or not admin_of:
            return []
        return await self.directory.organisations.descendants(admin_of)

    async def sight(self) -> EmployeeSight:
        scope = await self._admin_scope()
        if scope is None:
            return EmployeeSight(everything=True)
        principal = self.directory.principal
        me = await self.directory.users.get(principal.user) if principal.authenticated else None
        if me is None or not principal.organisations:
            return EmployeeSight(organisations=tuple(scope))
        own = await self.directory.organisations.descendants(list(principal.organisations))
        return EmployeeSight(
            organisations=tuple(scope), own_email=me.email, own_organisations=tuple(own)
        )

    async def get(self, employee_id: str) -> Employee | None:
        sight = await self.sight()
        if sight.nothing:
            return None
        return await self.records.visible(sight, employee_id[:64])

    async def search(
        self,
        text: str | None,
        organisation_id: str | None,
        include_inactive: bool,
        after: Keyset | None,
        size: int,
    ) -> Page[Employee] | None:
        """A page of the search, or None when it can find nothing."""
        sight = await self.sight()
        if sight.nothing:
            return None
        within = None
        if organisation_id:
            department = await self.directory.organisation(organisation_id[:64])
            if department is None:
                return None
            within = tuple(await self.directory.organisations.descendants([department.id]))
        words = tuple(text[:MAX_QUERY].split()[:5]) if text and text.strip() else ()
        search = EmployeeSearch(sight, within, words, include_inactive)
        return await self.records.page_for(search, after, size)

    async def _organisation_for_change(
        self, organisation_id: str, problems: Problems
    ) -> Organisation | None:
        organisation = await self.directory.organisation(organisation_id[:64])
        scope = await self._admin_scope()
        if organisation is None or (scope is not None and organisation.id not in scope):
            problems.add(NotFound(_("no such organisation"), field="organisationId"))
            return None
        return organisation

    def _require_may_change(self) -> None:
        principal = self.directory.principal
        if access.is_tenant_staff(principal, principal.tenant) or principal.platform_admin:
            return
        if not access.admin_organisations(principal):
            raise Forbidden(_("only the operator's staff and the customer's admins may do this"))

    # -- changes ---------------------------------------------------------------------------

    def _seal(
        self, employee_id: str, raw: str, country: str, birth: date | None
    ) -> SealedNationalId:
        national_id = parse_national_id(raw, country)
        birth_date_matches(national_id, birth)
        sealed = self.cipher.seal(national_id.value, self._context(employee_id))
        return SealedNationalId(masked=national_id.masked, sealed=sealed)

    def _context(self, employee_id: str) -> str:
        return f"{self.directory.principal.tenant}/employee/{employee_id}"

    def _details(
        self, data: EmployeeInput, country: str, problems: Problems, *, creating: bool
    ) -> EmployeeDetails | None:
        return problems.check(
            lambda: check_details(
                country,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                mobile=data.mobile,
                birth_date=data.birth_date,
                gender=data.gender,
                creating=creating,
            ),
            None,
        )

    async def add(self, data: EmployeeInput) -> Employee:
        self._require_may_change()
        tenant = await self.directory.own_tenant()
        country = tenant.configuration.country
        problems = Problems()
        organisation = await self._organisation_for_change(data.organisation_id or "", problems)
        details = self._details(data, country, problems, creating=True)
        employee_id = new_id()
        sealed = None
        raw_id = data.national_id
        if raw_id and raw_id.strip():
            sealed = problems.check(
                lambda: self._seal(employee_id, raw_id, country, data.birth_date), None
            )
        problems.raise_if_any()
        assert organisation is not None and details is not None
        employee = Employee.add(tenant.id, organisation, details, sealed, employee_id=employee_id)
        await self.records.add(employee)
        return employee

    async def edit(self, employee_id: str, version: int, data: EmployeeInput) -> Employee:
        self._require_may_change()
        employee = await self.get(employee_id)
        if employee is None:
            raise NotFound(_("no such employee"), field="id")
        tenant = await self.directory.own_tenant()
        country = tenant.configuration.country
        problems = Problems()
        organisation = None
        if data.organisation_id is not None:
            organisation = await self._organisation_for_change(data.organisation_id, problems)
        details = self._details(data, country, problems, creating=False)
        sealed = None
        raw_id = data.national_id
        if raw_id is not None and raw_id.strip():
            birth = data.birth_date or employee.birth_date
            sealed = problems.check(lambda: self._seal(employee.id, raw_id, country, birth), None)
        problems.raise_if_any()
        assert details is not None
        employee.version = version
        if sealed is not None and employee.national_id is not None:
            # Re-entering the same number changes nothing (a fresh nonce is not a change).
            try:
                current = self.cipher.open(employee.national_id.sealed, self._context(employee.id))
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
        await self.records.save(employee)
        return employee

    async def set_active(self, employee_id: str, version: int, active: bool) -> Employee:
        self._require_may_change()
        employee = await self.get(employee_id)
        if employee is None:
            raise NotFound(_("no such employee"), field="id")
        employee.version = version
        if active:
            employee.reactivate()
        else:
            employee.deactivate()
        await self.records.save(employee)
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
            principal.tenant, employee.id, principal.user, self.clock()
        )
        await self.reveals.add(reveal)
        try:
            return self.cipher.open(employee.national_id.sealed, self._context(employee.id))
        except ValueError:
            # Another key than the one it was sealed with (a development key lost on restart).
            log.error("a national ID cannot be decrypted", extra={"employee": employee.id})
            raise DomainError(
                _("the national ID cannot be read with the current key"), code="UNREADABLE"
            ) from None
