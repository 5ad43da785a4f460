"""GraphQL types of the dashboard, bundles and the tenant's order configuration."""

from __future__ import annotations

import strawberry

from portal_orders.domain.order import graphql_field
from portal_orders.domain.workflow import TenantConfiguration, label_in
from portal_orders.entrypoints.types import Order
from portal_orders.service_layer.queries import Matrix


@strawberry.type(name="OrderDashboardCell")
class DashboardCell:
    order_type: str
    count: int


@strawberry.type(name="OrderDashboardRow")
class DashboardRow:
    status: str
    label: str
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


@strawberry.type
class OrderBundle:
    number: str
    orders: list[Order]


@strawberry.type(name="OrderLabel")
class Label:
    code: str
    label: str


@strawberry.type(name="OrderStatusDefinition")
class StatusDefinition:
    code: str
    label: str
    category: str
    terminal: bool


@strawberry.type(name="OrderTransitionDefinition")
class TransitionDefinition:
    source: str
    target: str
    actors: list[str]
    required_fields: list[str]
    comment_required: bool


@strawberry.type(name="OrderNoteEventDefinition")
class NoteEventDefinition:
    code: str
    label: str
    visibility: str
    phrases: list[Label]


@strawberry.type
class OrderTypeDefinition:
    code: str
    label: str
    workflow: str
    statuses: list[StatusDefinition]
    transitions: list[TransitionDefinition]
    note_events: list[NoteEventDefinition]


@strawberry.type
class OrderConfiguration:
    version: int
    order_types: list[OrderTypeDefinition]
    priorities: list[Label]


def dashboard_of(matrix: Matrix, configuration: TenantConfiguration, locale: str) -> Dashboard:
    labels = {s.code: s.label(locale) for s in configuration.statuses()}
    return Dashboard(
        order_types=list(matrix.order_types),
        order_type_labels=[
            t.label(locale) for t in configuration.order_types if t.code in matrix.order_types
        ],
        rows=[
            DashboardRow(
                status=status,
                label=labels.get(status, status),
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


def configuration_of(configuration: TenantConfiguration, locale: str) -> OrderConfiguration:
    types = []
    for order_type in configuration.order_types:
        workflow = order_type.workflow
        types.append(
            OrderTypeDefinition(
                code=order_type.code,
                label=order_type.label(locale),
                workflow=workflow.code,
                statuses=[
                    StatusDefinition(
                        code=s.code,
                        label=s.label(locale),
                        category=s.category.value,
                        terminal=s.terminal,
                    )
                    for s in workflow.statuses
                ],
                transitions=[
                    TransitionDefinition(
                        source=t.source,
                        target=t.target,
                        actors=sorted(a.value for a in t.actors),
                        required_fields=[graphql_field(f) for f in t.required_fields],
                        comment_required=t.comment_required,
                    )
                    for t in workflow.transitions
                ],
                note_events=[
                    NoteEventDefinition(
                        code=e.code,
                        label=e.label(locale),
                        visibility=e.visibility.value,
                        phrases=[
                            Label(code=p.code, label=label_in(p.labels, locale, p.code))
                            for p in e.phrases
                        ],
                    )
                    for e in workflow.note_events
                ],
            )
        )
    return OrderConfiguration(
        version=configuration.version,
        order_types=types,
        priorities=[
            Label(code=p.code, label=label_in(p.labels, locale, p.code))
            for p in configuration.priorities
        ],
    )
