"""Read a Federation-2 supergraph: which subgraph resolves what, and the public API schema.

The supergraph is composed by a maintained library (deploy/supergraph); this module only reads
its `@join__*` directives. Anything it cannot serve is refused at start-up with a message naming
the element (`UnsupportedSupergraph`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    ValueNode,
    build_ast_schema,
    parse,
)

SUPPORTED_JOIN = ("v0.3", "v0.4", "v0.5")
# Features a supergraph may link for EXECUTION that this gateway knows how to serve.
KNOWN_FEATURES = ("link", "join")
# Directives kept in the public API schema; every other applied directive is federation metadata.
API_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})


class UnsupportedSupergraph(Exception):
    """The supergraph uses something this gateway cannot serve; the message names it."""


@dataclass(frozen=True)
class Key:
    graph: str
    fields: str
    selection: SelectionSetNode
    resolvable: bool

    @property
    def top_fields(self) -> tuple[str, ...]:
        return tuple(s.name.value for s in self.selection.selections)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FieldJoin:
    """How one subgraph contributes a field (`@join__field`)."""

    graph: str
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    external: bool = False
    overridden: bool = False


@dataclass(frozen=True)
class Access:
    """Authorization directives on a type or field (`@authenticated`, `@requiresScopes`,
    `@policy`): scopes and policies are lists of alternatives, each a list that must all hold."""

    authenticated: bool = False
    scopes: tuple[tuple[str, ...], ...] = ()
    policies: tuple[tuple[str, ...], ...] = ()

    @property
    def restricted(self) -> bool:
        return self.authenticated or bool(self.scopes) or bool(self.policies)


@dataclass
class TypeInfo:
    name: str
    kind: str  # object, interface, union, enum, input, scalar
    graphs: list[str] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    # field name -> the subgraphs that define it (external ones included, marked)
    fields: dict[str, list[FieldJoin]] = field(default_factory=dict)
    # graph -> interfaces this type implements there
    implements: dict[str, set[str]] = field(default_factory=dict)
    # graph -> union members there
    members: dict[str, set[str]] = field(default_factory=dict)
    # subgraphs that know this interface only as an object (`@interfaceObject`)
    interface_objects: set[str] = field(default_factory=set)
    access: Access = Access()
    field_access: dict[str, Access] = field(default_factory=dict)

    def resolvers(self, field_name: str) -> list[FieldJoin]:
        """Subgraphs that resolve the field themselves (not external, not overridden)."""
        return [j for j in self.fields.get(field_name, ()) if not j.external and not j.overridden]

    def keys_in(self, graph: str) -> list[Key]:
        return [k for k in self.keys if k.graph == graph and k.resolvable]


@dataclass
class Supergraph:
    graphs: dict[str, str]  # subgraph name -> URL
    types: dict[str, TypeInfo]
    schema: GraphQLSchema  # the public API schema
    sdl: str
    # The supergraph's own types, `@inaccessible` ones included (field sets are read with it)
    full_schema: GraphQLSchema

    @cached_property
    def subgraph_schemas(self) -> dict[str, GraphQLSchema]:
        """Each subgraph's own schema, as the supergraph records it."""
        return subgraph_schemas(self.sdl)

    def possible_in(self, type_name: str, abstract: str, graph: str) -> bool:
        """Whether `graph` knows object type `type_name` as a member of `abstract`."""
        abstract_info = self.types[abstract]
        if abstract_info.kind == "union":
            return type_name in abstract_info.members.get(graph, set())
        info = self.types.get(type_name)
        return info is not None and abstract in info.implements.get(graph, set())


def _arg(directive: ConstDirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _string(directive: ConstDirectiveNode, name: str) -> str | None:
    value = _arg(directive, name)
    return value.value if isinstance(value, StringValueNode) else None


def _enum(directive: ConstDirectiveNode, name: str) -> str | None:
    value = _arg(directive, name)
    return getattr(value, "value", None) if value is not None else None


def _bool(directive: ConstDirectiveNode, name: str, default: bool = False) -> bool:
    value = _arg(directive, name)
    return value.value if isinstance(value, BooleanValueNode) else default


def _strings(value: ValueNode | None) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, ListValueNode):
        return ()
    groups = []
    for group in value.values:
        if isinstance(group, ListValueNode):
            groups.append(tuple(v.value for v in group.values if isinstance(v, StringValueNode)))
    return tuple(groups)


