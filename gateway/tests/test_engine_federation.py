"""The federation engine on small fixture subgraphs (testing/fixture_subgraphs.py), one test per
feature, each answer compared with the answer written by hand."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from portal_gateway.testing.fixture_subgraphs import LOG, SUBGRAPHS, global_id


async def ask(client: httpx.AsyncClient, query: str, **extra: Any) -> dict[str, Any]:
    headers = {"X-Portal-Tenant": "jm", **extra.pop("headers", {})}
    response = await client.post("/graphql", json={"query": query, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_fixture_subgraphs_are_the_ones_served():
    assert set(SUBGRAPHS) == {
        "accounts",
        "products",
        "inventory",
        "reviews",
        "shipping",
        "media",
        "ratings",
        "legacy",
        "teams",
        "projects",
    }


async def test_root_fields_of_several_subgraphs_are_fetched_once_each(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(
            client, "{ me { name } top: topProducts(first: 2) { name } warehouseCount }"
        )
    assert answer == {
        "data": {
            "me": {"name": "Ada Lovelace"},
            "top": [{"name": "Table"}, {"name": "Chair"}],
            "warehouseCount": 3,
        }
    }
    assert [len(subgraphs[n].bodies) for n in ("accounts", "products", "inventory")] == [1, 1, 1]


async def test_entities_of_one_step_go_in_one_deduplicated_request(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ topProducts { upc inStock } }")
    assert answer == {
        "data": {
            "topProducts": [
                {"upc": "p1", "inStock": True},
                {"upc": "p2", "inStock": False},
                {"upc": "p1", "inStock": True},
                {"upc": "p3", "inStock": True},
            ]
        }
    }
    assert subgraphs["inventory"].entity_calls == [
        [
            {"__typename": "Product", "upc": "p1"},
            {"__typename": "Product", "upc": "p2"},
            {"__typename": "Product", "upc": "p3"},
        ]
    ]


async def test_a_composite_key_joins_both_ways(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(
            client,
            '{ shipments { id product { name carrier } } product(upc: "p2") { carrier } }',
        )
    assert answer == {
        "data": {
            "shipments": [
                {"id": "s1", "product": {"name": "Lamp", "carrier": "UPS"}},
                {"id": "s2", "product": {"name": "Table", "carrier": "DHL"}},
            ],
            "product": {"carrier": "Posten"},
        }
    }
    assert subgraphs["products"].entity_calls == [
        [
            {"__typename": "Product", "sku": "S3", "region": "us"},
            {"__typename": "Product", "sku": "S1", "region": "eu"},
        ]
    ]


async def test_requires_sends_the_required_fields_in_the_representation(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, '{ product(upc: "p2") { name shippingEstimate } }')
    assert answer == {"data": {"product": {"name": "Chair", "shippingEstimate": 10}}}
    assert subgraphs["inventory"].entity_calls == [
        [{"__typename": "Product", "upc": "p2", "price": 50, "weight": 5}]
    ]


async def test_provides_avoids_a_fetch_and_other_fields_still_join(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        provided = await ask(client, "{ reviews { id author { username } } }")
        assert subgraphs["accounts"].bodies == []
        joined = await ask(client, "{ reviews { id author { username name } } }")
    authors = [("r1", "ada"), ("r2", "alan"), ("r3", "ada")]
    assert provided == {
        "data": {"reviews": [{"id": r, "author": {"username": u}} for r, u in authors]}
    }
    names = {"ada": "Ada Lovelace", "alan": "Alan Turing"}
    assert joined == {
        "data": {
            "reviews": [{"id": r, "author": {"username": u, "name": names[u]}} for r, u in authors]
        }
    }
    assert len(subgraphs["accounts"].entity_calls) == 1


async def test_a_shareable_field_comes_from_the_subgraph_already_fetched(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ me { id username } }")
    assert answer == {"data": {"me": {"id": "u1", "username": "ada"}}}
    assert len(subgraphs["accounts"].bodies) == 1
    assert subgraphs["reviews"].bodies == []


async def test_an_overridden_field_comes_from_the_subgraph_that_took_it_over(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ me { name nickname } }")
    assert answer == {"data": {"me": {"name": "Ada Lovelace", "nickname": "nick-u1"}}}
    assert "nickname" not in subgraphs["accounts"].bodies[0]["query"]
    assert subgraphs["reviews"].entity_calls == [[{"__typename": "User", "id": "u1"}]]


async def test_a_union_spread_over_subgraphs(fixture_gateway):
    async with fixture_gateway() as (client, _):
        answer = await ask(
            client,
            """{ search { __typename
                 ... on Product { name inStock }
                 ... on User { name reviews { id } } } }""",
        )
    assert answer == {
        "data": {
            "search": [
                {"__typename": "Product", "name": "Chair", "inStock": False},
                {"__typename": "User", "name": "Alan Turing", "reviews": [{"id": "r2"}]},
            ]
        }
    }


async def test_an_interface_with_fields_of_its_implementations_elsewhere(fixture_gateway):
    async with fixture_gateway() as (client, _):
        answer = await ask(
            client, "{ named { name ... on Product { upc carrier } ... on Category { id } } }"
        )
    assert answer == {
        "data": {
            "named": [
                {"name": "Lamp", "upc": "p3", "carrier": "UPS"},
                {"name": "Furniture", "id": "c1"},
            ]
        }
    }


async def test_fragments_aliases_variables_skip_and_include(fixture_gateway):
    query = """
    query Q($upc: String!, $withStock: Boolean!, $noName: Boolean!) {
      one: product(upc: $upc) { ...Parts }
      two: product(upc: "p3") { label: name @skip(if: $noName) }
    }
    fragment Parts on Product { label: name stock: inStock @include(if: $withStock) }
    """
    async with fixture_gateway() as (client, _):
        first = await ask(
            client, query, variables={"upc": "p1", "withStock": True, "noName": False}
        )
        second = await ask(
            client, query, variables={"upc": "p2", "withStock": False, "noName": True}
        )
    assert first == {"data": {"one": {"label": "Table", "stock": True}, "two": {"label": "Lamp"}}}
    assert second == {"data": {"one": {"label": "Chair"}, "two": {}}}


async def test_mutations_run_in_document_order(fixture_gateway):
    LOG.clear()
    async with fixture_gateway() as (client, _):
        answer = await ask(
            client,
            """mutation { a: logInAccounts(value: "1") b: addReview(body: "2")
                          c: logInAccounts(value: "3") }""",
        )
    assert answer == {
        "data": {
            "a": ["accounts:1"],
            "b": ["accounts:1", "reviews:2"],
            "c": ["accounts:1", "reviews:2", "accounts:3"],
        }
    }


async def test_entity_errors_are_repathed_to_the_clients_paths(fixture_gateway):
    async with fixture_gateway() as (client, _):
        answer = await ask(client, '{ product(upc: "p2") { name reviews { id body } } }')
    assert answer == {
        "data": {
            "product": {
                "name": "Chair",
                "reviews": [{"id": "r2", "body": "Wobbly"}, {"id": "r3", "body": None}],
            }
        },
        "errors": [
            {"message": "review body is unavailable", "path": ["product", "reviews", 1, "body"]}
        ],
    }


async def test_a_null_in_a_subgraph_propagates_to_the_nearest_nullable_field(fixture_gateway):
    """Review.rating is non-null and null for r2: the subgraph nulls Product.reviews, which is
    non-null too, so the gateway answers product: null with the subgraph's error re-pathed."""
    async with fixture_gateway() as (client, _):
        answer = await ask(
            client, '{ product(upc: "p2") { name reviews { rating } } warehouseCount }'
        )
    assert answer == {
        "data": {"product": None, "warehouseCount": 3},
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Review.rating.",
                "path": ["product", "reviews", 0, "rating"],
            }
        ],
    }


