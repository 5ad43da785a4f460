"""Each distinct query text parsed and validated once per schema, not once per request.

Clients, the gateway's plans and the subscriptions' re-reads send the same few documents over
and over with different variables; graphql-core's parse and validate cost milliseconds each
(more than most resolvers). Keyed by the text itself (a string's hash is computed once), not by
the parsed document like strawberry's ValidationCache (a frozen AST hashes every node on every
lookup). Bounded, so unique texts from a client cannot grow memory; a text is taken as valid
only once it passed the same validation rules, so a failing one is validated (and its errors
made) anew each time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

MAX_DOCUMENTS = 256


@dataclass
class _Known:
    schema: object
    document: DocumentNode
    valid_under: tuple[Any, ...] | None = None  # the validation rules it passed, once it did


_known: OrderedDict[tuple[int, str], _Known] = OrderedDict()


class DocumentCache(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        key = (id(context.schema), context.query or "")
        known = _known.get(key)
        if known is not None and known.schema is not context.schema:
            known = None  # another schema that got the same id: this text is new to it
        if known is not None and context.graphql_document is None:
            _known.move_to_end(key)
            context.graphql_document = known.document
        yield
        if known is None and context.query and context.graphql_document is not None:
            _known[key] = _Known(context.schema, context.graphql_document)
            if len(_known) > MAX_DOCUMENTS:
                _known.popitem(last=False)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        known = _known.get((id(context.schema), context.query or ""))
        if known is not None and (
            known.schema is not context.schema or known.document is not context.graphql_document
        ):
            known = None
        rules = tuple(context.validation_rules)
        if known is not None and known.valid_under == rules:
            context.pre_execution_errors = []  # strawberry skips validating it again
        yield
        if known is not None and context.pre_execution_errors == []:
            known.valid_under = rules
