"""Which products a user (a profile) or a customer organisation has access to.

A software vendor's customers license products ("Visma Løn ABC"), and their people have profiles
for some of them: the tickets service offers a customer only its products and lets only a person
with access to a ticket's product follow it (Visma Enterprise's manual). Product codes are the
tickets service's (its tenant configuration); people keeps which holder has which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from portal_kit.domain import Aggregate, DomainError, new_id
from portal_kit.events import DomainEvent
from portal_kit.messages import Messages
from pydantic import Field

_ = Messages("portal_people")

MAX_PRODUCTS = 100
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class HolderKind(StrEnum):
    USER = "user"
    ORGANISATION = "organisation"


class ProductAccessChanged(DomainEvent):
    """All the holder's products after the change (ids and codes only)."""

    aggregate: ClassVar[str] = "product_access"
    name: ClassVar[str] = "changed"
    holder_kind: str = Field(description="Who holds the access: user or organisation.")
    holder_id: str = Field(description="The holder's id (a user id or an organisation id).")
    products: list[str] = Field(description="The holder's product codes after the change.")


def check_products(products: list[str]) -> tuple[str, ...]:
    if len(products) > MAX_PRODUCTS:
        raise DomainError(
            _("at most {limit} products", limit=MAX_PRODUCTS), field="products", code="TOO_MANY"
        )
    cleaned: list[str] = []
    for index, product in enumerate(products):
        code = product.strip()
        if not _CODE.match(code):
            raise DomainError(_("not a product code"), field=f"products.{index}")
        if code not in cleaned:
            cleaned.append(code)
    return tuple(sorted(cleaned))


@dataclass(kw_only=True)
class ProductAccess(Aggregate):
    holder_kind: HolderKind
    holder_id: str
    products: tuple[str, ...] = field(default=())

    @classmethod
    def new(cls, tenant: str, holder_kind: HolderKind, holder_id: str) -> ProductAccess:
        return cls(id=new_id(), tenant=tenant, holder_kind=holder_kind, holder_id=holder_id)

    def grant(self, products: tuple[str, ...]) -> bool:
        """Sets the holder's products; False (and no event) when nothing changes."""
        if products == self.products and self.version:
            return False
        self.products = products
        self.record(
            ProductAccessChanged(
                holder_kind=self.holder_kind.value,
                holder_id=self.holder_id,
                products=list(products),
            )
        )
        return True