async def test_a_failed_entity_fetch_nulls_up_to_a_nullable_parent(fixture_gateway):
    """Product.secret is String! from inventory; inventory fails: each product in
    [Product!]! is null, so topProducts, non-null, nulls the whole data."""
    token_scopes = {"scopes": ["products:secret"]}
    async with fixture_gateway() as (client, subgraphs):
        subgraphs["inventory"].mode = "fail"
        issuer = client.issuer  # type: ignore[attr-defined]
        answer = await ask(
            client,
            "{ topProducts(first: 2) { name secret } }",
            headers={"Authorization": f"Bearer {issuer.token(**token_scopes)}"},
        )
    assert answer["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (["topProducts", 0, "secret"], "SUBGRAPH_UNAVAILABLE"),
        (["topProducts", 1, "secret"], "SUBGRAPH_UNAVAILABLE"),
    ]
    assert answer["errors"][0]["message"] == "inventory service unavailable"


async def test_the_plan_is_shown_in_dev_mode_only(fixture_gateway):
    query = "{ topProducts { name inStock } }"
    header = {"X-Portal-Query-Plan": "1"}
    async with fixture_gateway(dev_mode=True) as (client, _):
        shown = await ask(client, query, headers=header)
    async with fixture_gateway() as (client, _):
        hidden = await ask(client, query, headers=header)
    plan = shown["extensions"]["queryPlan"]
    assert [f["subgraph"] for f in plan["stages"][0]] == ["products", "inventory"]
    assert plan["stages"][0][1]["path"] == ["topProducts"]
    assert "_entities" in plan["stages"][0][1]["document"]
    assert "extensions" not in hidden


