"""GraphQL types of the tenant's order configuration: order types, workflows, statuses,
transitions (with their conditional requirements), note events with phrases, priorities and the
close-out codes of the tenant's pickers, each label in the caller's locale."""

from __future__ import annotations

import strawberry
from portal_kit.documents import label_in

from portal_orders.domain.fields import client_field
from portal_orders.domain.workflow import TenantConfiguration


@strawberry.type(name="OrderLabel")
class Label:
    code: str
    label: str


@strawberry.type(name="OrderStatusDefinition")
class StatusDefinition:
    code: str
    label: str
    list_label: str = strawberry.field(
        description="The heading of a list of orders in this status (plural: Beställda)."
    )
    category: str
    terminal: bool


@strawberry.type(
    name="OrderConditionalRequirement",
    description="Fields a transition requires of an order for which a fact holds.",
)
class ConditionalRequirement:
    when: str = strawberry.field(
        description="The yes/no fact of the order, e.g. `avser.appliance` (the work order "
        "concerns an appliance)."
    )
    fields: list[str]


@strawberry.type(name="OrderTransitionDefinition")
class TransitionDefinition:
    source: str
    target: str
    actors: list[str]
    required_fields: list[str] = strawberry.field(
        description="Fields always required; an order's `availableTransitions` lists those "
        "its conditions add as well."
    )
    required_when: list[ConditionalRequirement]
    comment_required: bool


@strawberry.type(
    name="OrderCloseOutField",
    description="A close-out field the tenant offers a picker for (JM's Feiltype, Rotårsak).",
)
class CloseOutField:
    field: str = strawberry.field(description="The order's field, e.g. `faultType`.")
    codes: list[Label] = strawberry.field(description="The codes to choose from, in order.")
    free_text: bool = strawberry.field(
        description="Whether text other than the codes is accepted (only where the tenant says so)."
    )


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
    close_out_fields: list[CloseOutField] = strawberry.field(
        description="The close-out fields the tenant records, with their codes; a coded field "
        "left out is not recorded by this tenant."
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
                        list_label=s.list_label(locale),
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
                        required_fields=[client_field(f) for f in t.required_fields],
                        required_when=[
                            ConditionalRequirement(
                                when=client_field(c.when),
                                fields=[client_field(f) for f in c.fields],
                            )
                            for c in t.required_when
                        ],
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
        close_out_fields=[
            CloseOutField(
                field=client_field(f.name),
                codes=[Label(code=c.code, label=c.label(locale)) for c in f.codes],
                free_text=f.free_text,
            )
            for f in configuration.close_out.values()
        ],
    )
