"""Values stored by the orders repository read back equal to what was stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum

from hypothesis import given
from hypothesis import strategies as st
from portal_orders.adapters.codec import decode, encode


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Leaf:
    name: str
    colour: Colour
    on: date | None


@dataclass(frozen=True)
class Node:
    leaves: tuple[Leaf, ...]
    at: datetime
    parent: Node | None = None
    count: int | None = None


leaves = st.builds(
    Leaf,
    name=st.text(max_size=5),
    colour=st.sampled_from(Colour),
    on=st.none() | st.dates(),
)
nodes = st.recursive(
    st.builds(
        Node,
        leaves=st.lists(leaves, max_size=3).map(tuple),
        at=st.datetimes(timezones=st.just(UTC)),
        count=st.none() | st.integers(),
    ),
    lambda children: st.builds(
        Node,
        leaves=st.lists(leaves, max_size=2).map(tuple),
        at=st.datetimes(timezones=st.just(UTC)),
        parent=children,
    ),
    max_leaves=4,
)


@given(nodes)
def test_a_value_reads_back_equal(node: Node) -> None:
    assert decode(Node, encode(node)) == node


@given(st.lists(nodes, max_size=3))
def test_a_list_of_values_reads_back_equal(found: list[Node]) -> None:
    assert decode(list[Node], encode(found)) == found


def test_missing_and_null_fields_read_as_their_defaults_or_none() -> None:
    at = datetime(2026, 12, 2, tzinfo=UTC)
    stored = {"leaves": None, "at": at}
    assert decode(Node, stored) == Node(leaves=(), at=at)
    assert decode(Node | None, None) is None
