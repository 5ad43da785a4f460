"""Organisations: operator, customers, contractors; departments are child organisations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from portal_kit.domain import Aggregate, DomainError, new_id
from portal_kit.values import Problems, check_text
from stdnum.dk import cvr
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from portal_people.domain.events import OrganisationCreated, OrganisationUpdated
from portal_people.domain.messages import _
from portal_people.domain.tenant import display_name

# A business's registry number per country (python-stdnum): Brønnøysund, Bolagsverket, CVR, YTJ.
_REGISTRIES = {"NO": no_orgnr, "SE": se_orgnr, "DK": cvr, "FI": ytunnus}


def check_organisation_number(
    value: str, country: str, *, field: str = "organisationNumber"
) -> str:
    """The organisation number in its compact form, checked with the country's check digits.
    A Swedish number of a person (a sole trader's personnummer) is refused: personal data."""
    registry = _REGISTRIES.get(country)
    if registry is None:
        raise DomainError(_("organisation numbers are not known for this country"), field=field)
    try:
        number = str(registry.validate(value))
    except ValidationError:
        raise DomainError(
            _("not a valid organisation number of {country}", country=country), field=field
        ) from None
    if country == "SE" and int(number[2]) < 2:
        raise DomainError(
            _("this is a personal identity number; give the organisation's number"), field=field
        )
    return number


class OrganisationKind(StrEnum):
    OPERATOR = "operator"
    CUSTOMER = "customer"
    CONTRACTOR = "contractor"


@dataclass(frozen=True)
class PostalAddress:
    """Where an organisation's invoices go: Familjebostäder's 'Fakturauppgifter' on every work
    order is its name and this (Box 92100, 120 07 Stockholm)."""

    street: str
    postal_code: str
    city: str

    @classmethod
    def of(cls, street: str, postal_code: str, city: str, *, field: str) -> PostalAddress:
        """Each part one line of text, required; every refused part named at once."""
        problems = Problems()
        parts = [
            problems.check(
                partial(check_text, value, field=f"{field}.{name}", max_length=max_length), ""
            )
            for name, value, max_length in (
                ("street", street, 200),
                ("postalCode", postal_code, 20),
                ("city", city, 100),
            )
        ]
        problems.raise_if_any()
        return cls(*parts)


@dataclass(kw_only=True)
class Organisation(Aggregate):
    name: str
    kind: OrganisationKind
    parent_id: str | None = None
    active: bool = True
    invoice_address: PostalAddress | None = None
    organisation_number: str | None = None

    @classmethod
    def create(
        cls,
        tenant: str,
        name: str,
        kind: OrganisationKind,
        parent: Organisation | None = None,
        *,
        invoice_address: PostalAddress | None = None,
        organisation_number: str | None = None,
    ) -> Organisation:
        if parent is not None:
            if parent.tenant != tenant:
                raise DomainError(_("no such organisation"), field="parentId", code="NOT_FOUND")
            if parent.kind is not kind:
                raise DomainError(
                    _("a department is of the same kind as its parent organisation"),
                    field="kind",
                )
        organisation = cls(
            id=new_id(),
            tenant=tenant,
            name=display_name(name),
            kind=kind,
            parent_id=parent.id if parent else None,
            invoice_address=invoice_address,
            organisation_number=organisation_number,
        )
        organisation.record(
            OrganisationCreated(
                organisation_id=organisation.id,
                kind=kind.value,
                display_name=organisation.name,
                parent_id=organisation.parent_id,
                organisation_number=organisation_number,
            )
        )
        return organisation

    def change(
        self,
        *,
        name: str | None = None,
        active: bool | None = None,
        invoice_address: PostalAddress | None = None,
        organisation_number: str | None = None,
    ) -> None:
        changed: list[str] = []
        if organisation_number is not None and organisation_number != self.organisation_number:
            self.organisation_number = organisation_number
            changed.append("organisation_number")
        if name is not None and display_name(name) != self.name:
            self.name = display_name(name)
            changed.append("name")
        if invoice_address is not None and invoice_address != self.invoice_address:
            self.invoice_address = invoice_address
            changed.append("invoice_address")
        if active is not None and active != self.active:
            self.active = active
            changed.append("active")
        if changed:
            self.record(
                OrganisationUpdated(
                    organisation_id=self.id,
                    changed=changed,
                    active=self.active,
                    display_name=self.name,
                    organisation_number=self.organisation_number,
                )
            )
