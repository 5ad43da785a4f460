"""Repositories of the employee register and of national-ID reveal audit records."""

from __future__ import annotations

from datetime import date
from typing import Any

from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import NOTHING, AggregateRepository, Keyset, Page
from portal_kit.text import contains_pattern, fold

from portal_people.adapters.stored_values import aware, unique_key
from portal_people.domain.audit import NationalIdReveal
from portal_people.domain.employee import Employee, Gender, SealedNationalId
from portal_people.service_layer.access import EmployeeSearch, EmployeeSight

EMPLOYEES, REVEALS = "employees", "national_id_reveals"
EMPLOYEE_COLLECTIONS = (EMPLOYEES, REVEALS)
EMPLOYEE_INDEXES = (
    IndexSpec(EMPLOYEES, (("tenant", ASCENDING), ("organisation_id", ASCENDING))),
    IndexSpec(EMPLOYEES, (("tenant", ASCENDING), ("name_key", ASCENDING), ("_id", ASCENDING))),
    IndexSpec(EMPLOYEES, (("tenant", ASCENDING), ("email_key", ASCENDING))),
    IndexSpec(REVEALS, (("tenant", ASCENDING), ("employee_id", ASCENDING))),
)


class EmployeeRepository(AggregateRepository[Employee]):
    collection = EMPLOYEES
    service = "people"

    def to_document(self, aggregate: Employee) -> Document:
        name = f"{aggregate.last_name} {aggregate.first_name}"
        national_id = aggregate.national_id
        return {
            "organisation_id": aggregate.organisation_id,
            "first_name": aggregate.first_name,
            "last_name": aggregate.last_name,
            "email": aggregate.email,
            "email_key": unique_key(aggregate.email),
            "mobile": aggregate.mobile,
            "birth_date": aggregate.birth_date.isoformat() if aggregate.birth_date else None,
            "gender": aggregate.gender.value if aggregate.gender else None,
            "national_id_masked": national_id.masked if national_id else None,
            "national_id_sealed": national_id.sealed if national_id else None,
            "active": aggregate.active,
            "name_key": unique_key(name),
            # Free-text search runs a regular expression over this folded line.
            "search_key": fold(f"{aggregate.first_name} {aggregate.last_name} {aggregate.email}"),
        }

    def from_document(self, document: Document) -> Employee:
        masked, sealed = document.get("national_id_masked"), document.get("national_id_sealed")
        birth = document.get("birth_date")
        gender = document.get("gender")
        return Employee(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            organisation_id=document["organisation_id"],
            first_name=document["first_name"],
            last_name=document["last_name"],
            email=document["email"],
            mobile=document.get("mobile"),
            birth_date=date.fromisoformat(birth) if birth else None,
            gender=Gender(gender) if gender else None,
            national_id=SealedNationalId(masked=str(masked), sealed=sealed) if sealed else None,
            active=document.get("active", True),
        )

    def _visible(self, sight: EmployeeSight) -> dict[str, Any]:
        if sight.everything:
            return {}
        seen: list[dict[str, Any]] = []
        if sight.organisations:
            seen.append({"organisation_id": {"$in": list(sight.organisations)}})
        if sight.own_email is not None:
            seen.append(
                {
                    "organisation_id": {"$in": list(sight.own_organisations)},
                    "email_key": unique_key(sight.own_email),
                }
            )
        return {"$or": seen} if seen else NOTHING

    async def visible(self, sight: EmployeeSight, employee_id: str) -> Employee | None:
        found = await self.find({"$and": [{"_id": employee_id}, self._visible(sight)]}, limit=1)
        return found[0] if found else None

    async def page_for(
        self, search: EmployeeSearch, after: Keyset | None, size: int
    ) -> Page[Employee]:
        conditions: list[dict[str, Any]] = [self._visible(search.sight)]
        if search.within is not None:
            conditions.append({"organisation_id": {"$in": list(search.within)}})
        conditions += [{"search_key": {"$regex": contains_pattern(w)}} for w in search.words]
        if not search.include_inactive:
            conditions.append({"active": True})
        return await self.page({"$and": conditions}, after, sort_key="name_key", size=size)


class RevealRepository(AggregateRepository[NationalIdReveal]):
    collection = REVEALS
    service = "people"

    def to_document(self, aggregate: NationalIdReveal) -> Document:
        return {
            "employee_id": aggregate.employee_id,
            "revealed_by": aggregate.revealed_by,
            "revealed_at": aggregate.revealed_at,
        }

    def from_document(self, document: Document) -> NationalIdReveal:
        return NationalIdReveal(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            employee_id=document["employee_id"],
            revealed_by=document["revealed_by"],
            revealed_at=aware(document["revealed_at"]),
        )
