"""Refuses text that is not valid Unicode (lone surrogates) before any resolver runs.

JSON can carry them (as \\ud800 escapes) but MongoDB cannot store or even query them (BSON is
UTF-8), so they would otherwise fail deep inside a repository as a fault instead of a clear
refusal of the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from portal_kit.messages import translate
from strawberry.extensions import SchemaExtension

from portal_people.domain.messages import _

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_surrogate(v) for v in value)
    return False


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if _SURROGATE.search(node.value):
            self.found = True


class InvalidTextGuard(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        literals = _Literals()
        if context.graphql_document is not None:
            visit(context.graphql_document, literals)
        if literals.found or _has_surrogate(context.variables or {}):
            context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        translate(_("the request contains text that is not valid Unicode")),
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                ],
            )
        yield
