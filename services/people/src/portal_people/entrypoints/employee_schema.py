"""The employee register (Avonova) in the people schema."""

from __future__ import annotations

from datetime import date

import strawberry
from graphql import GraphQLError
from portal_kit.graphql import (
    Connection,
    UserError,
    attempt,
    decode_keyset,
    page_size,
)
from portal_kit.messages import code_label
from strawberry.federation.schema_directives import RequiresScopes

from portal_people.domain import employee as domain
from portal_people.domain.national_id import REVEAL_SCOPE
from portal_people.entrypoints.context import Info
from portal_people.entrypoints.inputs import (
    AddEmployeeInput,
    EditEmployeeInput,
    EmployeeStatusInput,
)
from portal_people.entrypoints.types import GENDER_LABELS, Gender, by_name_connection
from portal_people.service_layer.employees import EmployeeInput


@strawberry.federation.type(keys=["id"], description="An employee of a customer organisation.")
class Employee:
    id: strawberry.ID
    organisation_id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    mobile: str | None
    birth_date: date | None
    gender: Gender | None
    national_id: str | None = strawberry.field(
        description="Masked: the birth-date part, then *****; null when none is registered."
    )
    active: bool
    version: int
    _employee: strawberry.Private[domain.Employee]

    @strawberry.field(description="The gender in the caller's language.")
    def gender_label(self) -> str | None:
        return None if self.gender is None else code_label(GENDER_LABELS, self.gender.value)

    @classmethod
    def of(cls, employee: domain.Employee) -> Employee:
        return cls(
            id=strawberry.ID(employee.id),
            organisation_id=strawberry.ID(employee.organisation_id),
            first_name=employee.first_name,
            last_name=employee.last_name,
            email=employee.email,
            mobile=employee.mobile,
            birth_date=employee.birth_date,
            gender=Gender(employee.gender.value) if employee.gender else None,
            national_id=employee.national_id.masked if employee.national_id else None,
            active=employee.active,
            version=employee.version,
            _employee=employee,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Employee | None:
        found = await info.context.employees.get(str(id))
        return cls.of(found) if found else None

    @strawberry.field(
        description=f"The full national ID; only with the scope {REVEAL_SCOPE}, and every read "
        "is recorded (who, whose, when).",
        # The gateway removes the field for principals without the scope before planning;
        # the resolver checks again, so a call that bypasses the policy still gets nothing.
        directives=[RequiresScopes(scopes=[[REVEAL_SCOPE]])],
    )
    async def national_id_revealed(self, info: Info) -> str | None:
        revealed, errors = await attempt(
            lambda: info.context.employees.reveal_national_id(self._employee)
        )
        if errors:
            # A field, not a payload: the refusal is a GraphQL error with the domain's code.
            raise GraphQLError(errors[0].message, extensions={"code": errors[0].code})
        return revealed


@strawberry.type
class EmployeePayload:
    employee: Employee | None
    user_errors: list[UserError]


def _payload(result: tuple[domain.Employee | None, list[UserError]]) -> EmployeePayload:
    found, errors = result
    return EmployeePayload(employee=Employee.of(found) if found else None, user_errors=errors)


@strawberry.type
class EmployeeQuery:
    @strawberry.field
    async def employee(self, info: Info, id: strawberry.ID) -> Employee | None:
        found = await info.context.employees.get(str(id))
        return Employee.of(found) if found else None

    @strawberry.field(description="Free-text search (name, e-mail) and department filter.")
    async def employees(
        self,
        info: Info,
        text: str | None = None,
        organisation_id: strawberry.ID | None = None,
        include_inactive: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Employee]:
        page = await info.context.employees.search(
            text,
            str(organisation_id) if organisation_id else None,
            include_inactive,
            decode_keyset(after),
            page_size(first),
        )
        return by_name_connection(
            page, Employee.of, lambda e: f"{e.last_name} {e.first_name}", after
        )


@strawberry.type
class EmployeeMutation:
    @strawberry.mutation
    async def add_employee(self, info: Info, input: AddEmployeeInput) -> EmployeePayload:
        data = EmployeeInput(
            organisation_id=str(input.organisation_id),
            first_name=input.first_name,
            last_name=input.last_name,
            email=input.email,
            mobile=input.mobile,
            birth_date=input.birth_date,
            gender=input.gender.value if input.gender else None,
            national_id=input.national_id,
        )
        return _payload(await attempt(lambda: info.context.employees.add(data)))

    @strawberry.mutation
    async def edit_employee(self, info: Info, input: EditEmployeeInput) -> EmployeePayload:
        data = EmployeeInput(
            organisation_id=str(input.organisation_id) if input.organisation_id else None,
            first_name=input.first_name,
            last_name=input.last_name,
            email=input.email,
            mobile=input.mobile,
            birth_date=input.birth_date,
            gender=input.gender.value if input.gender else None,
            national_id=input.national_id,
        )
        return _payload(
            await attempt(lambda: info.context.employees.edit(str(input.id), input.version, data))
        )

    @strawberry.mutation(description="The employee has left; kept, but hidden from lists.")
    async def deactivate_employee(self, info: Info, input: EmployeeStatusInput) -> EmployeePayload:
        return _payload(
            await attempt(
                lambda: info.context.employees.set_active(str(input.id), input.version, False)
            )
        )

    @strawberry.mutation
    async def reactivate_employee(self, info: Info, input: EmployeeStatusInput) -> EmployeePayload:
        return _payload(
            await attempt(
                lambda: info.context.employees.set_active(str(input.id), input.version, True)
            )
        )
