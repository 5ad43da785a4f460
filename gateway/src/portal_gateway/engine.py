"""One GraphQL request through the federation engine: parse, validate, limit, plan (cached),
execute, shape. Request errors (bad document, unknown operation, wrong variables, limits)
answer before any subgraph is called."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from opentelemetry import trace
from portal_kit.principal import Principal

from portal_gateway import metrics
from portal_gateway.errors import BAD_REQUEST
from portal_gateway.federation.executor import Executor, Transport
from portal_gateway.federation.operation import normalize, skip_include_variables
from portal_gateway.federation.plan import Plan, PlanningError
from portal_gateway.federation.planner import Planner
from portal_gateway.federation.response import Shaper
from portal_gateway.federation.supergraph import Supergraph, subgraph_schemas
from portal_gateway.federation.validation import InvalidPlan, check_plan
from portal_gateway.limits import LimitExceeded, Limits, check_cost, check_document
from portal_gateway.policy import POLICIES, PolicyFunction, Profile, access_check, profile

TRACER = trace.get_tracer("portal.gateway")  # the process's global provider
log = logging.getLogger("portal.gateway.engine")

INTROSPECTION = frozenset({"__schema", "__type"})
PLAN_HIT = metrics.PLAN_CACHE.labels("hit")


class RequestError(Exception):
    """The request cannot be executed; nothing was sent to a subgraph."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


@dataclass
class Document:
    node: DocumentNode
    operations: dict[str | None, OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]
    switches: tuple[str, ...]
    within_limits: set[str | None] = field(default_factory=set)  # operations checked


class LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class Engine:
    def __init__(
        self,
        supergraph: Supergraph,
        *,
        limits: Limits | None = None,
        policies: Mapping[str, PolicyFunction] | None = None,
        dev_mode: bool = False,
        max_tokens: int = 10_000,
        cache_size: int = 1000,
        deadline_seconds: float | None = None,
        check_plans: bool | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.tracer = tracer or TRACER
        self.supergraph = supergraph
        self.schema = supergraph.schema
        self.planner = Planner(supergraph)
        self.limits = limits or Limits()
        self.policies = dict(POLICIES if policies is None else policies)
        self.dev_mode = dev_mode
        self.max_tokens = max_tokens
        self.deadline_seconds = deadline_seconds  # a request's bound (None: unbounded)
        # Each new plan checked before it runs (validation.py): in dev mode and in tests.
        self.check_plans = dev_mode if check_plans is None else check_plans
        self._subgraph_schemas: dict[str, GraphQLSchema] | None = None
        self._documents = LRU(cache_size)
        self._plans = LRU(cache_size)

    # -- document ----------------------------------------------------------------------------

    def document(self, query: str) -> Document:
        cached = self._documents.get_fresh(query)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        try:
            node = parse(query, max_tokens=self.max_tokens, no_location=False)
        except GraphQLError as error:
            raise RequestError(f"Syntax Error: {error.message}", "GRAPHQL_PARSE_FAILED") from None
        errors = validate(self.schema, node)
        if errors:
            raise RequestError(errors[0].message, "GRAPHQL_VALIDATION_FAILED")
        operations: dict[str | None, OperationDefinitionNode] = {}
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations[definition.name.value if definition.name else None] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
        document = Document(
            node, operations, fragments, skip_include_variables(list(node.definitions))
        )
        self._documents.put(query, document)
        return document

    def operation(self, document: Document, name: str | None) -> OperationDefinitionNode:
        if name is None:
            if len(document.operations) != 1:
                raise RequestError(
                    "the document has several operations: name one in `operationName`",
                    "OPERATION_NAME_REQUIRED",
                )
            return next(iter(document.operations.values()))
        operation = document.operations.get(name)
        if operation is None:
            raise RequestError(f"unknown operation named {name!r}", "OPERATION_NOT_FOUND")
        return operation

    # -- the request -------------------------------------------------------------------------

    async def run(
        self,
        *,
        query: str | None,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        principal: Principal,
        transport: Transport,
        method: str = "POST",
        show_plan: bool = False,
        deadline_seconds: float | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request; its fetches end `deadline_seconds` (else the engine's bound)
        from now, and fields not answered by then are null with GATEWAY_TIMEOUT."""
        started = time.perf_counter()
        seconds = self.deadline_seconds if deadline_seconds is None else deadline_seconds
        deadline = None if seconds is None else asyncio.get_running_loop().time() + seconds
        try:
            return await self._run(
                query,
                operation_name,
                variables or {},
                principal,
                transport,
                method,
                show_plan,
                deadline,
            )
        except RequestError as error:
            metrics.REQUEST_ERRORS.labels(error.code).inc()
            return error.status, error.body()
        except LimitExceeded as error:
            metrics.REQUEST_ERRORS.labels(error.code).inc()
            return 400, {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
        except Exception:
            # A fault of the gateway itself: logged with its traceback, answered without details.
            log.exception("the gateway failed to answer a request")
            metrics.REQUEST_ERRORS.labels("INTERNAL_SERVER_ERROR").inc()
            return 500, {
                "errors": [
                    {"message": "internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
                ]
            }
        finally:
            metrics.REQUEST_SECONDS.observe(time.perf_counter() - started)

    async def _run(
        self,
        query: str | None,
        operation_name: str | None,
        variables: Mapping[str, Any],
        principal: Principal,
        transport: Transport,
        method: str,
        show_plan: bool,
        deadline: float | None,
    ) -> tuple[int, dict[str, Any]]:
        # Automatic persisted queries are resolved before the engine (persisted.py).
        if not isinstance(query, str) or not query.strip():
            raise RequestError("missing `query`: expected a GraphQL document", BAD_REQUEST)
        document = self.document(query)
        operation = self.operation(document, operation_name)
        if operation.operation == OperationType.SUBSCRIPTION:
            raise RequestError("subscriptions are not supported over HTTP", BAD_REQUEST)
        if method == "GET" and operation.operation != OperationType.QUERY:
            raise RequestError("only queries may be sent with GET", "METHOD_NOT_ALLOWED", 405)
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables)
        )
        if isinstance(coerced, list):
            raise RequestError(coerced[0].message, "BAD_USER_INPUT")
        roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        if any(s.name.value in INTROSPECTION for s in roots):
            return self._introspect(document, operation, variables)
        if operation_name not in document.within_limits:
            check_document(operation, document.fragments, self.limits)
            document.within_limits.add(operation_name)
        who = profile(principal, self.policies)
        # Planned with the coerced values: a variable the client left out takes its default,
        # which `@skip`/`@include` must follow.
        plan = self.plan(document, operation, operation_name, coerced.coerced, who, query)
        check_cost(plan.fields, variables, self.limits)
        with self.tracer.start_as_current_span("gateway.execute"):
            outcome = await Executor(transport).execute(plan, variables, deadline)
        if outcome.root_fetches and outcome.failed_roots == outcome.root_fetches:
            metrics.REQUEST_ERRORS.labels("SUBGRAPH_UNAVAILABLE").inc()
            return 502, {"errors": _unique_messages(outcome.errors)}
        errors = list(outcome.errors)
        data = Shaper(errors).root(plan.root_type, plan.fields, outcome.data)
        body: dict[str, Any] = {}
        if errors:
            body["errors"] = errors
            metrics.REQUEST_ERRORS.labels("FIELD_ERRORS").inc()
        body["data"] = data
        if show_plan and self.dev_mode:
            body["extensions"] = {"queryPlan": plan.describe()}
        return 200, body

    def plan(
        self,
        document: Document,
        operation: OperationDefinitionNode,
        operation_name: str | None,
        variables: Mapping[str, Any],
        who: Profile,
        text: str,
    ) -> Plan:
        switches = tuple(bool(variables.get(name)) for name in document.switches)
        key = (text, operation_name, switches, who)
        plan = self._plans.get_fresh(key)
        if plan is not None:
            PLAN_HIT.inc()
            return plan  # type: ignore[no-any-return]
        metrics.PLAN_CACHE.labels("miss").inc()
        with self.tracer.start_as_current_span("gateway.plan"):
            root, fields = normalize(
                self.schema,
                operation,
                document.fragments,
                variables,
                access_check(self.supergraph, who),
            )
            try:
                plan = self.planner.plan(operation, root, fields)
            except PlanningError as error:
                raise RequestError(
                    f"cannot plan the operation: {error}", "PLANNING_FAILED"
                ) from None
            if self.check_plans:
                if self._subgraph_schemas is None:
                    self._subgraph_schemas = subgraph_schemas(self.supergraph.sdl)
                try:
                    check_plan(plan, self._subgraph_schemas)
                except InvalidPlan as error:
                    log.error("invalid plan for %r: %s", text, error)
                    raise RequestError(
                        f"the gateway planned the operation wrongly: {error}",
                        "INVALID_PLAN",
                        status=500,
                    ) from None
        self._plans.put(key, plan)
        return plan

    def _introspect(
        self,
        document: Document,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> tuple[int, dict[str, Any]]:
        if not self.dev_mode:
            raise RequestError("introspection is disabled", "INTROSPECTION_DISABLED")
        roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        if any(s.name.value not in INTROSPECTION | {"__typename"} for s in roots):
            raise RequestError(
                "send introspection fields in an operation of their own", BAD_REQUEST
            )
        result = execute_sync(
            self.schema,
            document.node,
            variable_values=dict(variables),
            operation_name=operation.name.value if operation.name else None,
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return 200, body


def _unique_messages(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    unique = []
    for error in errors:
        message = str(error.get("message"))
        if message in seen:
            continue
        seen.add(message)
        unique.append(
            {
                "message": message,
                "extensions": error.get("extensions") or {"code": "SUBGRAPH_UNAVAILABLE"},
            }
        )
    return unique
