"""Cleaning of input values before they reach the domain: every text of a value is checked
(length, control characters, invalid code points, no national ID in it), codes and references
too, each named by its input path on refusal; a new order's draft and the changes of an order's
fields.

No text of an order may hold a national ID (the tenants' forms: "Merk IKKE sensitive
opplysninger"): descriptions, comments, questions and answers, close-out texts, the resident's
comment and key information are read by staff, contractors and customers for years, and no field
of an order is meant for one — people's employee register keeps national IDs, encrypted."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime
from typing import Any, TypeVar

from portal_kit.clock import to_the_millisecond
from portal_kit.domain import DomainError, NotFound
from portal_kit.sensitive import check_no_national_id
from portal_kit.values import Problems, check_code, check_reference, check_text

from portal_orders.domain.fields import check_close_out, client_field
from portal_orders.domain.messages import _
from portal_orders.domain.order import OrderDraft
from portal_orders.domain.workflow import CODED_FIELDS, Actor, TenantConfiguration

V = TypeVar("V")

LONG_TEXT = frozenset({"description", "text", "comment", "action_taken", "key_info", "unit_note"})
SHORT_MAX = 300
LONG_MAX = 5000


def clean_text(value: str, path: str, problems: Problems, *, required: bool = False) -> str:
    name = path.rsplit(".", 1)[-1]
    long = name in LONG_TEXT
    field = client_field(path)

    def check() -> str:
        text = check_text(
            value,
            field=field,
            max_length=LONG_MAX if long else SHORT_MAX,
            required=required,
            multiline=long,
        )
        return check_no_national_id(text, field=field)

    return problems.check(check, "")


def clean(value: V, path: str, problems: Problems) -> V:
    """The value with every text in it cleaned (dataclasses, tuples and lists walked)."""
    if isinstance(value, str):
        return clean_text(value, path, problems)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {
            f.name: clean(getattr(value, f.name), f"{path}.{f.name}" if path else f.name, problems)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(clean(v, path, problems) for v in value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [clean(v, path, problems) for v in value]  # type: ignore[return-value]
    return value


def checked_draft(
    draft: OrderDraft,
    configuration: TenantConfiguration,
    *,
    actor: Actor,
    organisations: tuple[str, ...],
    known: Collection[str],
) -> OrderDraft:
    """The draft of a new order with its codes, references and texts checked, defaults filled
    in; `organisations`: the caller's, which a customer's order must be for; `known`: the
    organisations of the tenant among those the draft names (an id of another tenant, or made
    up, is refused exactly like a missing one)."""
    problems = Problems()
    order_type = draft.order_type or configuration.default_order_type or ""
    problems.check(
        lambda: check_code(
            order_type,
            field="orderType",
            allowed=[t.code for t in configuration.order_types],
        ),
        "",
    )
    priority = draft.priority or configuration.default_priority
    problems.check(
        lambda: check_code(
            priority, field="priority", allowed=[p.code for p in configuration.priorities]
        ),
        "",
    )
    description = clean_text(draft.description, "description", problems, required=True)
    customer = problems.check(
        lambda: check_reference(
            draft.customer_organisation_id, field="customerOrganisationId", what=_("organisation")
        ),
        "",
    )
    assignee = None
    if draft.assignee_organisation_id:
        assignee = problems.check(
            lambda: check_reference(
                draft.assignee_organisation_id or "",
                field="assigneeOrganisationId",
                what=_("organisation"),
            ),
            None,
        )
    if actor is Actor.CONTRACTOR:
        assignee = draft.assignee_organisation_id  # the caller's: see OrderDesk._creator_role
    if customer and (
        (actor is Actor.CUSTOMER and customer not in organisations) or customer not in known
    ):
        problems.add(NotFound(_("no such organisation"), field="customerOrganisationId"))
    if assignee and actor is not Actor.CONTRACTOR and assignee not in known:
        problems.add(NotFound(_("no such organisation"), field="assigneeOrganisationId"))
    cleaned = clean(
        dataclasses.replace(
            draft,
            description="",
            order_type="",
            priority="",
            customer_organisation_id="",
            assignee_organisation_id=None,
        ),
        "",
        problems,
    )
    problems.raise_if_any()
    return dataclasses.replace(
        cleaned,
        order_type=order_type,
        priority=priority,
        description=description,
        customer_organisation_id=customer,
        assignee_organisation_id=assignee,
        order_date=draft.order_date,
    )


def clean_changes(changes: dict[str, Any], configuration: TenantConfiguration) -> dict[str, Any]:
    """Changes of an order's fields with their values checked: codes known (the priority's, the
    tenant's close-out codes), texts clean, times with their UTC offset (to the millisecond)."""
    problems = Problems()
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "priority":
            codes = [p.code for p in configuration.priorities]
            code = _checked_code(str(value), "priority", codes, problems)
            priority = configuration.priority(code)
            if priority is not None:
                cleaned[name] = (priority.code, priority.rank)
            continue
        if name == "description":
            cleaned[name] = clean_text(value, name, problems, required=True)
            continue
        if name in CODED_FIELDS:
            text = clean_text(value, name, problems)
            cleaned[name] = _close_out_value(configuration, name, text, problems)
            continue
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                problems.add(DomainError(_("a time with its UTC offset"), field=client_field(name)))
            else:
                cleaned[name] = to_the_millisecond(value)
            continue
        cleaned[name] = clean(value, name, problems)
    problems.raise_if_any()
    return cleaned


def _close_out_value(
    configuration: TenantConfiguration, name: str, value: str, problems: Problems
) -> str:
    return problems.check(lambda: check_close_out(configuration, name, value), "")


def _checked_code(value: str, field: str, allowed: list[str], problems: Problems) -> str:
    return problems.check(lambda: check_code(value, field=field, allowed=allowed), "")
