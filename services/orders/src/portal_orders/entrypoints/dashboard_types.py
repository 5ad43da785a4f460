"""GraphQL types of the dashboard: counts by status × order type with row and column totals."""

from __future__ import annotations

import strawberry

from portal_orders.domain.workflow import TenantConfiguration
from portal_orders.service_layer.queries import Matrix


@strawberry.type(name="OrderDashboardCell")
class DashboardCell:
    order_type: str
    count: int


@strawberry.type(name="OrderDashboardRow")
class DashboardRow:
    status: str
    label: str = strawberry.field(
        description="The status's list heading in the caller's language (Beställda, Accepterade)."
    )
    status_label: str = strawberry.field(
        description="The status's own label in the caller's language (Beställd, Accepterad)."
    )
    cells: list[DashboardCell]
    total: int


@strawberry.type(
    name="OrderDashboard", description="Counts by status × order type with row and column totals."
)
class Dashboard:
    order_types: list[str]
    order_type_labels: list[str]
    rows: list[DashboardRow]
    column_totals: list[DashboardCell]
    total: int


def dashboard_of(matrix: Matrix, configuration: TenantConfiguration, locale: str) -> Dashboard:
    statuses = {s.code: s for s in configuration.statuses()}
    return Dashboard(
        order_types=list(matrix.order_types),
        order_type_labels=[
            t.label(locale) for t in configuration.order_types if t.code in matrix.order_types
        ],
        rows=[
            DashboardRow(
                status=status,
                label=statuses[status].list_label(locale) if status in statuses else status,
                status_label=statuses[status].label(locale) if status in statuses else status,
                cells=[
                    DashboardCell(order_type=t, count=matrix.cell(status, t))
                    for t in matrix.order_types
                ],
                total=matrix.row_total(status),
            )
            for status in matrix.statuses
        ],
        column_totals=[
            DashboardCell(order_type=t, count=matrix.column_total(t)) for t in matrix.order_types
        ],
        total=matrix.total,
    )
