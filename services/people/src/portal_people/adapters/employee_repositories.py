"""Repositories of the employee register and of national-ID reveal audit records."""

from __future__ import annotations

from datetime import date

from portal_kit.mongo import ASCENDING, Document, IndexSpec
from portal_kit.repository import AggregateRepository

from portal_people.adapters.folding import aware, fold, search_fold
from portal_people.domain.audit import NationalIdReveal
from portal_people.domain.employee import Employee, Gender, SealedNationalId

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
            "email_key": fold(aggregate.email),
            "mobile": aggregate.mobile,
            "birth_date": aggregate.birth_date.isoformat() if aggregate.birth_date else None,
            "gender": aggregate.gender.value if aggregate.gender else None,
            "national_id_masked": national_id.masked if national_id else None,
            "national_id_sealed": national_id.sealed if national_id else None,
            "active": aggregate.active,
            "name_key": fold(name),
            # Free-text search runs a regular expression over this folded line.
            "search_key": search_fold(
                f"{aggregate.first_name} {aggregate.last_name} {aggregate.email}"
            ),
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
