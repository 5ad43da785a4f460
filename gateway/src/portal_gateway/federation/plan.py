"""The query plan as data: what the planner builds and the executor runs.

A plan is a list of stages (one for a query; one per root field for a mutation, run in order).
A stage is a set of fetches with dependencies: root fetches, and entity fetches through
`_entities` that read their representations from the objects earlier fetches returned at a
path. Every representation of one entity fetch goes in one request.

Each fetch holds the subgraph selection being built for it (`SubgraphSelection`); the printer
(`printer.py`) turns it into the fetch's document once planning is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    NameNode,
    SelectionSetNode,
)

from portal_gateway.federation.operation import Field


class PlanningError(Exception):
    """The operation cannot be answered from the subgraphs (a supergraph the planner misreads)."""


@dataclass
class SubgraphSelection:
    """A subgraph selection set being built: fields by response key, then inline fragments."""

    # response key -> (the field as printed up to its selection: alias, name, arguments;
    # its selection set, for a field of a composite type)
    fields: dict[str, tuple[str, SubgraphSelection | None]] = field(default_factory=dict)
    fragments: dict[str, SubgraphSelection] = field(default_factory=dict)
    # response key -> the head of the client's field with that key, at this object: fields the
    # planner adds (keys, @requires) take another response key than any of these
    reserved: dict[str, str] = field(default_factory=dict)
    # response key -> the field's type in the subgraph's schema (to find fields that clash)
    types: dict[str, str] = field(default_factory=dict)

    def reserve(self, keys: dict[str, str]) -> None:
        for key, head in keys.items():
            self.reserved.setdefault(key, head)

    def internal_key(self, name: str, arguments: str = "") -> str:
        """The response key under which the planner selects field `name` (with `arguments`,
        as printed) for itself: its name unless a client field or another planner field with
        other arguments takes it, else an internal alias."""
        number = 0
        while True:
            key = name if number == 0 else f"__key_{name}" + (f"_{number}" if number > 1 else "")
            head = head_of(key, name, arguments)
            existing = self.fields.get(key)
            reserved = self.reserved.get(key)
            if (existing is None or existing[0] == head) and (reserved is None or reserved == head):
                return key
            number += 1

    def add(self, key: str, head: str, with_selection: bool) -> SubgraphSelection | None:
        existing = self.fields.get(key)
        if existing is not None:
            if existing[0] != head:
                raise PlanningError(
                    f"the response key {key!r} is also needed for a key or @requires field: "
                    "choose another alias"
                )
            return existing[1]
        sub = SubgraphSelection() if with_selection else None
        self.fields[key] = (head, sub)
        return sub

    def fragment(self, type_name: str) -> SubgraphSelection:
        return self.fragments.setdefault(type_name, SubgraphSelection())

    def add_set(self, selection_set: SelectionSetNode) -> SelectionSetNode:
        """Add key fields; one whose name the client uses as an alias of another field goes
        under an internal alias. Returns the selection to read them back with."""
        selections = []
        for selection in selection_set.selections:
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            key = self.internal_key(name)
            sub = self.add(key, head_of(key, name), bool(selection.selection_set))
            nested = selection.selection_set
            if sub is not None and nested is not None:
                nested = sub.add_set(nested)
            selections.append(read_back_field(key, selection, nested))
        return SelectionSetNode(selections=tuple(selections))


def head_of(key: str, name: str, arguments: str = "") -> str:
    """A field as printed up to its selection set: alias (when not its name), name, arguments."""
    return (name if key == name else f"{key}: {name}") + arguments


def read_back_field(
    key: str, selection: FieldNode, selection_set: SelectionSetNode | None
) -> FieldNode:
    """Field `selection` as it is read back from a subgraph's answer: under response key `key`."""
    name = selection.name.value
    return FieldNode(
        alias=NameNode(value=key) if key != name else None,
        name=selection.name,
        selection_set=selection_set,
        arguments=(),
        directives=(),
    )


@dataclass(eq=False)  # compared and hashed as itself
class Fetch:
    """One request to one subgraph: a root fetch, or an `_entities` fetch for the objects the
    fetches it depends on returned at `path`."""

    id: int
    graph: str
    path: tuple[str, ...] | None  # None: a root fetch; else where its entities are
    out: SubgraphSelection = field(default_factory=SubgraphSelection)
    depends: list[Fetch] = field(default_factory=list)
    # object type -> the fields that make its representation (key, then @requires)
    representations: dict[str, list[SelectionSetNode]] = field(default_factory=dict)
    # object type -> the interface its representation names (`@interfaceObject` subgraphs)
    typename_as: dict[str, str] = field(default_factory=dict)
    root_keys: list[str] = field(default_factory=list)  # root fields it answers
    # response keys of the fields it adds to each entity, for errors when it fails
    entity_keys: list[str] = field(default_factory=list)
    operation_kind: str = "query"
    # (path inside its answer, object type, alias, response key): a field sent under an alias
    # (its type clashes with a sibling's in the subgraph) renamed back when its data arrives
    renames: list[tuple[tuple[str, ...], str, str, str]] = field(default_factory=list)
    document: str = ""
    variables: tuple[str, ...] = ()

    def add_entity_key(self, key: str) -> None:
        if key not in self.entity_keys:
            self.entity_keys.append(key)

    @cached_property
    def plain_representations(self) -> dict[str, list[tuple[tuple[str, str], ...] | None]]:
        """Per type, for each selection of `representations`: the (field name, response key)
        of its fields when they are all fields without selections (the usual key), else None.
        Read on the executed plan, so after planning has filled `representations`."""
        return {
            type_name: [_plain(selection) for selection in selections]
            for type_name, selections in self.representations.items()
        }

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subgraph": self.graph,
            "path": list(self.path) if self.path is not None else None,
            "dependsOn": [d.id for d in self.depends],
            "document": self.document,
        }


def _plain(selection: SelectionSetNode) -> tuple[tuple[str, str], ...] | None:
    pairs = []
    for node in selection.selections:
        if not isinstance(node, FieldNode) or node.selection_set is not None:
            return None
        name = node.name.value
        pairs.append((name, node.alias.value if node.alias else name))
    return tuple(pairs)


@dataclass
class Plan:
    """What answers one operation: its stages of fetches, and the client's fields to shape the
    answer by."""

    kind: str
    stages: list[list[Fetch]]
    root_type: GraphQLObjectType
    fields: list[Field]

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "stages": [[f.describe() for f in s] for s in self.stages]}
