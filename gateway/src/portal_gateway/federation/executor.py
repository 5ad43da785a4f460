"""Executing a plan: fetches in dependency order (independent ones in parallel), entity
representations collected, deduplicated and batched, results merged, subgraph errors re-pathed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from portal_gateway.federation.plan import Fetch, Plan

JSONDict = dict[str, Any]
# (fetch, request body) -> the subgraph's JSON answer; raises FetchFailed
Transport = Callable[[Fetch, JSONDict], Awaitable[JSONDict]]
UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"
TIMEOUT = "GATEWAY_TIMEOUT"  # the request's deadline passed before the field was answered
GONE = "__portal_gone"  # marks an object whose entity fetch answered null


class FetchFailed(Exception):
    """A subgraph did not answer usefully (down, slow, circuit open, garbage)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    data: JSONDict
    errors: list[JSONDict]
    failed_roots: int
    root_fetches: int


def merge(target: JSONDict, source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            for index, item in enumerate(value):
                if isinstance(current[index], dict) and isinstance(item, dict):
                    merge(current[index], item)
                elif current[index] is None or item is not None:
                    # A shared list field split between subgraphs: each answers null for what
                    # is not its own, which does not replace another's object.
                    current[index] = item
        elif current is None or value is not None:
            target[key] = value


def objects_at(
    data: Any, path: tuple[str, ...], prefix: tuple[str | int, ...] = ()
) -> list[tuple[JSONDict, tuple[str | int, ...]]]:
    """Every object at a path of response keys, through lists, with its concrete path."""
    if isinstance(data, list):
        found = []
        for index, item in enumerate(data):
            found.extend(objects_at(item, path, (*prefix, index)))
        return found
    if not isinstance(data, dict):
        return []
    if not path:
        return [(data, prefix)]
    return objects_at(data.get(path[0]), path[1:], (*prefix, path[0]))


def project(value: Any, selection: SelectionSetNode) -> Any:
    """The part of an object a representation needs; None when a key field is missing."""
    if isinstance(value, list):
        items = [project(v, selection) for v in value]
        return None if any(i is None for i in items) else items
    if not isinstance(value, dict):
        return None
    result: JSONDict = {}
    for selection_node in selection.selections:
        if isinstance(selection_node, InlineFragmentNode):
            # `@requires` of an abstract type: the object's type picks the fragments that apply,
            # and the representation names it.
            typename = value.get("__typename")
            result["__typename"] = typename
            condition = selection_node.type_condition
            if condition is None or condition.name.value == typename:
                part = project(value, selection_node.selection_set)
                if part is None:
                    return None
                part.pop("__typename", None)
                result.update(part)
            continue
        assert isinstance(selection_node, FieldNode)
        name = selection_node.name.value
        source = selection_node.alias.value if selection_node.alias else name
        field_value = value.get(source)
        if field_value is None:
            return None
        if selection_node.selection_set is not None:
            field_value = project(field_value, selection_node.selection_set)
            if field_value is None:
                return None
        result[name] = field_value
    return result


def _project_plain(obj: JSONDict, pairs: tuple[tuple[str, str], ...]) -> JSONDict | None:
    """`project` of a selection of fields without selections (pairs of name, response key)."""
    result: JSONDict = {}
    for name, source in pairs:
        value = obj.get(source)
        if value is None:
            return None
        result[name] = value
    return result


def _representation(
    obj: JSONDict,
    selections: list[SelectionSetNode],
    plain: list[tuple[tuple[str, str], ...] | None] | None = None,
) -> JSONDict | None:
    representation: JSONDict = {"__typename": obj.get("__typename")}
    for index, selection in enumerate(selections):
        pairs = plain[index] if plain is not None else None
        if index == 0 and pairs is not None:
            # The key, fields without selections (the usual case): straight into place.
            for name, source in pairs:
                value = obj.get(source)
                if value is None:
                    return None  # the key came back null: nothing to resolve this entity by
                representation[name] = value
            continue
        part = project(obj, selection) if pairs is None else _project_plain(obj, pairs)
        if part is None:
            if index == 0:
                return None  # the key came back null: nothing to resolve this entity by
            continue
        if index == 0:
            # Into {"__typename": ...} only, with no null in `part`: what `merge` would do.
            representation.update(part)
        else:
            merge(representation, part)
    return representation


def _error_at(message: str, path: list[str | int], code: str = UNAVAILABLE) -> JSONDict:
    return {"message": message, "path": path, "extensions": {"code": code}}


class Executor:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def execute(
        self, plan: Plan, variables: Mapping[str, Any], deadline: float | None = None
    ) -> Outcome:
        """Run the plan's stages in order. At `deadline` (the event loop's clock) the fetches
        still running are cancelled and those not finished answer their fields with
        GATEWAY_TIMEOUT; what had arrived stays."""
        outcome = Outcome({}, [], 0, 0)
        for index, stage in enumerate(plan.stages):
            finished: set[int] = set()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._stage(stage, variables, outcome, finished)
            except TimeoutError:
                for late in [stage, *plan.stages[index + 1 :]]:
                    for fetch in late:
                        if fetch.id not in finished:
                            _timed_out(fetch, outcome)
                break
        return outcome

    async def _stage(
        self,
        fetches: list[Fetch],
        variables: Mapping[str, Any],
        outcome: Outcome,
        finished: set[int],
    ) -> None:
        if len(fetches) == 1:
            await self._run(fetches[0], variables, outcome)
            finished.add(fetches[0].id)
            return
        loop = asyncio.get_running_loop()
        done: dict[int, asyncio.Future[None]] = {f.id: loop.create_future() for f in fetches}

        async def run(fetch: Fetch) -> None:
            try:
                waits = [done[d.id] for d in fetch.depends if d.id in done]
                if len(waits) == 1:
                    await waits[0]
                elif waits:
                    await asyncio.gather(*waits)
                await self._run(fetch, variables, outcome)
                finished.add(fetch.id)
            finally:
                if not done[fetch.id].done():
                    done[fetch.id].set_result(None)

        await asyncio.gather(*(run(f) for f in fetches))

    async def _run(self, fetch: Fetch, variables: Mapping[str, Any], outcome: Outcome) -> None:
        subset = {n: variables[n] for n in fetch.variables if n in variables}
        if fetch.path is None:
            outcome.root_fetches += 1
            await self._root(fetch, subset, outcome)
        else:
            await self._entities(fetch, subset, outcome)

    async def _root(self, fetch: Fetch, variables: JSONDict, outcome: Outcome) -> None:
        try:
            answer = await self.transport(fetch, {"query": fetch.document, "variables": variables})
        except FetchFailed as failure:
            outcome.failed_roots += 1
            outcome.errors.extend(_error_at(failure.message, [key]) for key in fetch.root_keys)
            return
        data = answer.get("data")
        if isinstance(data, dict):
            if fetch.renames:
                _rename(data, fetch.renames)
            merge(outcome.data, data)
        for error in answer.get("errors") or ():
            outcome.errors.append(_clean(error, None))

    async def _entities(self, fetch: Fetch, variables: JSONDict, outcome: Outcome) -> None:
        assert fetch.path is not None
        unique: dict[bytes, int] = {}
        representations: list[JSONDict] = []
        targets: list[list[tuple[JSONDict, tuple[str | int, ...]]]] = []
        plain = fetch.plain_representations
        selections_of = fetch.representations
        typename_as = fetch.typename_as
        dumps, sort_keys = orjson.dumps, orjson.OPT_SORT_KEYS
        for obj, path in objects_at(outcome.data, fetch.path):
            typename = str(obj.get("__typename"))
            selections = selections_of.get(typename)
            if selections is None:
                continue
            representation = _representation(obj, selections, plain.get(typename))
            if representation is None:
                continue
            if typename in typename_as:
                representation["__typename"] = typename_as[typename]
            marker = dumps(representation, option=sort_keys)
            index = unique.get(marker)
            if index is None:
                unique[marker] = len(representations)
                representations.append(representation)
                targets.append([(obj, path)])
            else:
                targets[index].append((obj, path))
        if not representations:
            return
        try:
            answer = await self.transport(
                fetch,
                {
                    "query": fetch.document,
                    "variables": {**variables, "representations": representations},
                },
            )
        except FetchFailed as failure:
            for group in targets:
                for _, path in group:
                    outcome.errors.extend(
                        _error_at(failure.message, [*path, key]) for key in fetch.entity_keys
                    )
            return
        data = answer.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if isinstance(entities, list) and len(entities) == len(representations):
            for index, entity in enumerate(entities):
                if isinstance(entity, dict):
                    if fetch.renames:
                        _rename(entity, fetch.renames)
                    if fetch.typename_as:
                        entity.pop("__typename", None)  # the interface's name, not the type
                    for obj, _ in targets[index]:
                        merge(obj, entity)
                elif entity is None:
                    # The subgraph does not know the entity (or hides it from this principal):
                    # the reference answers null, like an id that does not exist.
                    for obj, _ in targets[index]:
                        obj[GONE] = True
        elif not answer.get("errors"):
            for group in targets:
                for _, path in group:
                    outcome.errors.extend(
                        _error_at(f"{fetch.graph} service answered badly", [*path, key])
                        for key in fetch.entity_keys
                    )
        for error in answer.get("errors") or ():
            outcome.errors.extend(_repath(error, targets))


def _rename(data: JSONDict, renames: list[tuple[tuple[str, ...], str, str, str]]) -> None:
    """Fields the planner sent under an alias back under their response keys."""
    for path, type_name, alias, key in renames:
        for obj, _ in objects_at(data, path):
            if alias in obj and obj.get("__typename") == type_name:
                obj[key] = obj.pop(alias)


def _timed_out(fetch: Fetch, outcome: Outcome) -> None:
    """The fields a fetch cut off by the request's deadline would have answered: null, with
    GATEWAY_TIMEOUT at each of their paths (those of objects already there)."""
    message = "the request took too long: this field was not answered in time"
    if fetch.path is None:
        outcome.errors.extend(_error_at(message, [key], TIMEOUT) for key in fetch.root_keys)
        return
    for obj, path in objects_at(outcome.data, fetch.path):
        if str(obj.get("__typename")) in fetch.representations:
            outcome.errors.extend(
                _error_at(message, [*path, key], TIMEOUT) for key in fetch.entity_keys
            )


def _clean(error: Any, path: list[str | int] | None) -> JSONDict:
    """A subgraph error as the client sees it: message, path, extensions (code kept)."""
    if not isinstance(error, dict):
        return {"message": "subgraph error"}
    cleaned: JSONDict = {"message": str(error.get("message", "subgraph error"))}
    original = error.get("path")
    if path is not None:
        cleaned["path"] = path
    elif isinstance(original, list):
        cleaned["path"] = original
    extensions = error.get("extensions")
    if isinstance(extensions, dict) and extensions:
        cleaned["extensions"] = {k: v for k, v in extensions.items() if k != "exception"}
    return cleaned


def _repath(
    error: Any, targets: list[list[tuple[JSONDict, tuple[str | int, ...]]]]
) -> list[JSONDict]:
    path = error.get("path") if isinstance(error, dict) else None
    if (
        isinstance(path, list)
        and len(path) >= 2
        and path[0] == "_entities"
        and isinstance(path[1], int)
        and 0 <= path[1] < len(targets)
    ):
        rest = path[2:]
        return [_clean(error, [*target, *rest]) for _, target in targets[path[1]]]
    cleaned = _clean(error, None)
    cleaned.pop("path", None)
    return [cleaned]