def field_set(text: str, element: str) -> SelectionSetNode:
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError as error:
        raise UnsupportedSupergraph(f"{element}: invalid field set {text!r}") from error
    return document.definitions[0].selection_set  # type: ignore[attr-defined,no-any-return]


def _access(directives: tuple[ConstDirectiveNode, ...]) -> Access:
    authenticated = False
    scopes: tuple[tuple[str, ...], ...] = ()
    policies: tuple[tuple[str, ...], ...] = ()
    for directive in directives:
        name = directive.name.value
        if name == "authenticated":
            authenticated = True
        elif name == "requiresScopes":
            scopes = _strings(_arg(directive, "scopes"))
        elif name == "policy":
            policies = _strings(_arg(directive, "policies"))
    return Access(authenticated, scopes, policies)


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, (NonNullTypeNode, ListTypeNode)):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _is_internal_type(name: str) -> bool:
    return name.startswith(("join__", "link__"))


def _inaccessible(node: object) -> bool:
    return any(d.name.value == "inaccessible" for d in getattr(node, "directives", None) or ())


def _check_links(schema_node: SchemaDefinitionNode | None) -> None:
    if schema_node is None:
        raise UnsupportedSupergraph("schema: not a supergraph (no schema definition with @link)")
    joined = False
    for directive in schema_node.directives or ():
        if directive.name.value != "link":
            continue
        url = _string(directive, "url") or ""
        match = re.search(r"/([A-Za-z]+)/(v\d+\.\d+)$", url)
        feature, version = (match.group(1), match.group(2)) if match else (url, "")
        if feature == "join":
            joined = True
            if version not in SUPPORTED_JOIN:
                raise UnsupportedSupergraph(
                    f"@link {url}: join {version} is not supported ({', '.join(SUPPORTED_JOIN)})"
                )
        elif _enum(directive, "for") == "EXECUTION" and feature not in KNOWN_FEATURES:
            raise UnsupportedSupergraph(f"@link {url}: feature {feature!r} is not supported")
    if not joined:
        raise UnsupportedSupergraph("schema: no @link to the join specification")


def read_supergraph(sdl: str) -> Supergraph:
    try:
        document = parse(sdl, no_location=True)
    except GraphQLError as error:
        raise UnsupportedSupergraph(f"supergraph does not parse: {error.message}") from error
    schema_node = next(
        (d for d in document.definitions if isinstance(d, SchemaDefinitionNode)), None
    )
    _check_links(schema_node)
    graphs = _graphs(document)
    types: dict[str, TypeInfo] = {}
    for definition in document.definitions:
        if isinstance(definition, EnumTypeExtensionNode):
            raise UnsupportedSupergraph(f"{definition.name.value}: type extensions in supergraph")
        if not isinstance(definition, TypeDefinitionNode):
            continue
        name = definition.name.value
        if _is_internal_type(name):
            continue
        types[name] = _type_info(definition, graphs)
    schema = _api_schema(document, types)
    return Supergraph(
        graphs={name: url for name, url in graphs.values()},
        types=types,
        schema=schema,
        sdl=sdl,
        full_schema=_api_schema(document, types, everything=True),
    )


def _graphs(document: DocumentNode) -> dict[str, tuple[str, str]]:
    """join__Graph enum value -> (subgraph name, URL)."""
    for definition in document.definitions:
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == (
            "join__Graph"
        ):
            graphs = {}
            for value in definition.values or ():
                directive = next(
                    (d for d in value.directives or () if d.name.value == "join__graph"), None
                )
                if directive is None:
                    raise UnsupportedSupergraph(f"join__Graph.{value.name.value}: no @join__graph")
                graphs[value.name.value] = (
                    _string(directive, "name") or value.name.value.lower(),
                    _string(directive, "url") or "",
                )
            return graphs
    raise UnsupportedSupergraph("join__Graph: missing")


KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    UnionTypeDefinitionNode: "union",
    EnumTypeDefinitionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
}


def _type_info(definition: TypeDefinitionNode, graphs: dict[str, tuple[str, str]]) -> TypeInfo:
    name = definition.name.value
    info = TypeInfo(name, KINDS.get(type(definition), "scalar"))
    info.access = _access(tuple(definition.directives or ()))

    def graph_of(directive: ConstDirectiveNode, element: str) -> str:
        enum = _enum(directive, "graph")
        if enum not in graphs:
            raise UnsupportedSupergraph(f"{element}: unknown graph {enum!r}")
        return graphs[enum][0]

    for directive in definition.directives or ():
        directive_name = directive.name.value
        if directive_name == "join__type":
            graph = graph_of(directive, name)
            if graph not in info.graphs:
                info.graphs.append(graph)
            if _bool(directive, "isInterfaceObject"):
                info.interface_objects.add(graph)
            key = _string(directive, "key")
            if key is not None:
                info.keys.append(
                    Key(graph, key, field_set(key, name), _bool(directive, "resolvable", True))
                )
        elif directive_name == "join__implements":
            graph = graph_of(directive, name)
            info.implements.setdefault(graph, set()).add(_string(directive, "interface") or "")
        elif directive_name == "join__unionMember":
            graph = graph_of(directive, name)
            info.members.setdefault(graph, set()).add(_string(directive, "member") or "")
        elif directive_name == "join__directive":
            raise UnsupportedSupergraph(f"{name}: @join__directive is not supported")
    if isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
        for field_node in definition.fields or ():
            element = f"{name}.{field_node.name.value}"
            info.fields[field_node.name.value] = _field_joins(field_node, info, graph_of, element)
            access = _access(tuple(field_node.directives or ()))
            if access.restricted:
                info.field_access[field_node.name.value] = access
    return info


def _field_joins(
    field_node: FieldDefinitionNode,
    info: TypeInfo,
    graph_of: Callable[[ConstDirectiveNode, str], str],
    element: str,
) -> list[FieldJoin]:
    joins: list[FieldJoin] = []
    for directive in field_node.directives or ():
        if directive.name.value != "join__field":
            continue
        if _arg(directive, "contextArguments") is not None:
            raise UnsupportedSupergraph(f"{element}: @fromContext is not supported")
        if _arg(directive, "graph") is None:
            continue  # a field of the supergraph only, e.g. from an @interfaceObject
        requires = _string(directive, "requires")
        provides = _string(directive, "provides")
        joins.append(
            FieldJoin(
                graph=graph_of(directive, element),
                requires=field_set(requires, element) if requires else None,
                provides=field_set(provides, element) if provides else None,
                external=_bool(directive, "external"),
                overridden=_bool(directive, "usedOverridden"),
            )
        )
    if not any(d.name.value == "join__field" for d in field_node.directives or ()):
        joins = [FieldJoin(graph) for graph in info.graphs]
    return joins


# -- the public API schema -------------------------------------------------------------------


def _clean_directives(node: object) -> tuple[ConstDirectiveNode, ...]:
    return tuple(
        d for d in getattr(node, "directives", None) or () if d.name.value in API_DIRECTIVES
    )


N = TypeVar("N")


def _replace(node: N, **changes: object) -> N:
    clone = copy.copy(node)
    for key, value in changes.items():
        object.__setattr__(clone, key, value)
    return clone


def _args(
    args: tuple[InputValueDefinitionNode, ...] | None,
    element: str,
    kept: set[str],
    everything: bool = False,
) -> tuple[InputValueDefinitionNode, ...]:
    result = []
    for arg in args or ():
        if _inaccessible(arg) and not everything:
            continue
        if _named(arg.type) not in kept:
            raise UnsupportedSupergraph(
                f"{element}({arg.name.value}:): its type {_named(arg.type)} is inaccessible"
            )
        result.append(_replace(arg, directives=_clean_directives(arg)))
    return tuple(result)


