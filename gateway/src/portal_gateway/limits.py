"""Limits on what one operation may ask: size, depth, aliases, root fields, estimated cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from portal_gateway.federation.operation import Field


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 50_000
    default_list_size: int = 10


class LimitExceeded(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def check_document(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: Limits,
) -> None:
    """Depth, aliases and root fields, fragments included (validation forbids their cycles)."""
    aliases = 0
    roots = 0

    def walk(selection_set: SelectionSetNode, depth: int, root: bool, seen: frozenset[str]) -> int:
        nonlocal aliases, roots
        deepest = depth
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if root and not selection.name.value.startswith("__"):
                    roots += 1
                if selection.selection_set is not None:
                    deepest = max(deepest, walk(selection.selection_set, depth + 1, False, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, walk(selection.selection_set, depth, root, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    deepest = max(deepest, walk(fragment.selection_set, depth, root, seen | {name}))
            if deepest > limits.max_depth:
                raise LimitExceeded(
                    f"query is nested deeper than {limits.max_depth} levels", "QUERY_TOO_DEEP"
                )
        return deepest

    walk(operation.selection_set, 1, True, frozenset())
    if aliases > limits.max_aliases:
        raise LimitExceeded(
            f"query uses {aliases} aliases; at most {limits.max_aliases} are allowed",
            "TOO_MANY_ALIASES",
        )
    if roots > limits.max_root_fields:
        raise LimitExceeded(
            f"query asks for {roots} root fields; at most {limits.max_root_fields} are allowed",
            "TOO_MANY_ROOT_FIELDS",
        )


def _page_size(f: Field, variables: Mapping[str, Any]) -> int | None:
    for argument in f.arguments:
        if argument.name.value not in ("first", "last"):
            continue
        node = argument.value
        if isinstance(node, IntValueNode):
            return max(int(node.value), 0)
        if isinstance(node, VariableNode):
            value = variables.get(node.name.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(value, 0)
    return None


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def cost(fields: list[Field], variables: Mapping[str, Any], limits: Limits) -> int:
    """Every field costs 1, times the list sizes above it: `first`/`last` where given, else a
    default size for lists that are not the edges of a page."""

    def of(field_list: list[Field], paged: bool) -> int:
        total = 0
        for f in field_list:
            size = _page_size(f, variables)
            multiplier = 1
            if size is not None:
                multiplier = size
            elif _is_list(f.type) and not paged:
                multiplier = limits.default_list_size
            children = 0
            if f.children:
                children = max((of(c, size is not None) for c in f.children.values()), default=0)
            total += 1 + multiplier * children
        return total

    return of(fields, False)


def check_cost(fields: list[Field], variables: Mapping[str, Any], limits: Limits) -> int:
    estimated = cost(fields, variables, limits)
    if estimated > limits.max_cost:
        raise LimitExceeded(
            f"query is estimated to cost {estimated}; at most {limits.max_cost} is allowed",
            "QUERY_TOO_COSTLY",
        )
    return estimated
