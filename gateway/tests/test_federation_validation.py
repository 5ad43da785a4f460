"""The plan-validity check (federation/validation.py) finds each kind of broken plan: a cycle,
a representation read with a field no earlier fetch selects, a document the subgraph's own
schema refuses. Every gateway test runs with it on (conftest: `check_plans`)."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse
from portal_gateway.federation.operation import normalize
from portal_gateway.federation.plan import Plan
from portal_gateway.federation.planner import Planner
from portal_gateway.federation.supergraph import read_supergraph, subgraph_schemas
from portal_gateway.federation.validation import InvalidPlan, check_plan
from portal_gateway.testing.conformance import supergraph_of


@pytest.fixture(scope="module")
def scenario():
    sdl = supergraph_of("requires")
    return read_supergraph(sdl), subgraph_schemas(sdl)


def plan_of(supergraph, query: str) -> Plan:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root, fields = normalize(supergraph.schema, operation, {}, {}, lambda *_: None)
    return Planner(supergraph).plan(operation, root, fields)


def test_a_good_plan_passes(scenario):
    supergraph, schemas = scenario
    check_plan(plan_of(supergraph, "{ items { level heavy label area usd code } }"), schemas)


def test_a_cycle_is_found(scenario):
    supergraph, schemas = scenario
    plan = plan_of(supergraph, "{ items { heavy } }")
    _, *rest = plan.stages[0]
    rest[0].depends.append(rest[-1])
    rest[-1].depends.append(rest[0])
    with pytest.raises(InvalidPlan, match="cycle"):
        check_plan(plan, schemas)


def test_a_required_field_no_earlier_fetch_selects_is_found(scenario):
    supergraph, schemas = scenario
    plan = plan_of(supergraph, "{ items { heavy } }")
    pricing = next(f for f in plan.stages[0] if f.graph == "pricing")
    pricing.depends = [f for f in pricing.depends if f.graph != "stock"]
    with pytest.raises(InvalidPlan, match=r"reads Item.weight at items"):
        check_plan(plan, schemas)


def test_a_document_the_subgraph_would_refuse_is_found(scenario):
    supergraph, schemas = scenario
    plan = plan_of(supergraph, "{ items { name } }")
    plan.stages[0][0].document = "query { items { name level } }"  # level is stock's
    with pytest.raises(InvalidPlan, match="Cannot query field 'level' on type 'Item'"):
        check_plan(plan, schemas)
