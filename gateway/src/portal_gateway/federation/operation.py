"""The client's operation as the planner and the result shaping see it.

Fragments are inlined, `@skip`/`@include` are decided, fields with the same response key are
merged, and every selection on an abstract type is split per possible object type. Fields the
principal may not see are kept but marked `denied`: they are never planned and answer null with
an error at their path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
)

TYPENAME = "__typename"


@dataclass
class Field:
    key: str  # response key (alias or name)
    name: str
    arguments: tuple[ArgumentNode, ...]
    type: GraphQLOutputType  # in the API schema
    parent: str  # object type the field is selected on
    # object type name -> its selected fields, for fields of a composite type
    children: dict[str, list[Field]] | None = None
    denied: str | None = None  # why the principal may not see it
    denied_code: str = "FORBIDDEN"

    @property
    def named_type(self) -> GraphQLNamedType:
        return get_named_type(self.type)

    @cached_property
    def plain(self) -> bool:
        """An allowed scalar field (not `__typename`): answered with its value as it is."""
        type_ = self.type.of_type if isinstance(self.type, GraphQLNonNull) else self.type
        return (
            isinstance(type_, GraphQLScalarType) and self.denied is None and self.name != TYPENAME
        )


# (parent type, field name) -> refusal (message, code) or None when allowed
AccessCheck = Callable[[str, str, GraphQLNamedType], tuple[str, str] | None]


def skip_include_variables(document_nodes: list[Any]) -> tuple[str, ...]:
    """Names of variables that decide `@skip`/`@include`: the plan depends on their values."""
    names: list[str] = []

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            name = argument.value.name.value
                            if name not in names:
                                names.append(name)
            visit(getattr(selection, "selection_set", None))

    for node in document_nodes:
        visit(getattr(node, "selection_set", None))
    return tuple(names)


def _included(directives: tuple[DirectiveNode, ...] | None, variables: Mapping[str, Any]) -> bool:
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value: Any = None
        for argument in directive.arguments or ():
            if argument.name.value == "if":
                node = argument.value
                if isinstance(node, BooleanValueNode):
                    value = node.value
                elif isinstance(node, VariableNode):
                    value = bool(variables.get(node.name.value))
        if name == "skip" and value:
            return False
        if name == "include" and not value:
            return False
    return True


@dataclass
class Normalizer:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    access: AccessCheck
    possible: dict[str, list[str]] = field(default_factory=dict)

    def possible_types(self, type_: GraphQLNamedType) -> list[str]:
        if isinstance(type_, GraphQLObjectType):
            return [type_.name]
        if type_.name not in self.possible:
            assert isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType))
            self.possible[type_.name] = [t.name for t in self.schema.get_possible_types(type_)]
        return self.possible[type_.name]

    def applies(self, condition: str | None, object_type: str) -> bool:
        if condition is None or condition == object_type:
            return True
        named = self.schema.get_type(condition)
        return (
            named is not None
            and is_abstract_type(named)
            and object_type in self.possible_types(named)
        )

    def collect(
        self, selection_set: SelectionSetNode, object_type: str, into: dict[str, list[FieldNode]]
    ) -> None:
        for selection in selection_set.selections:
            if not _included(selection.directives, self.variables):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                into.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                if self.applies(condition, object_type):
                    self.collect(selection.selection_set, object_type, into)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None and self.applies(
                    fragment.type_condition.name.value, object_type
                ):
                    self.collect(fragment.selection_set, object_type, into)

    def fields(
        self, type_: GraphQLNamedType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[Field]]:
        result: dict[str, list[Field]] = {}
        possible = self.possible_types(type_)
        if not possible and isinstance(type_, GraphQLInterfaceType):
            # No implementation in the API schema: its objects answer null, yet the subgraph is
            # asked what the client selected on the interface (its errors, its nulls).
            possible = [type_.name]
        for object_type in possible:
            grouped: dict[str, list[FieldNode]] = {}
            for selection_set in selection_sets:
                self.collect(selection_set, object_type, grouped)
            result[object_type] = [
                self.field(object_type, key, nodes) for key, nodes in grouped.items()
            ]
        return result

    def field(self, object_type: str, key: str, nodes: list[FieldNode]) -> Field:
        first = nodes[0]
        name = first.name.value
        parent = self.schema.get_type(object_type)
        assert isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
        if name == TYPENAME:
            from graphql import GraphQLString

            return Field(key, name, (), GraphQLNonNull(GraphQLString), object_type)
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        result = Field(key, name, tuple(first.arguments or ()), definition.type, object_type)
        refusal = self.access(object_type, name, named)
        if refusal is not None:
            result.denied, result.denied_code = refusal
            return result
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if sets:
            result.children = self.fields(named, sets)
        return result


def normalize(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    access: AccessCheck,
) -> tuple[GraphQLObjectType, list[Field]]:
    root = schema.get_root_type(operation.operation)
    assert root is not None
    normalizer = Normalizer(schema, fragments, variables, access)
    return root, normalizer.fields(root, [operation.selection_set])[root.name]
