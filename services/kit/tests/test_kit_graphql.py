"""Shared GraphQL helpers: opaque cursors, page sizes, user errors, connections."""

from __future__ import annotations

import asyncio
import base64
import gc
import weakref

import orjson
import pytest
import strawberry
from graphql import GraphQLError
from hypothesis import example, given
from hypothesis import strategies as st
from portal_kit.domain import DomainError, NotFound, ValidationFailed
from portal_kit.graphql import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Execution,
    InvalidCursor,
    connection,
    decode_cursor,
    decode_keyset,
    empty_connection,
    encode_cursor,
    page_size,
    user_errors,
)
from portal_kit.repository import after_keyset

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50),
)


@given(scalars, st.text(max_size=40))
def test_cursor_roundtrip(value: object, last_id: str) -> None:
    cursor = encode_cursor([value, last_id])
    assert decode_cursor(cursor) == [value, last_id]
    assert cursor.isascii()


def _raw_cursor(values: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode()


def keyset_filter(sort_field: str, after: str | None) -> dict[str, object]:
    """The filter a repository builds from a client's cursor."""
    return after_keyset(sort_field, decode_keyset(after))


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "!!!!",
        "é",
        "\x00",
        "a" * 1000,
        _raw_cursor([1]),
        _raw_cursor([1, 2, 3]),
        _raw_cursor({"a": 1}),
        _raw_cursor("text"),
        _raw_cursor(None),
        _raw_cursor([{"$ne": None}, "x"]),
        _raw_cursor(["x", {"$gt": ""}]),
        _raw_cursor([["nested"], "x"]),
        base64.urlsafe_b64encode(b"\xff\xfe[1,2]").decode(),
    ],
)
def test_garbage_cursor_is_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT"}
    with pytest.raises(InvalidCursor):
        keyset_filter("name_key", cursor)


@given(st.text(max_size=200))
@example("W3siJG5lIjpudWxsfSwieCJd")  # [{"$ne":null},"x"]
def test_any_text_is_a_cursor_of_two_scalars_or_invalid(cursor: str) -> None:
    try:
        values = decode_cursor(cursor)
    except InvalidCursor:
        return
    assert len(values) == 2
    assert all(not isinstance(v, dict | list) for v in values)


def test_keyset_filter() -> None:
    assert keyset_filter("name_key", None) == {}
    assert keyset_filter("name_key", encode_cursor(["smith", "u-9"])) == {
        "$or": [
            {"name_key": {"$gt": "smith"}},
            {"name_key": "smith", "_id": {"$gt": "u-9"}},
        ]
    }


@pytest.mark.parametrize(
    ("first", "expected"), [(None, DEFAULT_PAGE), (0, 0), (1, 1), (MAX_PAGE, MAX_PAGE)]
)
def test_page_size_within_bounds(first: int | None, expected: int) -> None:
    assert page_size(first) == expected


@pytest.mark.parametrize("first", [-1, MAX_PAGE + 1, 10**9])
def test_page_size_out_of_bounds(first: int) -> None:
    with pytest.raises(GraphQLError) as raised:
        page_size(first)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT"}


def test_user_errors() -> None:
    [single] = user_errors(NotFound("no such order", field="id"))
    assert (single.field, single.code, single.message) == ("id", "NOT_FOUND", "no such order")
    several = user_errors(
        ValidationFailed(
            [DomainError("too long", field="name"), DomainError("bad", field="email", code="X")]
        )
    )
    assert [(e.field, e.code) for e in several] == [("name", "INVALID"), ("email", "X")]


def test_connection_page_info() -> None:
    page = connection(["a", "b"], ["c1", "c2"], has_next=True, has_previous=False, total=5)
    assert [(e.node, e.cursor) for e in page.edges] == [("a", "c1"), ("b", "c2")]
    assert page.page_info.start_cursor == "c1"
    assert page.page_info.end_cursor == "c2"
    assert page.page_info.has_next_page
    assert page.total_count == 5
    empty = empty_connection()
    assert empty.edges == []
    assert empty.page_info.start_cursor is None
    assert empty.total_count == 0


def test_a_descending_keyset_continues_below_the_cursor() -> None:
    after = decode_keyset(encode_cursor(["2024-09-05", "o-7"]))
    assert after_keyset("ordered_at", after, descending=True) == {
        "$or": [
            {"ordered_at": {"$lt": "2024-09-05"}},
            {"ordered_at": "2024-09-05", "_id": {"$lt": "o-7"}},
        ]
    }


class _Context:
    """Something a request's context holds, to see when it goes."""


@strawberry.type
class _Query:
    @strawberry.field
    async def greeting(self, info: strawberry.Info) -> str:
        await asyncio.sleep(0)
        return "hei"


# An answer with a resolver's error is left out: its traceback holds the executor's frames
# until Strawberry has logged it, a cycle only the collector ends (errors are rare).
@pytest.mark.parametrize("query", ["{ greeting }", "{ greeting other: greeting }"])
@pytest.mark.parametrize("releasing", [True, False])
async def test_an_answered_request_leaves_nothing_for_the_cyclic_collector(
    query: str, releasing: bool
) -> None:
    schema = strawberry.Schema(
        query=_Query, execution_context_class=Execution if releasing else None
    )
    gc.collect()
    gc.disable()
    try:
        context = _Context()
        gone = weakref.ref(context)
        result = await schema.execute(query, context_value=context)
        del context
        # Freed when the answer is, by reference counting alone (or, without Execution,
        # only by the collector: the reference this test stands on).
        assert (gone() is None) is releasing
        assert result.errors is None and result.data is not None
        assert result.data["greeting"] == "hei"
    finally:
        gc.enable()
