"""A plan checked before it runs (in tests and in dev mode): no fetch waits for itself through
its dependencies, every field a representation is read with (its key, its `@requires` fields)
is selected by a fetch it waits for, and every document is valid against the schema of the
subgraph it goes to (`supergraph.subgraph_schemas`). A plan that fails is a planner bug:
`InvalidPlan` names each problem."""

from __future__ import annotations

from graphql import FieldNode, GraphQLSchema, SelectionSetNode, parse, validate

from portal_gateway.federation.plan import Fetch, Plan, SubgraphSelection


class InvalidPlan(Exception):
    """The planner built a plan that cannot run as it should; the message names why."""


def check_plan(plan: Plan, schemas: dict[str, GraphQLSchema]) -> None:
    problems: list[str] = []
    for stage in plan.stages:
        problems.extend(_cycles(stage))
        for fetch in stage:
            problems.extend(_inputs(fetch))
            problems.extend(_document(fetch, schemas))
    if problems:
        raise InvalidPlan("; ".join(problems))


def _cycles(stage: list[Fetch]) -> list[str]:
    ids = {f.id for f in stage}
    waiting = {f.id: {d.id for d in f.depends if d.id in ids} for f in stage}
    done: set[int] = set()
    while waiting:
        ready = [i for i, d in waiting.items() if d <= done]
        if not ready:
            return [f"fetches {sorted(waiting)} wait for each other (a cycle)"]
        for i in ready:
            done.add(i)
            del waiting[i]
    return []


def _upstream(fetch: Fetch) -> list[Fetch]:
    seen: dict[int, Fetch] = {}
    stack = list(fetch.depends)
    while stack:
        current = stack.pop()
        if current.id not in seen:
            seen[current.id] = current
            stack.extend(current.depends)
    return list(seen.values())


def _selections_at(fetch: Fetch, path: tuple[str, ...], type_name: str) -> list[SubgraphSelection]:
    """What `fetch` selects on the `type_name` objects at response path `path`."""
    if fetch.path is None:
        current = [fetch.out]
        rest = path
    elif path[: len(fetch.path)] == fetch.path:
        current = list(fetch.out.fragments.values())
        rest = path[len(fetch.path) :]
    else:
        return []
    for key in rest:
        current = [
            below
            for selection in _with_fragments(current)
            if (found := selection.fields.get(key)) is not None and (below := found[1]) is not None
        ]
    return [
        s
        for selection in current
        for s in (selection, *(f for t, f in selection.fragments.items() if t == type_name))
    ]


def _with_fragments(selections: list[SubgraphSelection]) -> list[SubgraphSelection]:
    result = []
    for selection in selections:
        result.append(selection)
        result.extend(_with_fragments(list(selection.fragments.values())))
    return result


def _inputs(fetch: Fetch) -> list[str]:
    if fetch.path is None:
        return []
    problems = []
    upstream = _upstream(fetch)
    for type_name, selections in fetch.representations.items():
        for selection in selections:
            for key in _top_keys(selection):
                if not any(
                    key in s.fields
                    for producer in upstream
                    for s in _selections_at(producer, fetch.path, type_name)
                ):
                    problems.append(
                        f"fetch {fetch.id} ({fetch.graph}) reads {type_name}.{key} at "
                        f"{'.'.join(fetch.path)}, which no fetch it waits for selects"
                    )
    return problems


def _top_keys(selection: SelectionSetNode) -> list[str]:
    return [
        (node.alias or node.name).value
        for node in selection.selections
        if isinstance(node, FieldNode)
    ]


def _document(fetch: Fetch, schemas: dict[str, GraphQLSchema]) -> list[str]:
    if fetch.graph not in schemas:
        return []
    errors = validate(schemas[fetch.graph], parse(fetch.document, no_location=True))
    return [f"fetch {fetch.id} ({fetch.graph}): {e.message}" for e in errors]