def _api_schema(
    document: DocumentNode, types: dict[str, TypeInfo], *, everything: bool = False
) -> GraphQLSchema:
    """The public API schema: the supergraph without its federation directives and types and
    without what is `@inaccessible`; with `everything`, the inaccessible elements kept (the
    schema `@requires` and `@provides` field sets are read against)."""

    def hidden(node: object) -> bool:
        return not everything and _inaccessible(node)

    kept = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode)
        and not _is_internal_type(d.name.value)
        and not hidden(d)
    } | {"String", "Int", "Float", "Boolean", "ID"}
    definitions: list[object] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            continue
        if isinstance(definition, SchemaDefinitionNode):
            definitions.append(_replace(definition, directives=()))
            continue
        if not isinstance(definition, TypeDefinitionNode):
            continue
        name = definition.name.value
        if name not in kept or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        changes: dict[str, object] = {"directives": _clean_directives(definition)}
        if isinstance(
            definition,
            (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode, InputObjectTypeDefinitionNode),
        ):
            fields = []
            for field_node in definition.fields or ():
                if hidden(field_node):
                    continue
                element = f"{name}.{field_node.name.value}"
                if _named(field_node.type) not in kept:
                    raise UnsupportedSupergraph(
                        f"{element}: its type {_named(field_node.type)} is inaccessible"
                    )
                field_changes: dict[str, object] = {"directives": _clean_directives(field_node)}
                if isinstance(field_node, FieldDefinitionNode):
                    field_changes["arguments"] = _args(
                        field_node.arguments, element, kept, everything
                    )
                fields.append(_replace(field_node, **field_changes))
            if not fields:
                continue
            changes["fields"] = tuple(fields)
            if not isinstance(definition, InputObjectTypeDefinitionNode):
                changes["interfaces"] = tuple(
                    i for i in definition.interfaces or () if i.name.value in kept
                )
        elif isinstance(definition, UnionTypeDefinitionNode):
            changes["types"] = tuple(t for t in definition.types or () if t.name.value in kept)
        elif isinstance(definition, EnumTypeDefinitionNode):
            values: list[EnumValueDefinitionNode] = [
                _replace(v, directives=_clean_directives(v))
                for v in definition.values or ()
                if not hidden(v)
            ]
            changes["values"] = tuple(values)
        definitions.append(_replace(definition, **changes))
    try:
        return build_ast_schema(DocumentNode(definitions=tuple(definitions)))  # type: ignore[arg-type]
    except (GraphQLError, TypeError) as error:
        raise UnsupportedSupergraph(f"the API schema is invalid: {error}") from error


# -- each subgraph's own schema, as the supergraph records it ---------------------------------


def subgraph_schemas(sdl: str) -> dict[str, GraphQLSchema]:
    """Each subgraph's schema as the supergraph's `@join__*` directives record it: its types,
    its fields with their types there (`@join__field(type:)`), its union members, interfaces and
    enum values, and `_entities` over its entities. The documents the gateway sends a subgraph
    are validated against it (`validation.py`)."""
    document = parse(sdl, no_location=True)
    graphs = _graphs(document)
    result: dict[str, GraphQLSchema] = {}
    for enum, (name, _) in graphs.items():
        text = _subgraph_sdl(document, enum)
        try:
            result[name] = build_ast_schema(parse(text, no_location=True))
        except (GraphQLError, TypeError) as error:
            raise UnsupportedSupergraph(
                f"subgraph {name}: its schema is invalid: {error}"
            ) from error
    return result


def _in_graph(node: object, directive_name: str, enum: str) -> list[ConstDirectiveNode]:
    return [
        d
        for d in getattr(node, "directives", None) or ()
        if d.name.value == directive_name and _enum(d, "graph") == enum
    ]