async def test_identical_fetches_in_flight_for_one_principal_are_sent_once(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        subgraphs["accounts"].delay = 0.3  # keeps the first fetch in flight
        same = await asyncio.gather(*(ask(client, "{ me { name } }") for _ in range(3)))
        assert len(subgraphs["accounts"].bodies) == 1
        other_tenant = {"X-Portal-Tenant": "fb"}
        await asyncio.gather(
            ask(client, "{ me { name } }"), ask(client, "{ me { name } }", headers=other_tenant)
        )
        assert len(subgraphs["accounts"].bodies) == 3  # one per principal
    assert same == [{"data": {"me": {"name": "Ada Lovelace"}}}] * 3


async def test_requires_whose_fields_come_from_another_subgraph_waits_for_them(fixture_gateway):
    """reviews knows the product only by key; price and weight come from products; then
    inventory computes shippingEstimate from them."""
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ reviews { id product { shippingEstimate } } }")
    assert answer == {
        "data": {
            "reviews": [
                {"id": "r1", "product": {"shippingEstimate": 0}},
                {"id": "r2", "product": {"shippingEstimate": 10}},
                {"id": "r3", "product": {"shippingEstimate": 10}},
            ]
        }
    }
    assert subgraphs["products"].entity_calls == [
        [{"__typename": "Product", "upc": "p1"}, {"__typename": "Product", "upc": "p2"}]
    ]
    assert subgraphs["inventory"].entity_calls == [
        [
            {"__typename": "Product", "upc": "p1", "price": 100, "weight": 10},
            {"__typename": "Product", "upc": "p2", "price": 50, "weight": 5},
        ]
    ]


async def test_an_alias_named_like_a_key_field_does_not_break_the_join(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ topProducts(first: 2) { upc: name inStock } }")
        # The alias written after the join needs the key field too.
        after = await ask(client, "{ topProducts(first: 2) { inStock upc: name } }")
        # An alias named like a @requires field, and a key field fetched from elsewhere.
        required = await ask(
            client, '{ product(upc: "p2") { shippingEstimate price: name weight: upc } }'
        )
        nested = await ask(client, "{ shipments { product { carrier sku: name region: upc } } }")
    expected = {
        "data": {
            "topProducts": [{"upc": "Table", "inStock": True}, {"upc": "Chair", "inStock": False}]
        }
    }
    assert answer == expected
    assert after == {
        "data": {
            "topProducts": [{"inStock": True, "upc": "Table"}, {"inStock": False, "upc": "Chair"}]
        }
    }
    assert required == {
        "data": {"product": {"shippingEstimate": 10, "price": "Chair", "weight": "p2"}}
    }
    assert nested == {
        "data": {
            "shipments": [
                {"product": {"carrier": "UPS", "sku": "Lamp", "region": "p3"}},
                {"product": {"carrier": "DHL", "sku": "Table", "region": "p1"}},
            ]
        }
    }
    both = [{"__typename": "Product", "upc": "p1"}, {"__typename": "Product", "upc": "p2"}]
    assert subgraphs["inventory"].entity_calls[:2] == [both, both]
    assert subgraphs["inventory"].entity_calls[2] == [
        {"__typename": "Product", "upc": "p2", "price": 50, "weight": 5}
    ]


