"""The order's fields as the rules and the clients name them: which fields each actor may change,
which are final once an order is finished, and the name a client sees for a field in errors and
in a transition's required fields (`avser.serial_number` is `avser.serialNumber`), and what a
close-out field with the tenant's codes accepts."""

from __future__ import annotations

from portal_kit.domain import DomainError

from portal_orders.domain.messages import _
from portal_orders.domain.workflow import (
    CODED_FIELDS,
    REQUIRABLE_FIELDS,
    Actor,
    CloseOutField,
    TenantConfiguration,
)

# What each actor may change with `edit` (and together with a transition).
# The contractor may fill in every field a transition can require, and name its contact person.
CONTRACTOR_FIELDS = REQUIRABLE_FIELDS | {"assignee_contact"}
# What is reported on completion: final once the order is finished.
COMPLETION_FIELDS = frozenset(
    {
        "action_taken",
        "fault_type",
        "root_cause",
        "agreed_appointment",
        "avser",
        "avser.properties",
        "avser.serial_number",
    }
)
STAFF_FIELDS = CONTRACTOR_FIELDS | {
    "description",
    "priority",
    "operator_contact",
    "resident",
    "object",
    "admin_area",
    "search_areas",
    "avser",
    "customer_request",
}
CUSTOMER_FIELDS = frozenset({"description", "customer_request"})
EDITABLE_BY = {
    Actor.STAFF: STAFF_FIELDS,
    Actor.CONTRACTOR: CONTRACTOR_FIELDS,
    Actor.CUSTOMER: CUSTOMER_FIELDS,
    Actor.SYSTEM: frozenset[str](),
}


def client_field(name: str) -> str:
    """`avser.serial_number` → `avser.serialNumber`: the name clients see in user errors."""

    def camel(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(word.capitalize() for word in rest)

    return ".".join(camel(part) for part in name.split("."))


def check_close_out(configuration: TenantConfiguration, name: str, value: str) -> str:
    """`value` for the close-out field `name` if the tenant accepts it: one of its codes, free
    text only where its configuration says so. Empty is always accepted (nothing chosen yet: a
    transition's check says when something must be); fields without codes pass unchanged."""
    if name not in CODED_FIELDS:
        return value
    # A coded field the tenant does not configure it does not record: nothing is accepted.
    rules = configuration.close_out_field(name) or CloseOutField(name)
    if rules.accepts(value):
        return value
    codes = ", ".join(c.code for c in rules.codes)
    raise DomainError(
        _("unknown code; one of: {codes}", codes=codes)
        if codes
        else _("the tenant does not record this field"),
        field=client_field(name),
        code="UNKNOWN_CODE",
    )
