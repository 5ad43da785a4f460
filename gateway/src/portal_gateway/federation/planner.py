"""Query planning: which subgraph fetches answer an operation, and in which order.

A plan is a list of stages (one for a query; one per root field for a mutation, run in order).
A stage is a set of fetches with dependencies: root fetches, and entity fetches through
`_entities` that read their representations from the objects earlier fetches returned at a
path. Every representation of one entity fetch goes in one request.

`Query.node(id:)` over a `Node` interface whose implementations each have an owning subgraph
(one that declares the type as implementing `Node`, with a key `id`) is routed by the gateway:
the global id names its type (base64 "Type:local"), and the owner's `_entities` answers it (null
for an unknown id). Fields the planner adds for keys and `@requires` never take a response key
the client uses for another field: they go under an internal alias.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)

from portal_gateway.federation.operation import TYPENAME, Field
from portal_gateway.federation.supergraph import Key, Supergraph

NODE_GRAPH = ""  # the "subgraph" of a `node(id:)` the gateway routes itself


class PlanningError(Exception):
    """The operation cannot be answered from the subgraphs (a supergraph the planner misreads)."""


@dataclass
class Out:
    """A subgraph selection set being built: fields by response key, then inline fragments."""

    fields: dict[str, tuple[str, Out | None]] = field(default_factory=dict)
    fragments: dict[str, Out] = field(default_factory=dict)
    # response key -> the head of the client's field with that key, at this object: fields the
    # planner adds (keys, @requires) take another response key than any of these
    reserved: dict[str, str] = field(default_factory=dict)

    def reserve(self, keys: dict[str, str]) -> None:
        for key, head in keys.items():
            self.reserved.setdefault(key, head)

    def internal_key(self, name: str) -> str:
        """The response key under which the planner selects field `name` for itself."""
        existing = self.fields.get(name)
        reserved = self.reserved.get(name)
        if (existing is None or existing[0] == name) and (reserved is None or reserved == name):
            return name
        return f"__key_{name}"

    def add(self, key: str, head: str, with_selection: bool) -> Out | None:
        existing = self.fields.get(key)
        if existing is not None:
            if existing[0] != head:
                raise PlanningError(
                    f"the response key {key!r} is also needed for a key or @requires field: "
                    "choose another alias"
                )
            return existing[1]
        sub = Out() if with_selection else None
        self.fields[key] = (head, sub)
        return sub

    def fragment(self, type_name: str) -> Out:
        return self.fragments.setdefault(type_name, Out())

    def add_set(self, selection_set: SelectionSetNode) -> SelectionSetNode:
        """Add key fields; one whose name the client uses as an alias of another field goes
        under an internal alias. Returns the selection to read them back with."""
        selections = []
        for selection in selection_set.selections:
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            key = self.internal_key(name)
            head = name if key == name else f"{key}: {name}"
            sub = self.add(key, head, bool(selection.selection_set))
            nested = selection.selection_set
            if sub is not None and nested is not None:
                nested = sub.add_set(nested)
            selections.append(
                FieldNode(
                    alias=NameNode(value=key) if key != name else None,
                    name=selection.name,
                    selection_set=nested,
                    arguments=(),
                    directives=(),
                )
            )
        return SelectionSetNode(selections=tuple(selections))

    def print(self) -> str:
        parts = []
        for head, sub in self.fields.values():
            parts.append(f"{head} {sub.print()}" if sub is not None else head)
        for type_name, fragment in self.fragments.items():
            parts.append(f"... on {type_name} {fragment.print()}")
        return "{ " + " ".join(parts) + " }"


@dataclass
class Fetch:
    id: int
    graph: str
    path: tuple[str, ...] | None  # None: a root fetch; else where its entities are
    out: Out = field(default_factory=Out)
    depends: list[Fetch] = field(default_factory=list)
    # object type -> the fields that make its representation (key, then @requires)
    representations: dict[str, list[SelectionSetNode]] = field(default_factory=dict)
    # object type -> the interface its representation names (`@interfaceObject` subgraphs)
    typename_as: dict[str, str] = field(default_factory=dict)
    root_keys: list[str] = field(default_factory=list)  # root fields it answers
    # response keys of the fields it adds to each entity, for errors when it fails
    entity_keys: list[str] = field(default_factory=list)
    operation_kind: str = "query"
    document: str = ""
    variables: tuple[str, ...] = ()
    # A `node(id:)` answered by the gateway: (response key, the `id` argument, the types it
    # routes). The executor decodes the global id into a representation; entity fetches of the
    # subgraphs owning each type depend on it.
    node: tuple[str, ValueNode, frozenset[str]] | None = None

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
    kind: str
    stages: list[list[Fetch]]
    root_type: GraphQLObjectType
    fields: list[Field]

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "stages": [[f.describe() for f in s] for s in self.stages]}


class _VariableNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if node.name.value not in self.names:
            self.names.append(node.name.value)


def _head(f: Field) -> str:
    head = f.name if f.key == f.name else f"{f.key}: {f.name}"
    if f.arguments:
        head += "(" + ", ".join(print_ast(a) for a in f.arguments) + ")"
    return head


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema

    def plan(
        self, operation: OperationDefinitionNode, root: GraphQLObjectType, fields: list[Field]
    ) -> Plan:
        builder = _Builder(self.supergraph)
        kind = operation.operation.value
        stages: list[list[Fetch]] = []
        if kind == "mutation":
            for f in fields:
                if f.name == TYPENAME or f.denied:
                    continue
                builder.fetches = []
                builder.root_fetch_for(root.name, f, {}, kind)
                stages.append(builder.fetches)
        else:
            builder.fetches = []
            by_graph: dict[str, Fetch] = {}
            for f in fields:
                if f.name == TYPENAME or f.denied:
                    continue
                owners = builder.node_owners(root.name, f)
                if owners is not None:
                    builder.node_fetch(f, owners, kind)
                    continue
                builder.root_fetch_for(root.name, f, by_graph, kind)
            stages.append(builder.fetches)
        definitions = {v.variable.name.value: v for v in operation.variable_definitions or ()}
        for stage in stages:
            for fetch in stage:
                _finish(fetch, definitions)
        return Plan(kind, [s for s in stages if s], root, fields)


def _finish(fetch: Fetch, definitions: dict[str, Any]) -> None:
    if fetch.node is not None:
        fetch.document = f"# {fetch.node[0]}: routed by the type its global id names"
        used = [fetch.node[1].name.value] if isinstance(fetch.node[1], VariableNode) else []
        fetch.variables = tuple(used)
        return
    body = fetch.out.print()
    if fetch.path is not None:
        body = "{ _entities(representations: $representations) " + body + " }"
    names = _VariableNames()
    from graphql import parse

    visit(parse(body, no_location=True), names)
    used = [n for n in names.names if n != "representations"]
    declared = [print_ast(definitions[n]) for n in used if n in definitions]
    if fetch.path is not None:
        declared.insert(0, "$representations: [_Any!]!")
    signature = f"({', '.join(declared)})" if declared else ""
    fetch.variables = tuple(used)
    fetch.document = f"{fetch.operation_kind}{signature} {body}"


class _Builder:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema
        self.fetches: list[Fetch] = []
        self._ids = 0
        # (parent fetch id, path, graph) -> entity fetch
        self._entity_fetches: dict[tuple[int, tuple[str, ...], str], Fetch] = {}

    def new_fetch(self, graph: str, path: tuple[str, ...] | None, kind: str = "query") -> Fetch:
        self._ids += 1
        fetch = Fetch(self._ids, graph, path, operation_kind=kind)
        self.fetches.append(fetch)
        return fetch

    def root_fetch_for(self, root: str, f: Field, by_graph: dict[str, Fetch], kind: str) -> None:
        info = self.supergraph.types[root]
        graphs = [j.graph for j in info.resolvers(f.name)]
        if not graphs:
            raise PlanningError(f"no subgraph resolves {root}.{f.name}")
        graph = next((g for g in graphs if g in by_graph), graphs[0])
        fetch = by_graph.get(graph)
        if fetch is None:
            fetch = self.new_fetch(graph, None, kind)
            by_graph[graph] = fetch
        fetch.root_keys.append(f.key)
        self.plan_fields(graph, root, [f], fetch.out, (), fetch, frozenset())

    # -- `node(id:)`: routed by the gateway to the subgraph owning the id's type ---------

    def node_owners(self, root: str, f: Field) -> dict[str, Key] | None:
        """For `Query.node(id: ID!): Node`, the subgraph key that resolves each implementation
        of `Node` from its global id (a subgraph that declares the type as implementing `Node`
        with a resolvable key `id`); None when some implementation has no such owner, and the
        field is then fetched from a subgraph like any root field."""
        named = f.named_type
        if (
            root != "Query"
            or f.name != "node"
            or named.name != "Node"
            or not isinstance(named, GraphQLInterfaceType)
            or [a.name.value for a in f.arguments] != ["id"]
            or f.children is None
        ):
            return None
        owners: dict[str, Key] = {}
        for type_name in f.children:
            info = self.supergraph.types.get(type_name)
            if info is None:
                return None
            key = next(
                (
                    k
                    for k in info.keys
                    if k.resolvable
                    and k.top_fields == ("id",)
                    and k.selection.selections[0].selection_set is None  # type: ignore[attr-defined]
                    and "Node" in info.implements.get(k.graph, set())
                ),
                None,
            )
            if key is None:
                return None
            owners[type_name] = key
        return owners

    def node_fetch(self, f: Field, owners: dict[str, Key], kind: str) -> None:
        assert f.children is not None
        fetch = self.new_fetch(NODE_GRAPH, None, kind)
        fetch.node = (f.key, f.arguments[0].value, frozenset(owners))
        path = (f.key,)
        for type_name, key in owners.items():
            out = fetch.out.fragment(type_name)
            self.plan_fields(
                NODE_GRAPH, type_name, f.children[type_name], out, path, fetch, frozenset()
            )
            # Whatever was selected, the owner says whether the id exists: an unknown id
            # answers null.
            owner = self._entity_fetches.get((fetch.id, path, key.graph))
            if owner is None:
                owner = self.new_fetch(key.graph, path)
                owner.depends.append(fetch)
                self._entity_fetches[(fetch.id, path, key.graph)] = owner
            owner.representations.setdefault(type_name, [out.add_set(key.selection)])
            owner.out.fragment(type_name).add(TYPENAME, TYPENAME, False)

    # -- fields of one object type, resolved from `graph` into `out` ---------------------

    def resolvable(self, graph: str, type_name: str, name: str, provided: frozenset[str]) -> bool:
        if graph == NODE_GRAPH:
            return name == "id"  # all the gateway knows of a node: its id (and its type)
        info = self.supergraph.types[type_name]
        for join in info.fields.get(name, ()):
            if join.graph != graph:
                continue
            if join.external:
                # Provided by the parent field, or a key field of this subgraph's entity (Fed-1
                # `extend type` keys are @external, yet the subgraph returns them).
                return name in provided or any(
                    k.graph == graph and name in k.top_fields for k in info.keys
                )
            return not join.overridden and join.requires is None
        return False

    def plan_fields(
        self,
        graph: str,
        type_name: str,
        fields: list[Field],
        out: Out,
        path: tuple[str, ...],
        fetch: Fetch,
        provided: frozenset[str],
    ) -> None:
        out.reserve({f.key: _head(f) for f in fields if not f.denied})
        for f in fields:
            if f.denied:
                continue
            if f.name == TYPENAME:
                out.add(TYPENAME, TYPENAME, False)
                if f.key != TYPENAME:
                    out.add(f.key, f"{f.key}: {TYPENAME}", False)
                continue
            if self.resolvable(graph, type_name, f.name, provided):
                self.plan_here(graph, type_name, f, out, path, fetch)
            else:
                self.plan_elsewhere(graph, type_name, f, out, path, fetch, provided)

    def plan_here(
        self, graph: str, type_name: str, f: Field, out: Out, path: tuple[str, ...], fetch: Fetch
    ) -> None:
        sub = out.add(f.key, _head(f), f.children is not None)
        if sub is None or f.children is None:
            return
        join = next(j for j in self.supergraph.types[type_name].fields[f.name] if j.graph == graph)
        provided = frozenset(
            s.name.value  # type: ignore[attr-defined]
            for s in (join.provides.selections if join.provides is not None else ())
        )
        child_path = (*path, f.key)
        named = f.named_type
        if isinstance(named, GraphQLObjectType):
            self.plan_fields(
                graph, named.name, f.children[named.name], sub, child_path, fetch, provided
            )
            return
        sub.add(TYPENAME, TYPENAME, False)
        assert isinstance(named, (GraphQLInterfaceType, GraphQLUnionType))
        if graph in self.supergraph.types[named.name].interface_objects:
            self.plan_interface_object(graph, named.name, f, sub, child_path, fetch)
            return
        for object_type, children in f.children.items():
            if not children or not self.supergraph.possible_in(object_type, named.name, graph):
                continue
            self.plan_fields(
                graph, object_type, children, sub.fragment(object_type), child_path, fetch, provided
            )

    def plan_elsewhere(
        self,
        graph: str,
        type_name: str,
        f: Field,
        out: Out,
        path: tuple[str, ...],
        fetch: Fetch,
        provided: frozenset[str],
    ) -> None:
        info = self.supergraph.types[type_name]
        candidates = [j for j in info.resolvers(f.name)]
        if not candidates:
            if self.plan_through_interface_object(graph, type_name, f, out, path, fetch, provided):
                return
            raise PlanningError(f"no subgraph resolves {type_name}.{f.name}")
        # Prefer a subgraph already being fetched for this path (@shareable fields).
        candidates.sort(key=lambda j: (fetch.id, path, j.graph) not in self._entity_fetches)
        for join in candidates:
            key = self.usable_key(type_name, graph, join.graph, provided)
            if key is None:
                continue
            child = self._entity_fetches.get((fetch.id, path, join.graph))
            if child is None:
                child = self.new_fetch(join.graph, path)
                child.depends.append(fetch)
                self._entity_fetches[(fetch.id, path, join.graph)] = child
            out.add(TYPENAME, TYPENAME, False)
            key_selection = out.add_set(key.selection)
            representation = child.representations.setdefault(type_name, [key_selection])
            if join.requires is not None:
                before = len(self.fetches)
                required, read_back = self.required_fields(type_name, join.requires, out)
                self.plan_fields(graph, type_name, required, out, path, fetch, provided)
                representation.append(read_back)
                for extra in self.fetches[before:]:
                    if extra is not child and extra not in child.depends:
                        child.depends.append(extra)
            if f.key not in child.entity_keys:
                child.entity_keys.append(f.key)
            self.plan_here(join.graph, type_name, f, child.out.fragment(type_name), path, child)
            return
        raise PlanningError(
            f"{type_name}.{f.name}: no key of {type_name} joins subgraph {graph} to "
            f"{', '.join(j.graph for j in candidates)}"
        )

    def plan_through_interface_object(
        self,
        graph: str,
        type_name: str,
        f: Field,
        out: Out,
        path: tuple[str, ...],
        fetch: Fetch,
        provided: frozenset[str],
    ) -> bool:
        """A field an `@interfaceObject` subgraph adds to every implementation of an
        interface: fetched from it with the interface's name in the representation."""
        info = self.supergraph.types[type_name]
        interfaces = set().union(*info.implements.values()) if info.implements else set()
        for interface in sorted(interfaces):
            interface_info = self.supergraph.types[interface]
            for join in interface_info.resolvers(f.name):
                if join.graph not in interface_info.interface_objects:
                    continue
                for key in interface_info.keys_in(join.graph):
                    if not all(
                        self.resolvable(graph, type_name, name, provided)
                        or self._external_key_field(graph, type_name, name)
                        for name in key.top_fields
                    ):
                        continue
                    child = self._entity_fetches.get((fetch.id, path, join.graph))
                    if child is None:
                        child = self.new_fetch(join.graph, path)
                        child.depends.append(fetch)
                        self._entity_fetches[(fetch.id, path, join.graph)] = child
                    out.add(TYPENAME, TYPENAME, False)
                    key_selection = out.add_set(key.selection)
                    child.representations.setdefault(type_name, [key_selection])
                    child.typename_as[type_name] = interface
                    if f.key not in child.entity_keys:
                        child.entity_keys.append(f.key)
                    self.plan_here(
                        join.graph, interface, f, child.out.fragment(interface), path, child
                    )
                    return True
        return False

    def plan_interface_object(
        self, graph: str, interface: str, f: Field, sub: Out, path: tuple[str, ...], fetch: Fetch
    ) -> None:
        """`graph` returns the interface as an object and cannot tell its type: a subgraph
        that knows the interface with its implementations resolves the type and their fields."""
        info = self.supergraph.types[interface]
        assert f.children is not None
        for key in info.keys_in(graph):
            for target in info.graphs:
                if target in info.interface_objects or not info.keys_in(target):
                    continue
                target_key = info.keys_in(target)[0]
                sub.add_set(key.selection)
                child = self.new_fetch(target, path)
                child.depends.append(fetch)
                child.representations[interface] = [sub.add_set(target_key.selection)]
                child.entity_keys.extend(c.key for c in next(iter(f.children.values()), []))
                frame = child.out.fragment(interface)
                frame.add(TYPENAME, TYPENAME, False)
                for object_type, children in f.children.items():
                    if children and self.supergraph.possible_in(object_type, interface, target):
                        self.plan_fields(
                            target,
                            object_type,
                            children,
                            frame.fragment(object_type),
                            path,
                            child,
                            frozenset(),
                        )
                return
        raise PlanningError(f"{interface}: no subgraph resolves the type of its objects")

    def usable_key(
        self, type_name: str, source: str, target: str, provided: frozenset[str]
    ) -> Key | None:
        for key in self.supergraph.types[type_name].keys_in(target):
            if all(
                self.resolvable(source, type_name, name, provided)
                or self._external_key_field(source, type_name, name)
                for name in key.top_fields
            ):
                return key
        return None

    def _external_key_field(self, graph: str, type_name: str, name: str) -> bool:
        """Key fields of an entity stub (`@key(resolvable: false)` or Fed-1 `@external`)."""
        info = self.supergraph.types[type_name]
        return any(j.graph == graph for j in info.fields.get(name, ())) and any(
            k.graph == graph and name in k.top_fields for k in info.keys
        )

    def required_fields(
        self, type_name: str, requires: SelectionSetNode, out: Out
    ) -> tuple[list[Field], SelectionSetNode]:
        """`@requires` fields as fields the planner fetches (no client sees them), each under
        a response key no client field uses; and the selection to read them back with."""
        parent = self.schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType)
        fields = []
        read_back = []
        for selection in requires.selections:
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            definition = parent.fields.get(name)
            if definition is None:
                raise PlanningError(f"{type_name}.{name}: @requires field not in the API schema")
            key = out.internal_key(name)
            fields.append(Field(key, name, (), definition.type, type_name))
            read_back.append(
                FieldNode(
                    alias=NameNode(value=key) if key != name else None,
                    name=selection.name,
                    selection_set=selection.selection_set,
                    arguments=(),
                    directives=(),
                )
            )
            if selection.selection_set is not None:
                from portal_gateway.federation.operation import Normalizer

                normalizer = Normalizer(self.schema, {}, {}, lambda *_: None)
                fields[-1].children = normalizer.fields(
                    fields[-1].named_type, [selection.selection_set]
                )
        return fields, SelectionSetNode(selections=tuple(read_back))