async def test_an_entity_whose_key_came_back_null_is_not_sent_and_its_fields_are_null(
    fixture_gateway,
):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ unregisteredShipments { id product { sku carrier name } } }")
    assert answer == {
        "data": {
            "unregisteredShipments": [
                {"id": "s9", "product": {"sku": None, "carrier": None, "name": None}}
            ]
        }
    }
    assert subgraphs["products"].bodies == []


async def test_an_interface_object_adds_a_field_to_every_implementation(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, "{ media { id title rating ... on Book { author } } }")
    assert answer == {
        "data": {
            "media": [
                {"id": "m1", "title": "Dune", "rating": 5, "author": "Herbert"},
                {"id": "m2", "title": "Emma", "rating": 4, "author": "Austen"},
            ]
        }
    }
    assert subgraphs["ratings"].entity_calls == [
        [{"__typename": "Media", "id": "m1"}, {"__typename": "Media", "id": "m2"}]
    ]


async def test_an_interface_object_returned_by_its_subgraph_gets_its_type_elsewhere(
    fixture_gateway,
):
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(
            client, "{ topRated { __typename id rating title ... on Book { author } } }"
        )
    assert answer == {
        "data": {
            "topRated": {
                "__typename": "Book",
                "id": "m1",
                "rating": 5,
                "title": "Dune",
                "author": "Herbert",
            }
        }
    }
    assert subgraphs["media"].entity_calls == [[{"__typename": "Media", "id": "m1"}]]


async def test_a_federation_1_subgraph_composed_beside_federation_2_ones(fixture_gateway):
    async with fixture_gateway() as (client, subgraphs):
        from_legacy = await ask(client, "{ legacyProducts { upc name legacyCode } }")
        into_legacy = await ask(client, "{ topProducts(first: 2) { upc legacyCode } }")
    assert from_legacy == {
        "data": {
            "legacyProducts": [
                {"upc": "p1", "name": "Table", "legacyCode": "L-1"},
                {"upc": "p3", "name": "Lamp", "legacyCode": "L-3"},
            ]
        }
    }
    assert into_legacy == {
        "data": {
            "topProducts": [{"upc": "p1", "legacyCode": "L-1"}, {"upc": "p2", "legacyCode": None}]
        }
    }
    assert subgraphs["legacy"].entity_calls == [
        [{"__typename": "Product", "upc": "p1"}, {"__typename": "Product", "upc": "p2"}]
    ]


async def test_requires_on_a_field_with_arguments(fixture_gateway):
    query = """query($c: String!) { product(upc: "p1") {
        nok: shippingCost(currency: "NOK") other: shippingCost(currency: $c) shippingCost } }"""
    async with fixture_gateway() as (client, subgraphs):
        answer = await ask(client, query, variables={"c": "SEK"})
    assert answer == {
        "data": {"product": {"nok": "10 NOK", "other": "10 SEK", "shippingCost": "10 EUR"}}
    }
    assert subgraphs["inventory"].entity_calls == [
        [{"__typename": "Product", "upc": "p1", "price": 100}]
    ]
    assert subgraphs["inventory"].bodies[0]["variables"]["c"] == "SEK"


NODE_QUERY = """query($id: ID!) { node(id: $id) {
    __typename id
    ... on Team { name projects { title } }
    ... on Project { title team { name } }
} }"""


async def test_node_asks_the_subgraphs_resolving_it_and_joins_the_type_that_comes_back(
    fixture_gateway,
):
    team, project = global_id("Team", "t1"), global_id("Project", "x3")
    async with fixture_gateway() as (client, subgraphs):
        of_team = await ask(client, NODE_QUERY, variables={"id": team})
        of_project = await ask(client, NODE_QUERY, variables={"id": project})
    assert of_team == {
        "data": {
            "node": {
                "__typename": "Team",
                "id": team,
                "name": "Platform",
                "projects": [{"title": "Gateway"}, {"title": "Composer"}],
            }
        }
    }
    assert of_project == {
        "data": {
            "node": {
                "__typename": "Project",
                "id": project,
                "title": "Lab",
                "team": {"name": "Research"},
            }
        }
    }
    # The gateway does not read the id: both subgraphs' own `node` answer (each for its own
    # type), and what another subgraph adds to the type comes through `_entities`.
    for name in ("teams", "projects"):
        asked = [b["variables"] for b in subgraphs[name].bodies if "node(" in b["query"]]
        assert asked == [{"id": team}, {"id": project}]
    assert subgraphs["projects"].entity_calls == [[{"__typename": "Team", "id": team}]]
    assert subgraphs["teams"].entity_calls == [
        [{"__typename": "Team", "id": global_id("Team", "t2")}]
    ]


