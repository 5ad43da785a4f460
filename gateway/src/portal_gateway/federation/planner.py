"""Query planning: which subgraph fetches answer an operation, and in which order.

The planner walks the client's normalized fields (`operation.py`) over the supergraph
(`supergraph.py`) and builds a `Plan` (`plan.py`): a field a subgraph can resolve where its
parent was fetched goes in that fetch; any other goes in an entity fetch of a subgraph that
resolves it, joined by a key of the parent type (with its `@requires` fields fetched first).
The printer (`printer.py`) then writes each fetch's document.

`Query.node(id:)` is a root field of an interface type like any other: asked of the subgraph(s)
that resolve it, which answer with the object's `__typename`; the fields of whichever type comes
back are planned by type condition (from other subgraphs by key where that type's fields live).
A shared interface field whose subgraph cannot return some of the types asked for is split by
type: the other types' fragments go to another subgraph resolving the field. Fields the planner
adds for keys and `@requires` never take a response key
the client uses for another field: they go under an internal alias.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from portal_gateway.federation.operation import TYPENAME, Field, Normalizer
from portal_gateway.federation.plan import (
    Fetch,
    Plan,
    PlanningError,
    SubgraphSelection,
    head_of,
    read_back_field,
)
from portal_gateway.federation.printer import arguments_text, field_head, write_document
from portal_gateway.federation.supergraph import Key, Supergraph, TypeInfo

# Fields a `@provides` names on objects: field name -> what it names below that field
Provided = Mapping[str, SelectionSetNode | None]
EMPTY: Provided = MappingProxyType({})
UNREACHABLE = 10_000  # the cost of a field a plan cannot get from where it starts
MAX_KEY_HOPS = 3  # joins made to get the fields of a key the current subgraph cannot give


def _provided_fields(selection: SelectionSetNode, into: dict[str, SelectionSetNode | None]) -> None:
    """The fields a `@provides` field set names at its top level (inline fragments' too)."""
    for node in selection.selections:
        if isinstance(node, FieldNode):
            below = node.selection_set
            known = into.get(node.name.value)
            if known is not None and below is not None:
                below = SelectionSetNode(selections=(*known.selections, *below.selections))
            into[node.name.value] = below or known
        elif isinstance(node, InlineFragmentNode):
            _provided_fields(node.selection_set, into)


class Planner:
    """Plans operations over one supergraph; each plan is built by a fresh `_Builder`."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph

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
            builder.roots = by_graph
            for f in fields:
                if f.name == TYPENAME or f.denied:
                    continue
                builder.root_fetch_for(root.name, f, by_graph, kind)
            stages.append(builder.fetches)
        definitions = {v.variable.name.value: v for v in operation.variable_definitions or ()}
        for stage in stages:
            for fetch in stage:
                write_document(fetch, definitions)
        return Plan(kind, [s for s in stages if s], root, fields)


@dataclass(frozen=True)
class _Objects:
    """Objects being planned: those of type `type_name` that `fetch` returns at `path`, the
    selection `out` they get in its document, and the fields their parent field `@provides`."""

    fetch: Fetch
    path: tuple[str, ...]
    type_name: str
    out: SubgraphSelection
    provided: Provided = dataclasses.field(default_factory=dict)
    # The selection whose fragment `out` is, when the objects are one type of an abstract one
    siblings: SubgraphSelection | None = None

    @property
    def graph(self) -> str:
        """The subgraph that returns them."""
        return self.fetch.graph

    @classmethod
    def entities(cls, fetch: Fetch, path: tuple[str, ...], type_name: str) -> _Objects:
        """The `type_name` objects an entity fetch returns for those at `path`."""
        return cls(fetch, path, type_name, fetch.out.fragment(type_name))


class _Builder:
    """One plan being built: the fetches of the current stage, numbered, and the entity fetches
    by (parent fetch, path, subgraph) so that each is made once."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema
        self.fetches: list[Fetch] = []
        self._ids = 0
        # (parent fetch id, path, graph) -> the entity fetches made for them
        self._entity_fetches: dict[tuple[int, tuple[str, ...], str], list[Fetch]] = {}
        # While `@requires` fields are planned: the fetches their fields went into
        self._producers: set[Fetch] | None = None
        # The root fetches of a query by subgraph (None for a mutation: a root field there
        # runs once, never split between subgraphs)
        self.roots: dict[str, Fetch] | None = None
        # Multi-hop keys being made: (fetch id, path, type, target subgraph)
        self._hopping: set[tuple[int, tuple[str, ...], str, str]] = set()

    def new_fetch(self, graph: str, path: tuple[str, ...] | None, kind: str = "query") -> Fetch:
        self._ids += 1
        fetch = Fetch(self._ids, graph, path, operation_kind=kind)
        self.fetches.append(fetch)
        return fetch

    def entity_fetch(
        self,
        parent: Fetch,
        path: tuple[str, ...],
        graph: str,
        after: frozenset[Fetch] = frozenset(),
    ) -> Fetch:
        """The one constructor of `_entities` fetches: the fetch of `graph` for the objects
        `parent` returns at `path`, shared by every field planned there (so that all their
        representations go in one request), and made to wait for the fetches `after` (which
        produce its `@requires` fields). A fetch those depend on cannot wait for them: another
        fetch of the same subgraph is made instead, never a cycle."""
        made = self._entity_fetches.setdefault((parent.id, path, graph), [])
        before = _upstream(after)
        fetch = next((f for f in made if f not in before), None)
        if fetch is None:
            fetch = self.new_fetch(graph, path)
            fetch.depends.append(parent)
            made.append(fetch)
        for producer in after:
            if producer is not fetch and producer not in fetch.depends:
                fetch.depends.append(producer)
        return fetch

    def root_fetch_for(self, root: str, f: Field, by_graph: dict[str, Fetch], kind: str) -> None:
        """Root field `f` from the subgraph that reaches most of its selection (a shared root
        field: `@shareable` in several), preferring one already asked."""
        info = self.supergraph.types[root]
        graphs = [j.graph for j in info.resolvers(f.name)]
        if not graphs:
            raise PlanningError(f"no subgraph resolves {root}.{f.name}")
        graph = min(
            graphs,
            key=lambda g: (self.unreachable(g, root, f), g not in by_graph, graphs.index(g)),
        )
        self.root_fetch_in(graph, root, f, by_graph, kind)

    def root_fetch_in(
        self, graph: str, root: str, f: Field, by_graph: dict[str, Fetch], kind: str
    ) -> None:
        fetch = by_graph.get(graph)
        if fetch is None:
            fetch = self.new_fetch(graph, None, kind)
            by_graph[graph] = fetch
        if f.key not in fetch.root_keys:
            fetch.root_keys.append(f.key)
        self.plan_fields(_Objects(fetch, (), root, fetch.out), [f])

    # -- what a subgraph can reach from objects it returns ---------------------------------

    def unreachable(self, graph: str, type_name: str, f: Field, provided: Provided = EMPTY) -> int:
        """What getting field `f` (itself and below) costs a plan starting at the `type_name`
        objects of `graph`: `UNREACHABLE` for each field neither resolvable there nor joined
        from there by a key, 1 for each joined by a key (another fetch)."""
        if f.name == TYPENAME or f.denied:
            return 0
        if not self.resolvable_in(graph, type_name, f.name, provided):
            return 1 if self.can_hop(graph, type_name, f.name) else UNREACHABLE
        return self.unreachable_below(graph, type_name, f, provided)

    def unreachable_below(
        self, graph: str, type_name: str, f: Field, outer: Provided = EMPTY
    ) -> int:
        if not f.children:
            return 0
        provided, possible = self.below(graph, type_name, f, outer)
        return sum(
            self.unreachable(graph, object_type, child, provided)
            for object_type, children in f.children.items()
            if object_type in possible
            for child in children
        )

    def below(
        self, graph: str, type_name: str, f: Field, outer: Provided = EMPTY
    ) -> tuple[Provided, set[str]]:
        """Of field `f` of `type_name` in `graph`: what is provided on its value (its own
        `@provides` there, and the part below it of a `@provides` on its parent, `outer`), and
        the object types its value can be there."""
        join = next(
            (
                j
                for j in self.supergraph.types[type_name].fields.get(f.name, ())
                if j.graph == graph
            ),
            None,
        )
        provided: dict[str, SelectionSetNode | None] = {}
        if join is not None and join.provides is not None:
            _provided_fields(join.provides, provided)
        nested = outer.get(f.name)
        if nested is not None:
            _provided_fields(nested, provided)
        named = f.named_type
        here = self.type_in(graph, type_name, f.name)
        named_here = get_named_type(here) if here is not None else named
        if isinstance(named, GraphQLObjectType):
            return provided, {named.name}
        return provided, self.possible_here(graph, named.name, named_here)

    def can_hop(self, graph: str, type_name: str, name: str, hops: int = MAX_KEY_HOPS) -> bool:
        """Whether some subgraph resolving field `name` of `type_name` joins by a key that
        the `type_name` objects of `graph` can give, or whose missing fields are themselves
        joined from there (up to `hops` joins deep)."""
        info = self.supergraph.types.get(type_name)
        if info is None:
            return False
        for join in info.resolvers(name):
            for key in info.keys_in(join.graph):
                if all(
                    self.resolvable_in(graph, type_name, n)
                    or self.stub_key(graph, info, n)
                    or (hops > 1 and self.can_hop(graph, type_name, n, hops - 1))
                    for n in key.top_fields
                ):
                    return True
        interfaces = set().union(*info.implements.values()) if info.implements else set()
        for interface in interfaces:
            interface_info = self.supergraph.types[interface]
            if any(
                j.graph in interface_info.interface_objects for j in interface_info.resolvers(name)
            ):
                return True
        return False

    def split(self, at: _Objects, f: Field) -> tuple[Field | None, Field] | None:
        """Of field `f`, resolvable where `at` is, the part its subgraph cannot reach (fields
        below it neither resolvable there nor joined by a key: of value types), to be asked of
        another subgraph that resolves `f`: (`f` with the rest, or None when nothing is left;
        `f` with that part). None when all is reachable. The client's field is not changed."""
        if not f.children:
            return None
        provided, possible = self.below(at.graph, at.type_name, f, at.provided)
        kept: dict[str, list[Field]] = {}
        moved: dict[str, list[Field]] = {}
        others = [
            j.graph
            for j in self.supergraph.types[at.type_name].resolvers(f.name)
            if j.graph != at.graph
        ]
        # A shared root field of an abstract type whose subgraphs each return their own types
        # (`node(id:)`, each subgraph answering for its objects) is split by type: a type this
        # subgraph never returns goes to one that does. Below the root, the subgraph chosen
        # answers alone (shared fields resolve alike: what it cannot return is not there).
        by_type = at.fetch.path is None and not at.path and self.roots is not None
        for object_type, children in f.children.items():
            if object_type not in possible:
                elsewhere = by_type and any(
                    object_type in self.below(g, at.type_name, f)[1] for g in others
                )
                (moved if elsewhere else kept)[object_type] = children
                continue
            if not children:
                kept[object_type] = []  # nothing asked of it, but it is still an object
            for child in children:
                gone = (
                    child.name != TYPENAME
                    and not child.denied
                    and not self.resolvable_in(at.graph, object_type, child.name, provided)
                    and not self.can_hop(at.graph, object_type, child.name)
                )
                (moved if gone else kept).setdefault(object_type, []).append(child)
        if not moved:
            return None
        rest = dataclasses.replace(f, children=moved)
        if not any(self.unreachable(g, at.type_name, rest) < UNREACHABLE for g in others):
            return None  # nowhere better: planned here, and refused with its reason
        if isinstance(f.named_type, GraphQLObjectType):
            # `__typename` alone is answered from the type: the other subgraph's object will do
            left = any(c.name != TYPENAME for children in kept.values() for c in children)
        else:
            left = bool(kept)  # an object of a kept type comes from this subgraph only
        return (dataclasses.replace(f, children=kept) if left else None), rest

    def impossible(self, graph: str, type_name: str, f: Field) -> int:
        """How many of the object types `f` selects fields of its value cannot be in `graph`."""
        if not f.children:
            return 0
        _, possible = self.below(graph, type_name, f)
        return sum(1 for t, children in f.children.items() if children and t not in possible)

    def plan_rest(self, at: _Objects, rest: Field) -> None:
        """The part of a field its subgraph cannot reach (`split`), from another subgraph that
        resolves the field: another root fetch at the root of a query, else an entity fetch of
        the parent joined by its key."""
        others = [
            j.graph
            for j in self.supergraph.types[at.type_name].resolvers(rest.name)
            if j.graph != at.graph
        ]
        roots = self.roots
        if at.fetch.path is None and not at.path and roots is not None:
            graph = min(
                others,
                key=lambda g: (
                    self.impossible(g, at.type_name, rest),
                    self.unreachable(g, at.type_name, rest),
                    g not in roots,
                ),
            )
            self.root_fetch_in(graph, at.type_name, rest, roots, at.fetch.operation_kind)
            return
        self.plan_elsewhere(at, rest, exclude=frozenset({at.graph}))

    # -- fields of objects that one fetch returns at one path ------------------------------

    def resolvable(self, at: _Objects, name: str) -> bool:
        """Whether the subgraph of `at.fetch` returns field `name` of these objects itself."""
        return self.resolvable_in(at.graph, at.type_name, name, at.provided)

    def resolvable_in(
        self, graph: str, type_name: str, name: str, provided: Provided = EMPTY
    ) -> bool:
        """Whether `graph` returns field `name` of its `type_name` objects itself."""
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

    def stub_key(self, graph: str, info: TypeInfo, name: str) -> bool:
        """A key field of an entity stub of `graph` (`@key(resolvable: false)`, Fed-1)."""
        return any(j.graph == graph for j in info.fields.get(name, ())) and any(
            k.graph == graph and name in k.top_fields for k in info.keys
        )

    def plan_fields(self, at: _Objects, fields: list[Field]) -> None:
        at.out.reserve({f.key: field_head(f) for f in fields if not f.denied})
        for f in fields:
            if f.denied:
                continue
            if f.name == TYPENAME:
                at.out.add(TYPENAME, TYPENAME, False)
                if f.key != TYPENAME:
                    at.out.add(f.key, f"{f.key}: {TYPENAME}", False)
                continue
            if self.resolvable(at, f.name):
                self.plan_here(at, f)
            else:
                self.plan_elsewhere(at, f)

    def plan_here(self, at: _Objects, f: Field) -> None:
        """Field `f` from the subgraph of `at.fetch`, and its selection below it, written as
        valid against that subgraph's own schema: a field whose type there differs from the
        same response key's in a sibling fragment goes under an alias (renamed back when its
        data arrives), and the selection below follows the field's type there."""
        if self._producers is not None:
            self._producers.add(at.fetch)
        parts = self.split(at, f)
        if parts is not None:
            kept, rest = parts
            self.plan_rest(at, rest)
            if kept is None:
                return
            f = kept
        graph = at.graph
        here = self.type_in(graph, at.type_name, f.name)
        key = f.key
        if at.siblings is not None and here is not None and self.conflicts(at, key, str(here)):
            key = f"_{at.type_name}_{f.key}"
            start = len(at.fetch.path or ())
            at.fetch.renames.append((at.path[start:], at.type_name, key, f.key))
        sub = at.out.add(
            key, head_of(key, f.name, arguments_text(f.arguments)), f.children is not None
        )
        if here is not None:
            at.out.types[key] = str(here)
        if sub is None or f.children is None:
            return
        provided, _ = self.below(graph, at.type_name, f, at.provided)
        child_path = (*at.path, f.key)
        named = f.named_type
        named_here = get_named_type(here) if here is not None else named
        if isinstance(named, GraphQLObjectType):
            if isinstance(named_here, GraphQLObjectType):
                below = _Objects(at.fetch, child_path, named.name, sub, provided)
            else:  # abstract in this subgraph: its objects of the type asked for
                sub.add(TYPENAME, TYPENAME, False)
                below = _Objects(
                    at.fetch, child_path, named.name, sub.fragment(named.name), provided, sub
                )
            self.plan_fields(below, f.children[named.name])
            return
        sub.add(TYPENAME, TYPENAME, False)
        assert isinstance(named, (GraphQLInterfaceType, GraphQLUnionType))
        if graph in self.supergraph.types[named.name].interface_objects:
            self.plan_interface_object(_Objects(at.fetch, child_path, named.name, sub), f)
            return
        possible = self.possible_here(graph, named.name, named_here)
        hidden = f.children.get(named.name)
        if hidden is not None:
            # An interface with no implementation in the API schema: the fields selected on
            # it, from this subgraph (its objects answer null whatever else they have).
            below = _Objects(at.fetch, child_path, named.name, sub, provided)
            self.plan_fields(below, [c for c in hidden if self.resolvable(below, c.name)])
            return
        for object_type, children in f.children.items():
            if not children or object_type not in possible:
                continue
            if isinstance(named_here, GraphQLObjectType):
                below = _Objects(at.fetch, child_path, object_type, sub, provided)
            else:
                below = _Objects(
                    at.fetch, child_path, object_type, sub.fragment(object_type), provided, sub
                )
            self.plan_fields(below, children)

    def type_in(self, graph: str, type_name: str, field_name: str) -> GraphQLOutputType | None:
        """The type of a field in a subgraph's own schema (None when not known there)."""
        schema = self.supergraph.subgraph_schemas.get(graph)
        parent = schema.get_type(type_name) if schema is not None else None
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return None
        definition = parent.fields.get(field_name)
        return definition.type if definition is not None else None

    def possible_here(
        self, graph: str, abstract: str, named_here: GraphQLNamedType | None
    ) -> set[str]:
        """The object types a field of abstract type `abstract` can return in `graph`: those
        its type there can be."""
        schema = self.supergraph.subgraph_schemas.get(graph)
        if isinstance(named_here, GraphQLObjectType):
            return {named_here.name}
        if schema is not None and isinstance(named_here, (GraphQLInterfaceType, GraphQLUnionType)):
            return {t.name for t in schema.get_possible_types(named_here)}
        info = self.supergraph.types[abstract]
        return {
            t for t in self.supergraph.types if self.supergraph.possible_in(t, info.name, graph)
        }

    @staticmethod
    def conflicts(at: _Objects, key: str, type_text: str) -> bool:
        """Whether response key `key` with type `type_text` clashes, in the subgraph's
        validation, with the same key in the abstract selection around `at` or a sibling
        fragment."""
        siblings = at.siblings
        assert siblings is not None
        if siblings.types.get(key, type_text) != type_text:
            return True
        return any(
            fragment.types.get(key, type_text) != type_text
            for name, fragment in siblings.fragments.items()
            if name != at.type_name
        )

    def plan_elsewhere(self, at: _Objects, f: Field, exclude: frozenset[str] = frozenset()) -> None:
        """Field `f`, which the subgraph of `at.fetch` does not return, from an entity fetch of
        a subgraph that does, joined by a key (and after its `@requires` fields)."""
        type_name = at.type_name
        candidates = [
            j for j in self.supergraph.types[type_name].resolvers(f.name) if j.graph not in exclude
        ]
        if not candidates:
            if self.plan_through_interface_object(at, f):
                return
            raise PlanningError(f"no subgraph resolves {type_name}.{f.name}")
        # The subgraph that reaches most of the selection; of those, one already being fetched
        # for this path (@shareable fields).
        candidates.sort(
            key=lambda j: (
                self.impossible(j.graph, type_name, f),
                self.unreachable(j.graph, type_name, f),
                not self._entity_fetches.get((at.fetch.id, at.path, j.graph)),
            )
        )
        for join in candidates:
            key = self.usable_key(at, join.graph)
            producers: frozenset[Fetch] = frozenset()
            key_read = None
            if key is None:
                # A key whose fields this subgraph cannot all give: those it lacks are fetched
                # from another subgraph first, like `@requires` fields (a multi-hop key).
                hop = (at.fetch.id, at.path, type_name, join.graph)
                key = None if hop in self._hopping else self.reachable_key(at, join.graph)
                if key is None:
                    continue
                key_fields, key_read = self.required_fields(type_name, key.selection, at.out)
                self._hopping.add(hop)  # its key fields come from elsewhere, not through it
                try:
                    producers = self.plan_required(at, key_fields)
                finally:
                    self._hopping.discard(hop)
            read_back = None
            if join.requires is not None:
                # The required fields first, from wherever they come: the entity fetch then
                # waits for every fetch they went into.
                required, read_back = self.required_fields(type_name, join.requires, at.out)
                producers |= self.plan_required(at, required)
            child = self.entity_fetch(at.fetch, at.path, join.graph, producers)
            if key_read is None:
                representation = self.represent(child, at, key)
            else:
                at.out.add(TYPENAME, TYPENAME, False)
                representation = child.representations.setdefault(type_name, [key_read])
            if read_back is not None:
                representation.append(read_back)
            child.add_entity_key(f.key)
            self.plan_here(_Objects.entities(child, at.path, type_name), f)
            return
        raise PlanningError(
            f"{type_name}.{f.name}: no key of {type_name} joins subgraph {at.graph} to "
            f"{', '.join(j.graph for j in candidates)}"
        )

    def plan_required(self, at: _Objects, required: list[Field]) -> frozenset[Fetch]:
        """Plan `@requires` fields of these objects; the fetches they went into (nested ones
        included), which the fetch that needs them must wait for."""
        outer = self._producers
        self._producers = set()
        try:
            self.plan_fields(at, required)
            producers = frozenset(self._producers)
        finally:
            self._producers = outer
        if outer is not None:
            outer.update(producers)
        return producers

    def plan_through_interface_object(self, at: _Objects, f: Field) -> bool:
        """A field an `@interfaceObject` subgraph adds to every implementation of an
        interface: fetched from it with the interface's name in the representation, after its
        `@requires` fields."""
        info = self.supergraph.types[at.type_name]
        interfaces = set().union(*info.implements.values()) if info.implements else set()
        for interface in sorted(interfaces):
            interface_info = self.supergraph.types[interface]
            for join in interface_info.resolvers(f.name):
                if join.graph not in interface_info.interface_objects:
                    continue
                for key in interface_info.keys_in(join.graph):
                    if not self.key_available(at, key):
                        continue
                    producers: frozenset[Fetch] = frozenset()
                    read_back = None
                    if join.requires is not None:
                        required, read_back = self.required_fields(
                            at.type_name, join.requires, at.out
                        )
                        producers = self.plan_required(at, required)
                    child = self.entity_fetch(at.fetch, at.path, join.graph, producers)
                    representation = self.represent(child, at, key)
                    if read_back is not None:
                        representation.append(read_back)
                    child.typename_as[at.type_name] = interface
                    child.add_entity_key(f.key)
                    self.plan_here(_Objects.entities(child, at.path, interface), f)
                    return True
        return False

    def plan_interface_object(self, at: _Objects, f: Field) -> None:
        """The subgraph of `at.fetch` returns the interface `at.type_name` as an object and
        cannot tell its type. The interface's own fields are planned on it as on any object
        (from this subgraph when it resolves them: an interface object's fields come from its
        subgraph); only `__typename` and fields of the implementations need a subgraph that
        knows them, joined by a key of this subgraph's (one marked `resolvable: false` too:
        it gives the fields, nothing is joined to it)."""
        interface = at.type_name
        info = self.supergraph.types[interface]
        assert f.children is not None
        shared: dict[str, Field] = {}
        concrete: dict[str, list[Field]] = {}
        for object_type, children in f.children.items():
            for child_field in children:
                if child_field.name in info.fields and not child_field.denied:
                    shared.setdefault(child_field.key, child_field)
                elif child_field.name == TYPENAME or not child_field.denied:
                    concrete.setdefault(object_type, []).append(child_field)
        if shared:
            self.plan_fields(
                at, [dataclasses.replace(c, parent=interface) for c in shared.values()]
            )
        if not concrete:
            return
        for target in info.graphs:
            if target in info.interface_objects:
                continue
            target_key = next((k for k in info.keys_in(target) if self.key_available(at, k)), None)
            if target_key is None:
                continue
            child = self.entity_fetch(at.fetch, at.path, target)
            self.represent(child, at, target_key)
            frame = child.out.fragment(interface)
            frame.add(TYPENAME, TYPENAME, False)
            for object_type, children in concrete.items():
                child.entity_keys.extend(c.key for c in children if c.key not in child.entity_keys)
                if self.supergraph.possible_in(object_type, interface, target):
                    below = _Objects(child, at.path, object_type, frame.fragment(object_type))
                    self.plan_fields(below, [c for c in children if c.name != TYPENAME])
            return
        raise PlanningError(f"{interface}: no subgraph resolves the type of its objects")

    def usable_key(self, at: _Objects, target: str) -> Key | None:
        """A key of subgraph `target` for these objects that their fetch can return."""
        for key in self.supergraph.types[at.type_name].keys_in(target):
            if self.key_available(at, key):
                return key
        return None

    def reachable_key(self, at: _Objects, target: str) -> Key | None:
        """A key of subgraph `target` whose fields these objects' subgraph lacks are joined
        from it by other keys (`can_hop`)."""
        info = self.supergraph.types[at.type_name]
        for key in info.keys_in(target):
            if all(
                self.resolvable(at, n)
                or self.stub_key(at.graph, info, n)
                or self.can_hop(at.graph, at.type_name, n, MAX_KEY_HOPS - 1)
                for n in key.top_fields
            ):
                return key
        return None

    def key_available(self, at: _Objects, key: Key) -> bool:
        """Whether the subgraph of `at.fetch` can return the fields of `key` on these objects."""
        return all(
            self.resolvable(at, name)
            or self.stub_key(at.graph, self.supergraph.types[at.type_name], name)
            for name in key.top_fields
        )

    def represent(self, entities: Fetch, at: _Objects, key: Key) -> list[SelectionSetNode]:
        """Select in `at.out` what the entity fetch `entities` needs to represent these objects
        (`__typename` and `key`); returns the selections the representation is read with (the
        key's, then those of any `@requires`)."""
        at.out.add(TYPENAME, TYPENAME, False)
        representation = entities.representations.setdefault(
            at.type_name, [at.out.add_set(key.selection)]
        )
        if self.supergraph.types[at.type_name].kind == "interface":
            # Objects of an interface returned by an `@interfaceObject` subgraph: another
            # fetch may have told their type by the time this one runs.
            interface_object = (
                entities.graph in self.supergraph.types[at.type_name].interface_objects
            )
            named = self.supergraph.full_schema.get_type(at.type_name)
            assert isinstance(named, GraphQLInterfaceType)
            for object_type in self.supergraph.full_schema.get_possible_types(named):
                entities.representations.setdefault(object_type.name, representation)
                if interface_object:
                    entities.typename_as[object_type.name] = at.type_name
        return representation

    def required_fields(
        self, type_name: str, requires: SelectionSetNode, out: SubgraphSelection
    ) -> tuple[list[Field], SelectionSetNode]:
        """`@requires` fields as fields the planner fetches (no client sees them), each under
        a response key no client field uses; and the selection to read them back with. They
        are read in the supergraph's own schema (a required field may be `@inaccessible`),
        with their arguments and inline fragments."""
        schema = self.supergraph.full_schema
        parent = schema.get_type(type_name)
        assert isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
        fields = []
        read_back = []
        for selection in requires.selections:
            if not isinstance(selection, FieldNode):
                raise PlanningError(f"{type_name}: @requires with a fragment at its top level")
            name = selection.name.value
            definition = parent.fields.get(name)
            if definition is None:
                raise PlanningError(f"{type_name}.{name}: @requires field not in the supergraph")
            arguments = tuple(selection.arguments or ())
            key = out.internal_key(name, arguments_text(arguments))
            required = Field(key, name, arguments, definition.type, type_name)
            if selection.selection_set is not None:
                normalizer = Normalizer(schema, {}, {}, lambda *_: None)
                required.children = normalizer.fields(
                    required.named_type, [selection.selection_set]
                )
            fields.append(required)
            read_back.append(read_back_field(key, selection, selection.selection_set))
        return fields, SelectionSetNode(selections=tuple(read_back))


def _upstream(fetches: frozenset[Fetch]) -> set[Fetch]:
    """The fetches given and every fetch they wait for, transitively."""
    seen: set[Fetch] = set()
    stack = list(fetches)
    while stack:
        fetch = stack.pop()
        if fetch in seen:
            continue
        seen.add(fetch)
        stack.extend(fetch.depends)
    return seen
