"""Property-based: every valid query generated from a supergraph's API schema plans, and its
plan passes the plan check (no cycle, `@requires` inputs produced earlier, every document valid
against its subgraph's own schema) — on each conformance scenario, the fixture subgraphs and our
own platform's supergraph. A composed supergraph is satisfiable, so a query that does not plan
is a planner bug."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, queries
from portal_gateway.composition import SUPERGRAPH
from portal_gateway.federation.operation import normalize
from portal_gateway.federation.planner import Planner
from portal_gateway.federation.supergraph import read_supergraph
from portal_gateway.federation.validation import check_plan
from portal_gateway.testing.conformance import SCENARIOS, supergraph_of


def check_every_plan(sdl: str, examples: int) -> None:
    supergraph = read_supergraph(sdl)
    planner = Planner(supergraph)
    schemas = supergraph.subgraph_schemas

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(document=queries(supergraph.schema, mode=Mode.POSITIVE))
    def plans(document: str) -> None:
        operation = parse(document).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        root, fields = normalize(supergraph.schema, operation, {}, {}, lambda *_: None)
        check_plan(planner.plan(operation, root, fields), schemas)

    plans()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_query_of_a_scenario_plans_validly(scenario):
    check_every_plan(supergraph_of(scenario), 60)


def test_every_query_of_the_fixture_subgraphs_plans_validly(fixture_supergraph):
    check_every_plan(fixture_supergraph, 100)


def test_every_query_of_the_platform_plans_validly():
    check_every_plan(SUPERGRAPH.read_text(encoding="utf-8"), 100)
