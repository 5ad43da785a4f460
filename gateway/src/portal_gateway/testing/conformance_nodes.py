"""The `nodes` conformance scenario (issue 11 class 14): `Query.node(id:)` and `nodes(ids:)`
over a `Node` interface that two subgraphs implement, with plain (not base64) ids.

- staff: `Person implements Node` (name, `buddy: Node!`), and an `@inaccessible`
  `Secret implements Node` that is not in the API schema, also the only implementation of
  `Sealed` (`sealed`, `strictSealed: Sealed!`); `node` and `nodes` (`@shareable`).
- rooms: `Room implements Node` (label); `node` and `nodes` too (`@shareable`).
- badges: adds `Person.badge: String!` (none for person-3: the subgraph's own non-null error).

Each subgraph's `node` knows only its own types (null for any other id), as where each
service answers for its own objects.
"""

from __future__ import annotations

import strawberry

PEOPLE = {
    "person-1": ("Ada", "person-2"),
    "person-2": ("Alan", "secret-1"),
    "person-3": ("Grace", "person-1"),
}
ROOMS = {"room-1": "Library", "room-2": "Workshop"}
SECRETS = {"secret-1": "the launch codes"}
BADGES = {"person-1": "B-1", "person-2": "B-2"}


@strawberry.interface(name="Node")
class StaffNode:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Person")
class StaffPerson(StaffNode):
    name: str

    @strawberry.field
    def buddy(self) -> StaffNode:
        return staff_node(PEOPLE[self.id][1])  # type: ignore[return-value]


@strawberry.interface(name="Sealed")
class Sealed:
    """An interface whose only implementation is not in the API schema."""

    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Secret", inaccessible=True)
class StaffSecret(StaffNode, Sealed):
    text: str


def staff_node(id: str) -> StaffNode | None:
    if id in PEOPLE:
        return StaffPerson(id=strawberry.ID(id), name=PEOPLE[id][0])
    if id in SECRETS:
        return StaffSecret(id=strawberry.ID(id), text=SECRETS[id])
    return None


@strawberry.type
class StaffQuery:
    @strawberry.federation.field(shareable=True)
    def node(self, id: strawberry.ID) -> StaffNode | None:
        return staff_node(str(id))

    @strawberry.federation.field(shareable=True)
    def nodes(self, ids: list[strawberry.ID]) -> list[StaffNode | None]:
        return [staff_node(str(i)) for i in ids]

    @strawberry.field
    def sealed(self) -> Sealed | None:
        return StaffSecret(id=strawberry.ID("secret-1"), text=SECRETS["secret-1"])

    @strawberry.field
    def strict_sealed(self) -> Sealed:
        return StaffSecret(id=strawberry.ID("secret-1"), text=SECRETS["secret-1"])


staff = strawberry.federation.Schema(query=StaffQuery, types=[StaffPerson, StaffSecret])


@strawberry.interface(name="Node")
class RoomsNode:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Room")
class RoomsRoom(RoomsNode):
    label: str | None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RoomsRoom | None:
        return rooms_node(str(id))


def rooms_node(id: str) -> RoomsRoom | None:
    return RoomsRoom(id=strawberry.ID(id), label=ROOMS[id]) if id in ROOMS else None


@strawberry.type
class RoomsQuery:
    @strawberry.federation.field(shareable=True)
    def node(self, id: strawberry.ID) -> RoomsNode | None:
        return rooms_node(str(id))

    @strawberry.federation.field(shareable=True)
    def nodes(self, ids: list[strawberry.ID]) -> list[RoomsNode | None]:
        return [rooms_node(str(i)) for i in ids]


rooms = strawberry.federation.Schema(query=RoomsQuery, types=[RoomsRoom])


@strawberry.federation.type(keys=["id"], name="Person")
class BadgesPerson:
    id: strawberry.ID

    @strawberry.field
    def badge(self) -> str:
        return BADGES.get(str(self.id))  # type: ignore[return-value]  # None: a non-null error

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> BadgesPerson:
        return BadgesPerson(id=id)


@strawberry.type
class BadgesQuery:
    @strawberry.field
    def badge_count(self) -> int:
        return len(BADGES)


badges = strawberry.federation.Schema(query=BadgesQuery, types=[BadgesPerson])

NODES = {"staff": staff, "rooms": rooms, "badges": badges}
