"""Orders' read models of people's organisations and employees end at the newest state whatever
order people's events are handled in (replicas sharing a durable consumer, a late redelivery):
through the consumers' handlers, with the envelopes people's repository writes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_kit.domain import new_id
from portal_kit.testing.events import envelope
from portal_orders.adapters.repositories import (
    INDEXES,
    EmployeeDirectory,
    OrganisationDirectory,
)
from portal_orders.entrypoints.consumers import employee_handler, organisation_handler
from portal_orders.service_layer.employees import EmployeeRegister
from portal_orders.service_layer.organisations import OrganisationRegister


def created(organisation_id: str, name: str, *, parent_id: str | None = "p1") -> Any:
    data = {
        "organisation_id": organisation_id,
        "kind": "department",
        "display_name": name,
        "parent_id": parent_id,
    }
    return envelope("people.organisation.created", organisation_id, data, version=1)


def renamed(organisation_id: str, name: str, version: int, *, active: bool = True) -> Any:
    data = {
        "organisation_id": organisation_id,
        "changed": ["display_name"],
        "active": active,
        "display_name": name,
    }
    return envelope("people.organisation.updated", organisation_id, data, version=version)


async def test_a_rename_redelivered_after_a_newer_one_leaves_the_newer_name(database_for):
    database = database_for("orders")
    directory = OrganisationDirectory(database, "acme")
    handle = organisation_handler(lambda tenant: OrganisationRegister(directory))

    for event in (created("o1", "A"), renamed("o1", "C", 3), renamed("o1", "B", 2)):
        await handle(event)

    assert await directory.names() == {"o1": "C"}


async def test_a_late_created_fills_in_kind_and_parent_but_not_an_older_name(database_for):
    database = database_for("orders")
    directory = OrganisationDirectory(database, "acme")
    handle = organisation_handler(lambda tenant: OrganisationRegister(directory))

    await handle(renamed("dept", "Newer name", 2, active=False))
    await handle(created("dept", "First name", parent_id="parent"))

    assert await directory.names() == {"dept": "Newer name"}
    assert await directory.with_descendants(["parent"]) == ["parent", "dept"]
    stored = await database.for_tenant("organisations", "acme").find_one({"_id": "dept"})
    assert stored is not None and (stored["kind"], stored["active"]) == ("department", False)


async def test_a_deactivation_handled_after_the_newer_reactivation_leaves_them_active(
    database_for,
):
    database = database_for("orders")
    await database.ensure_indexes(INDEXES)
    employees = EmployeeDirectory(database, "acme")
    handle = employee_handler(lambda tenant: EmployeeRegister(employees))

    def employee(name: str, version: int) -> Any:
        data = {"employee_id": "e1", "organisation_id": "c1"}
        return envelope(f"people.employee.{name}", "e1", data, version=version)

    for event in (employee("created", 1), employee("reactivated", 3), employee("deactivated", 2)):
        await handle(event)

    assert await employees.employer("e1") == "c1"
    [stored] = await database.for_tenant("employees", "acme").find({"employee_id": "e1"})
    assert stored["active"] is True


names = st.lists(st.sampled_from(["Aker", "Bygg", "Øst", "Ålesund"]), min_size=1, max_size=7)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=names, data=st.data())
async def test_any_order_of_an_organisations_events_leaves_the_last_ones_state(
    database_for, names: list[str], data: Any
) -> None:
    database = database_for("orders")
    directory = OrganisationDirectory(database, "acme")
    handle = organisation_handler(lambda tenant: OrganisationRegister(directory))
    organisation_id, parent_id = new_id(), new_id()  # fresh ones per example
    events = [created(organisation_id, names[0], parent_id=parent_id)]
    events += [renamed(organisation_id, n, v) for v, n in enumerate(names[1:], 2)]

    for event in data.draw(st.permutations(events)):
        await handle(event)

    assert (await directory.names())[organisation_id] == names[-1]
    assert await directory.with_descendants([parent_id]) == [parent_id, organisation_id]
