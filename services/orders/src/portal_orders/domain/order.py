"""Orders: a job the operator sends to a contractor, or a customer's order to the operator.

Organisation ids are opaque strings owned by the people service. This slice checks only their
shape; whether an organisation exists, is a customer or a contractor, and which departments sit
under it (a parent organisation seeing its departments' orders) comes with a local read model of
the people service's organisation events in a later issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portal_kit.domain import Aggregate, new_id
from portal_kit.values import Problems, check_code, check_reference, check_text

from portal_orders.domain.events import OrderAssigned, OrderCreated

DESCRIPTION_MAX = 5000
INITIAL_STATUS = "new"


@dataclass(frozen=True)
class OrderCatalogue:
    """The codes a tenant's orders may use.

    Catalogues become tenant configuration (types, workflows, localized labels) in a later issue;
    until then every tenant uses `DEFAULT_CATALOGUE`.
    """

    order_types: frozenset[str]
    priorities: frozenset[str]
    default_priority: str = "normal"

    def __post_init__(self) -> None:
        if self.default_priority not in self.priorities:
            raise ValueError("the default priority must be one of the priorities")


DEFAULT_CATALOGUE = OrderCatalogue(
    order_types=frozenset({"work_order", "warranty", "billable", "service"}),
    priorities=frozenset({"low", "normal", "high", "urgent"}),
)


def format_number(sequence: int) -> str:
    """The order number shown to people; tenant number formats come with configuration."""
    if sequence < 1:
        raise ValueError("order sequences start at 1")
    return str(sequence)


@dataclass(frozen=True)
class OrderRequest:
    """The checked input of a new order, before it gets a number."""

    order_type: str
    description: str
    customer_organisation_id: str
    priority: str
    order_date: date

    @classmethod
    def parse(
        cls,
        *,
        order_type: str,
        description: str,
        customer_organisation_id: str,
        priority: str | None,
        order_date: date,
        catalogue: OrderCatalogue = DEFAULT_CATALOGUE,
    ) -> OrderRequest:
        """Every problem at once, as `ValidationFailed`."""
        problems = Problems()
        checked_type = problems.check(
            lambda: check_code(order_type, field="orderType", allowed=catalogue.order_types), ""
        )
        checked_priority = problems.check(
            lambda: check_code(
                catalogue.default_priority if priority is None else priority,
                field="priority",
                allowed=catalogue.priorities,
            ),
            "",
        )
        checked_description = problems.check(
            lambda: check_text(
                description, field="description", max_length=DESCRIPTION_MAX, multiline=True
            ),
            "",
        )
        checked_customer = problems.check(
            lambda: check_reference(
                customer_organisation_id, field="customerOrganisationId", what="organisation"
            ),
            "",
        )
        problems.raise_if_any()
        return cls(
            order_type=checked_type,
            description=checked_description,
            customer_organisation_id=checked_customer,
            priority=checked_priority,
            order_date=order_date,
        )


@dataclass(kw_only=True)
class Order(Aggregate):
    sequence: int
    number: str
    order_type: str
    status: str
    priority: str
    description: str
    customer_organisation_id: str
    assignee_organisation_id: str | None
    order_date: date
    created_at: datetime

    @classmethod
    def create(
        cls, tenant: str, sequence: int, request: OrderRequest, *, created_at: datetime
    ) -> Order:
        if created_at.utcoffset() is None:
            raise ValueError("created_at must carry its UTC offset")
        order = cls(
            id=new_id(),
            tenant=tenant,
            sequence=sequence,
            number=format_number(sequence),
            order_type=request.order_type,
            status=INITIAL_STATUS,
            priority=request.priority,
            description=request.description,
            customer_organisation_id=request.customer_organisation_id,
            assignee_organisation_id=None,
            order_date=request.order_date,
            created_at=created_at,
        )
        order.record(
            OrderCreated(
                order_id=order.id,
                number=order.number,
                order_type=order.order_type,
                status=order.status,
                priority=order.priority,
                customer_organisation_id=order.customer_organisation_id,
                assignee_organisation_id=order.assignee_organisation_id,
                order_date=order.order_date,
            )
        )
        return order

    def assign(self, assignee_organisation_id: str) -> bool:
        """Give the order to a contractor organisation; False if it already has it."""
        assignee = check_reference(
            assignee_organisation_id, field="assigneeOrganisationId", what="organisation"
        )
        if assignee == self.assignee_organisation_id:
            return False
        previous, self.assignee_organisation_id = self.assignee_organisation_id, assignee
        self.record(
            OrderAssigned(
                order_id=self.id,
                number=self.number,
                assignee_organisation_id=assignee,
                previous_assignee_organisation_id=previous,
            )
        )
        return True
