"""The document cache: a query text parsed and validated once, answers unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from graphql.validation import ValidationRule
from portal_kit import document_cache
from portal_kit.document_cache import MAX_DOCUMENTS, DocumentCache
from strawberry.extensions import SchemaExtension


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, text: str) -> str:
        return text


@strawberry.type
class OtherQuery:
    @strawberry.field
    def other(self) -> str:
        return "other"


schema = strawberry.Schema(query=Query, extensions=[DocumentCache])
other = strawberry.Schema(query=OtherQuery, extensions=[DocumentCache])


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts strawberry itself parsed (a cached text is not among them)."""
    from strawberry.schema import schema as strawberry_schema

    seen: list[str] = []
    real = strawberry_schema.parse

    def counting(text: str, **options: Any) -> Any:
        seen.append(text)
        return real(text, **options)

    monkeypatch.setattr(strawberry_schema, "parse", counting)
    return seen


async def test_a_repeated_text_is_parsed_once_and_answers_each_variable(
    parses: list[str],
) -> None:
    query = "query Echo($t: String!) { echo(text: $t) }"
    first = await schema.execute(query, variable_values={"t": "hei"})
    second = await schema.execute(query, variable_values={"t": "hej ✓"})
    assert (first.data, second.data) == ({"echo": "hei"}, {"echo": "hej ✓"})
    assert parses.count(query) == 1


async def test_an_invalid_text_fails_every_time() -> None:
    query = "{ echo(text: 1) nothing }"
    for _ in range(3):
        result = await schema.execute(query)
        assert result.data is None
        assert result.errors is not None
        assert any("nothing" in e.message for e in result.errors)


async def test_a_text_valid_in_one_schema_is_still_checked_in_another() -> None:
    query = '{ echo(text: "x") }'
    assert (await schema.execute(query)).data == {"echo": "x"}
    result = await other.execute(query)
    assert result.errors is not None and result.data is None
    assert (await other.execute("{ other }")).data == {"other": "other"}


class NoEcho(ValidationRule):
    def enter_field(self, node: Any, *_: Any) -> None:
        if node.name.value == "echo":
            self.report_error(GraphQLError("echo is not allowed here"))


class StrictForSome(SchemaExtension):
    """A rule for some requests only (as a depth limit for anonymous callers would be)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        if (context.context or {}).get("strict"):
            context.validation_rules = (*context.validation_rules, NoEcho)
        yield


async def test_a_text_valid_under_fewer_rules_is_checked_under_more() -> None:
    ruled = strawberry.Schema(query=Query, extensions=[StrictForSome, DocumentCache])
    query = '{ echo(text: "y") }'
    assert (await ruled.execute(query, context_value={})).data == {"echo": "y"}
    result = await ruled.execute(query, context_value={"strict": True})
    assert result.errors is not None and "not allowed" in result.errors[0].message
    assert (await ruled.execute(query, context_value={})).data == {"echo": "y"}


async def test_unique_texts_do_not_grow_it_beyond_its_bound() -> None:
    for n in range(MAX_DOCUMENTS + 50):
        result = await schema.execute(f'{{ echo(text: "{n}") }}')
        assert result.data == {"echo": str(n)}
    assert len(document_cache._known) <= MAX_DOCUMENTS