def _has(node: object, directive_name: str) -> bool:
    return any(d.name.value == directive_name for d in getattr(node, "directives", None) or ())


def _subgraph_sdl(document: DocumentNode, enum: str) -> str:
    from graphql import print_ast

    parts: list[str] = ["scalar _Any"]
    entities: list[str] = []
    roots: dict[str, str] = {}
    keyed_interfaces: set[str] = set()
    definitions = [
        d
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode)
        and not _is_internal_type(d.name.value)
        and _in_graph(d, "join__type", enum)
    ]
    for d in definitions:
        if isinstance(d, InterfaceTypeDefinitionNode) and any(
            _string(t, "key") is not None for t in _in_graph(d, "join__type", enum)
        ):
            keyed_interfaces.add(d.name.value)
    for d in definitions:
        name = d.name.value
        types = _in_graph(d, "join__type", enum)
        keyed = any(_string(t, "key") is not None for t in types)
        if isinstance(d, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
            as_object = isinstance(d, ObjectTypeDefinitionNode) or any(
                _bool(t, "isInterfaceObject") for t in types
            )
            fields = []
            for f in d.fields or ():
                joins = [j for j in f.directives or () if j.name.value == "join__field"]
                mine = [j for j in joins if _enum(j, "graph") == enum]
                if joins and not mine and any(_arg(j, "graph") is not None for j in joins):
                    continue
                type_text = print_ast(f.type)
                for j in mine:
                    written = _string(j, "type")
                    if written:
                        type_text = written
                args = ", ".join(print_ast(_replace(a, directives=())) for a in f.arguments or ())
                fields.append(f"{f.name.value}{f'({args})' if args else ''}: {type_text}")
            implemented = [
                _string(i, "interface") or "" for i in _in_graph(d, "join__implements", enum)
            ]
            if name in ("Query", "Mutation", "Subscription"):
                roots[name] = name
            if (
                as_object
                and (keyed or any(i in keyed_interfaces for i in implemented))
                and name not in roots
            ):
                entities.append(name)
            if name == "Query":
                fields.append("_entities(representations: [_Any!]!): [_Entity]!")
            if not fields:
                continue
            kind = "type" if as_object else "interface"
            implements = (
                f" implements {' & '.join(implemented)}"
                if implemented and not (as_object and isinstance(d, InterfaceTypeDefinitionNode))
                else ""
            )
            parts.append(f"{kind} {name}{implements} {{ {' '.join(fields)} }}")
        elif isinstance(d, UnionTypeDefinitionNode):
            members = [_string(m, "member") or "" for m in _in_graph(d, "join__unionMember", enum)]
            if not members and not _has(d, "join__unionMember"):
                members = [t.name.value for t in d.types or ()]
            if members:
                parts.append(f"union {name} = {' | '.join(members)}")
        elif isinstance(d, EnumTypeDefinitionNode):
            values = [
                v.name.value
                for v in d.values or ()
                if _in_graph(v, "join__enumValue", enum) or not _has(v, "join__enumValue")
            ]
            parts.append(f"enum {name} {{ {' '.join(values)} }}")
        elif isinstance(d, InputObjectTypeDefinitionNode):
            inputs = []
            for i in d.fields or ():
                joins = [j for j in i.directives or () if j.name.value == "join__field"]
                if joins and not [j for j in joins if _enum(j, "graph") == enum]:
                    continue
                default = f" = {print_ast(i.default_value)}" if i.default_value else ""
                inputs.append(f"{i.name.value}: {print_ast(i.type)}{default}")
            parts.append(f"input {name} {{ {' '.join(inputs)} }}")
        elif isinstance(d, ScalarTypeDefinitionNode):
            parts.append(f"scalar {name}")
    if "Query" not in roots:
        parts.append("type Query { _entities(representations: [_Any!]!): [_Entity]! }")
    if entities:
        parts.append(f"union _Entity = {' | '.join(entities)}")
    else:
        parts.append("type _NoEntity { _: Boolean }\nunion _Entity = _NoEntity")
    return "\n".join(parts)
