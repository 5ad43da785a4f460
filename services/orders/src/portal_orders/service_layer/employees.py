"""The local read model of the people service's employees, kept from people's events: each
employee's organisation and whether they are active. It lets a booking refuse anyone who is not
an active employee of the order's customer (rule 1 of docs/architecture.md: orders never reads
people's database)."""

from __future__ import annotations

from portal_orders.service_layer.ports import Employees


class EmployeeRegister:
    """What one tenant's employee events change in the read model.

    Every people event about an employee says, after the change, which organisation the employee
    belongs to and whether they are active: the newest event (by its time) is the state. A
    repeated event sets the same values (idempotent); one that arrives after a newer one (a
    redelivery after a failure) is dropped, so a late 'created' cannot revive a deactivated
    employee.
    """

    def __init__(self, employees: Employees) -> None:
        self.employees = employees

    async def changed(
        self, employee_id: str, *, organisation_id: str, active: bool, version: str
    ) -> bool:
        """True when this state is now the read model's; False when a newer one is kept."""
        return await self.employees.record(
            employee_id, organisation_id=organisation_id, active=active, version=version
        )