async def test_node_with_an_unknown_id_answers_null(fixture_gateway):
    unknown = [
        global_id("Team", "t9"),  # a type that exists, an id that does not
        global_id("Product", "p1"),  # a type that is no Node
        "not a global id",
        global_id("Team", ""),
    ]
    by_variable = "query($id: ID!) { node(id: $id) { id ... on Team { name } } }"
    bare_id = "query($id: ID!) { node(id: $id) { id } }"
    async with fixture_gateway() as (client, subgraphs):
        answers = [await ask(client, by_variable, variables={"id": i}) for i in unknown]
        bare = await ask(client, bare_id, variables={"id": global_id("Project", "x9")})
        known = await ask(client, bare_id, variables={"id": global_id("Project", "x1")})
    assert answers == [{"data": {"node": None}}] * len(unknown)
    assert bare == {"data": {"node": None}}
    assert known == {"data": {"node": {"id": global_id("Project", "x1")}}}
    asked = [b["variables"]["id"] for b in subgraphs["teams"].bodies if "node(" in b["query"]]
    assert asked[: len(unknown)] == unknown  # every id, as the client sent it
    assert subgraphs["products"].bodies == []


async def test_node_beside_other_root_fields_and_with_aliases(fixture_gateway):
    project, team = global_id("Project", "x2"), global_id("Team", "t3")
    query = (  # ids written in the document this time
        f'{{ a: node(id: "{project}") {{ ... on Project {{ title }} }} '
        f'b: node(id: "{team}") {{ ... on Team {{ label: name }} }} me {{ name }} }}'
    )
    async with fixture_gateway() as (client, _):
        answer = await ask(client, query)
    assert answer == {
        "data": {
            "a": {"title": "Composer"},
            "b": {"label": "Archive"},
            "me": {"name": "Ada Lovelace"},
        }
    }


async def test_an_inaccessible_enum_value_is_not_in_the_api_schema_and_answers_null(
    fixture_gateway,
):
    async with fixture_gateway(dev_mode=True) as (client, _):
        values = await ask(client, '{ __type(name: "TeamStatus") { enumValues { name } } }')
        answer = await ask(client, "{ teams { name status } }")
        strict = await ask(client, "{ teams { name strictStatus } }")
        literal = await client.post(
            "/graphql",
            json={"query": "{ teams(status: SECRET) { name } }"},
            headers={"X-Portal-Tenant": "jm"},
        )
        variable = await client.post(
            "/graphql",
            json={
                "query": "query($s: TeamStatus) { teams(status: $s) { name } }",
                "variables": {"s": "SECRET"},
            },
            headers={"X-Portal-Tenant": "jm"},
        )
    assert values == {
        "data": {"__type": {"enumValues": [{"name": "ACTIVE"}, {"name": "ARCHIVED"}]}}
    }
    message = "Enum 'TeamStatus' cannot represent value: 'SECRET'"
    assert answer == {
        "errors": [{"message": message, "path": ["teams", 1, "status"]}],
        "data": {
            "teams": [
                {"name": "Platform", "status": "ACTIVE"},
                {"name": "Research", "status": None},
                {"name": "Archive", "status": "ARCHIVED"},
            ]
        },
    }
    # In a non-null position the null propagates to the nearest nullable parent.
    assert strict == {
        "errors": [{"message": message, "path": ["teams", 1, "strictStatus"]}],
        "data": None,
    }
    assert literal.status_code == 400
    assert literal.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "SECRET" in literal.json()["errors"][0]["message"]
    assert variable.status_code == 400
    assert variable.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
