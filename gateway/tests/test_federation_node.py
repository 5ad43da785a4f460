"""`Query.node(id:)` and `nodes(ids:)` (issue 11 class 14): routed like any root field of an
interface type, to the subgraphs that resolve them, which answer with the object's type; the
fields of that type come by type condition (from other subgraphs by key). Ids are the
subgraphs' business: plain ids are sent as they are, never decoded by the gateway. On the
`nodes` scenario (portal_gateway.testing.conformance_nodes): `node` shared by staff (Person,
an `@inaccessible` Secret) and rooms (Room), `Person.badge` from badges.

What Hive Gateway answers on the same scenario was checked by hand (a test-only script): it also
asks both subgraphs of the shared `node`, each for the types it returns, and an object of a type
the API schema lacks answers null (with an error only where the null propagates)."""

from __future__ import annotations

from typing import Any

import httpx


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"X-Portal-Tenant": "jm"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


NODE = """query($id: ID!) { node(id: $id) {
    __typename id ... on Person { name badge } ... on Room { label } } }"""


def node_calls(recorded: Any) -> list[dict[str, Any]]:
    return [b["variables"] for b in recorded.bodies if "representations" not in b["variables"]]


async def test_each_subgraph_is_asked_for_the_types_it_returns(scenario_gateway):
    async with scenario_gateway("nodes") as (client, subgraphs):
        person = await ask(client, NODE, id="person-1")
        staff_query = subgraphs["staff"].bodies[0]["query"]
        rooms_query = subgraphs["rooms"].bodies[0]["query"]
        room = await ask(client, NODE, id="room-1")
    assert person == {
        "data": {"node": {"__typename": "Person", "id": "person-1", "name": "Ada", "badge": "B-1"}}
    }
    assert room == {"data": {"node": {"__typename": "Room", "id": "room-1", "label": "Library"}}}
    # The plain id goes to both subgraphs resolving `node`, as the client sent it; each is asked
    # only for the type it has, and the one that does not know the id answers null.
    assert node_calls(subgraphs["staff"]) == [{"id": "person-1"}, {"id": "room-1"}]
    assert node_calls(subgraphs["rooms"]) == [{"id": "person-1"}, {"id": "room-1"}]
    assert "Person" in staff_query and "Room" not in staff_query
    assert "Room" in rooms_query and "Person" not in rooms_query
    # Person's badge lives in badges: an entity fetch by key, for the person only.
    assert subgraphs["badges"].entity_calls == [[{"__typename": "Person", "id": "person-1"}]]


async def test_an_unknown_id_answers_null(scenario_gateway):
    async with scenario_gateway("nodes") as (client, subgraphs):
        answer = await ask(client, NODE, id="nobody")
    assert answer == {"data": {"node": None}}
    assert node_calls(subgraphs["staff"]) == node_calls(subgraphs["rooms"]) == [{"id": "nobody"}]
    assert subgraphs["badges"].bodies == []


async def test_a_type_the_api_schema_lacks_answers_null_without_showing_it(scenario_gateway):
    query = "query($id: ID!) { node(id: $id) { __typename id } }"
    async with scenario_gateway("nodes") as (client, subgraphs):
        answer = await ask(client, query, id="secret-1")
    # staff answers a Secret (`@inaccessible`): not shown, not even its id or type.
    assert answer == {"data": {"node": None}}
    assert node_calls(subgraphs["staff"]) == [{"id": "secret-1"}]


async def test_a_hidden_type_in_a_non_null_position_propagates_to_the_nullable_parent(
    scenario_gateway,
):
    query = """query($id: ID!) { node(id: $id) {
        id ... on Person { name buddy { id ... on Person { name } } } } }"""
    async with scenario_gateway("nodes") as (client, _):
        visible = await ask(client, query, id="person-1")
        hidden = await ask(client, query, id="person-2")  # Alan's buddy is a Secret
    assert visible == {
        "data": {
            "node": {"id": "person-1", "name": "Ada", "buddy": {"id": "person-2", "name": "Alan"}}
        }
    }
    assert hidden == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Person.buddy.",
                "path": ["node", "buddy"],
            }
        ],
        "data": {"node": None},
    }


async def test_a_subgraphs_non_null_error_in_an_entity_fetch_nulls_the_node(scenario_gateway):
    async with scenario_gateway("nodes") as (client, _):
        answer = await ask(client, NODE, id="person-3")  # badges has no badge for Grace
    assert answer["data"] == {"node": None}
    assert [e["path"] for e in answer["errors"]] == [["node", "badge"]]
    assert "non-nullable field Person.badge" in answer["errors"][0]["message"]


async def test_nodes_merges_the_subgraphs_answers_item_by_item(scenario_gateway):
    query = """query($ids: [ID!]!) { nodes(ids: $ids) {
        id ... on Person { name } ... on Room { label } } }"""
    ids = ["person-1", "room-2", "secret-1", "nobody", "room-1"]
    async with scenario_gateway("nodes") as (client, subgraphs):
        answer = await ask(client, query, ids=ids)
    assert answer == {
        "data": {
            "nodes": [
                {"id": "person-1", "name": "Ada"},
                {"id": "room-2", "label": "Workshop"},
                None,
                None,
                {"id": "room-1", "label": "Library"},
            ]
        }
    }
    assert node_calls(subgraphs["staff"]) == node_calls(subgraphs["rooms"]) == [{"ids": ids}]


async def test_only_one_type_asked_for_still_asks_the_other_subgraph_for_its_objects(
    scenario_gateway,
):
    # A person selects nothing here, yet it is an object: `{}`, not null.
    query = "query($id: ID!) { node(id: $id) { ... on Room { label } } }"
    async with scenario_gateway("nodes") as (client, _):
        person = await ask(client, query, id="person-1")
        room = await ask(client, query, id="room-2")
        nobody = await ask(client, query, id="nobody")
    assert person == {"data": {"node": {}}}
    assert room == {"data": {"node": {"label": "Workshop"}}}
    assert nobody == {"data": {"node": None}}


async def test_an_interface_with_no_implementation_in_the_api_schema(scenario_gateway):
    # Sealed's only implementation is the inaccessible Secret: the subgraph is still asked for
    # what the client selected, and the object answers null; where the field is non-null the
    # null propagates to the root with the error at its path.
    async with scenario_gateway("nodes") as (client, subgraphs):
        nullable = await ask(client, "{ sealed { id } }")
        sent = subgraphs["staff"].bodies[0]["query"]
        strict = await ask(client, "{ strictSealed { id } badgeCount }")
    assert nullable == {"data": {"sealed": None}}
    assert "id" in sent
    assert strict == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Query.strictSealed.",
                "path": ["strictSealed"],
            }
        ],
        "data": None,
    }
