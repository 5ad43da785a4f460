"""Limits on what one operation may ask: size (expanded), depth, aliases, root fields,
estimated cost."""

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
from portal_kit.messages import translate

from portal_gateway.errors import _
from portal_gateway.federation.operation import Field


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 50_000
    max_fields: int = 5_000  # field selections once fragments are inlined
    default_list_size: int = 10


class LimitExceeded(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self._message = message
        self.code = code

    @property
    def message(self) -> str:
        """The message in the caller's language (read where the answer is written)."""
        return translate(self._message)


@dataclass(frozen=True)
class _Shape:
    """What a selection set expands to, fragments inlined: how many levels it adds below
    itself, its aliases, its fields at its own level (root fields when it is the operation's)
    and all its fields. Counts stop growing past `_CAP` so a doubling graph stays cheap."""

    extra_depth: int
    aliases: int
    own_fields: int
    fields: int


def _capped(value: int, cap: int) -> int:
    return value if value <= cap else cap + 1


def check_document(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: Limits,
) -> None:
    """Depth, aliases, root fields and the size once expanded (`max_fields`), fragments
    included, computed without expanding them: each fragment's shape is worked out once and
    reused wherever it is spread, so a fragment spread twice per level costs no more to check
    than one spread once (validation forbids cycles; one met anyway counts as empty)."""
    cap = max(limits.max_fields, limits.max_aliases, limits.max_root_fields, limits.max_depth)
    shapes: dict[str, _Shape] = {}
    in_progress: set[str] = set()
    empty = _Shape(0, 0, 0, 0)

    def fragment_shape(name: str) -> _Shape:
        known = shapes.get(name)
        if known is not None:
            return known
        fragment = fragments.get(name)
        if fragment is None or name in in_progress:
            return empty
        in_progress.add(name)
        shape = of(fragment.selection_set)
        in_progress.discard(name)
        shapes[name] = shape
        return shape

    def of(selection_set: SelectionSetNode) -> _Shape:
        extra_depth = aliases = own_fields = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                if selection.alias is not None:
                    aliases += 1
                if not selection.name.value.startswith("__"):
                    own_fields += 1
                if selection.selection_set is not None:
                    child = of(selection.selection_set)
                    extra_depth = max(extra_depth, 1 + child.extra_depth)
                    aliases += child.aliases
                    fields += child.fields
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = fragment_shape(selection.name.value)
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            extra_depth = max(extra_depth, inner.extra_depth)
            aliases += inner.aliases
            own_fields += inner.own_fields
            fields += inner.fields
        return _Shape(
            min(extra_depth, cap + 1),
            _capped(aliases, cap),
            _capped(own_fields, cap),
            _capped(fields, cap),
        )

    shape = of(operation.selection_set)
    if 1 + shape.extra_depth > limits.max_depth:
        raise LimitExceeded(
            _("query is nested deeper than {limit} levels", limit=limits.max_depth),
            "QUERY_TOO_DEEP",
        )
    if shape.fields > limits.max_fields:
        raise LimitExceeded(
            _(
                "query expands to more than {limit} fields once its fragments are inlined",
                limit=limits.max_fields,
            ),
            "QUERY_TOO_LARGE",
        )
    if shape.aliases > limits.max_aliases:
        raise LimitExceeded(
            _(
                "query uses {count} aliases; at most {limit} are allowed",
                count=shape.aliases,
                limit=limits.max_aliases,
            ),
            "TOO_MANY_ALIASES",
        )
    if shape.own_fields > limits.max_root_fields:
        raise LimitExceeded(
            _(
                "query asks for {count} root fields; at most {limit} are allowed",
                count=shape.own_fields,
                limit=limits.max_root_fields,
            ),
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
    return _cost_of(fields, False, variables, limits)


def _cost_of(fields: list[Field], paged: bool, variables: Mapping[str, Any], limits: Limits) -> int:
    # A module function, not a closure calling itself: that closure would be a reference
    # cycle per request, left for the cyclic collector.
    total = 0
    for f in fields:
        size = _page_size(f, variables)
        multiplier = 1
        if size is not None:
            multiplier = size
        elif _is_list(f.type) and not paged:
            multiplier = limits.default_list_size
        children = 0
        if f.children:
            children = max(
                (_cost_of(c, size is not None, variables, limits) for c in f.children.values()),
                default=0,
            )
        total += 1 + multiplier * children
    return total


def check_cost(fields: list[Field], variables: Mapping[str, Any], limits: Limits) -> int:
    estimated = cost(fields, variables, limits)
    if estimated > limits.max_cost:
        raise LimitExceeded(
            _(
                "query is estimated to cost {cost}; at most {limit} is allowed",
                cost=estimated,
                limit=limits.max_cost,
            ),
            "QUERY_TOO_COSTLY",
        )
    return estimated
