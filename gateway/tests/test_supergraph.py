"""The supergraph of our four subgraphs, and what the gateway makes of a supergraph."""

from __future__ import annotations

import pytest
from graphql import NonNullTypeNode, ObjectTypeDefinitionNode, parse, print_ast, print_schema
from portal_gateway.composition import SUPERGRAPH, CompositionFailed, compose, our_subgraphs
from portal_gateway.federation.supergraph import UnsupportedSupergraph, read_supergraph
from portal_gateway.subgraph_sdl import without_federation_internals


def test_the_committed_supergraph_is_composed_from_the_current_subgraphs():
    """Fails when a subgraph's schema changed and `make supergraph` was not run."""
    assert SUPERGRAPH.read_text(encoding="utf-8") == compose(our_subgraphs()), (
        "deploy/supergraph.graphql is stale: run `make supergraph`"
    )


def test_the_committed_supergraph_serves_an_api_schema_without_federation_internals():
    supergraph = read_supergraph(SUPERGRAPH.read_text(encoding="utf-8"))
    assert set(supergraph.graphs) == {"people", "orders", "tickets", "billing"}
    api = print_schema(supergraph.schema)
    for internal in ("join__", "link__", "@link", "_entities", "_Any", "@shareable", "@key"):
        assert internal not in api
    query = supergraph.schema.query_type
    assert query is not None
    assert {"me", "tenants", "orders", "tickets", "invoices"} <= set(query.fields)


def test_every_query_field_outside_people_is_nullable():
    """A user with a first login pending is served by people only, and any service may be down:
    a non-null root field of another service would null the whole answer, `me` with it."""
    document = parse(SUPERGRAPH.read_text(encoding="utf-8"))
    query = next(
        d
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Query"
    )
    outside_people = []
    for field in query.fields or ():
        graphs = {
            print_ast(argument.value)
            for directive in field.directives or ()
            if directive.name.value == "join__field"
            for argument in directive.arguments
            if argument.name.value == "graph"
        }
        if graphs and "PEOPLE" not in graphs:
            outside_people.append(field.name.value)
            assert not isinstance(field.type, NonNullTypeNode), field.name.value
    assert {"orders", "orderBundles", "tickets", "invoices"} <= set(outside_people)


def test_composition_errors_name_the_problem():
    a = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n'
    with pytest.raises(CompositionFailed, match="Money"):
        compose(
            [
                {
                    "name": "a",
                    "url": "http://a",
                    "sdl": a + "type Money { n: Int } type Query { x: Money }",
                },
                {
                    "name": "b",
                    "url": "http://b",
                    "sdl": a + "type Money { n: Int } type Query { y: Money }",
                },
            ]
        )


SUBGRAPH = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [{}])\n'


def supergraph_of(sdl: str, imports: str = '"@key"') -> str:
    return compose([{"name": "a", "url": "http://a", "sdl": SUBGRAPH.format(imports) + sdl}])


def test_inaccessible_elements_are_not_in_the_api_schema():
    supergraph = read_supergraph(
        supergraph_of(
            """type Query { a: Int, hidden: Int @inaccessible, b(x: Int @inaccessible): Int }
               enum Color { RED BLUE @inaccessible }
               type Thing @inaccessible { n: Int }""",
            '"@key", "@inaccessible"',
        )
    )
    api = print_schema(supergraph.schema)
    assert "hidden" not in api and "BLUE" not in api and "Thing" not in api
    assert "b: Int" in api and "RED" in api


def test_a_supergraph_the_gateway_cannot_serve_is_refused_naming_the_element():
    """@fromContext is not served yet: the gateway says so at start-up, naming the field."""
    sdl = SUBGRAPH.format('"@key", "@context", "@fromContext"') + (
        'type Query { t: T } type T @key(fields: "id") @context(name: "ctx") '
        "{ id: ID! prop: String! u: U! } "
        'type U @key(fields: "id") { id: ID! '
        'field(a: String @fromContext(field: "$ctx { prop }")): Int! }'
    )
    supergraph = compose([{"name": "a", "url": "http://a", "sdl": sdl}])
    with pytest.raises(UnsupportedSupergraph, match=r"U\.field: @fromContext"):
        read_supergraph(supergraph)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("type Query { a: Int }", "schema"),
        ("not graphql at all {", "does not parse"),
    ],
)
def test_a_document_that_is_no_supergraph_is_refused(text, named):
    with pytest.raises(UnsupportedSupergraph, match=named):
        read_supergraph(text)


def test_an_unknown_execution_feature_is_refused():
    supergraph = supergraph_of("type Query { a: Int }").replace(
        '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION) '
        '@link(url: "https://specs.example.com/teleport/v1.0", for: EXECUTION)',
    )
    with pytest.raises(UnsupportedSupergraph, match="teleport"):
        read_supergraph(supergraph)


def test_federation_entry_points_are_left_out_of_subgraph_sdl():
    sdl = without_federation_internals(
        """type Query { _entities(representations: [_Any!]!): [_Entity]!
                        _service: _Service! a: Int }
           scalar _Any union _Entity = T type _Service { sdl: String! } type T { a: Int }"""
    )
    assert "_entities" not in sdl and "_Any" not in sdl and "_Service" not in sdl
    assert "a: Int" in sdl
