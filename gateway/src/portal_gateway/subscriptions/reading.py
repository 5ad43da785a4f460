"""A subscription turned into what is run per event: the payload's record selection as a
federated query of that record by id, and how its answer is put back into the payload.

`subscription { orderChanged(id: $id) { change order { status customerOrganisation { name } } } }`
becomes `query($portalRecord: ID!) { order: order(id: $portalRecord) { status
customerOrganisation { name } } }`, planned and executed by the engine like any query (so each
subgraph applies the subscriber's row-level visibility, and fields join across subgraphs); the
payload is `{orderChanged: {change: <event name>, order: <the answer>}}`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    print_ast,
    value_from_ast_untyped,
)

from portal_gateway.subscriptions.topics import TOPICS, Topic

RECORD_VARIABLE = "portalRecord"
PROBE = "portalSeen"  # the record read for visibility alone, when the payload selects none of it
_BATCH_KEY = re.compile(r"r(\d+)_(.+)")  # `r3_order`: record 3's `order` in a batched re-read


class NotASubscription(Exception):
    pass


@dataclass(frozen=True)
class Reading:
    """What one subscription runs per event and how it answers."""

    topic: Topic
    root_key: str  # the subscription field's response key
    record_id: str | None  # the record followed (single-record topics)
    query: str  # the record re-read, a query document
    variables: tuple[tuple[str, Any], ...]  # the subscriber's variables the query uses
    payload_keys: tuple[tuple[str, str], ...]  # (response key, "__typename"|"change"|"record")
    typename: str
    fields: tuple[tuple[str, str], ...]  # (response key, selection printed) read of the record
    definitions: tuple[str, ...]  # the subscriber's variables' definitions the query uses
    fragments_text: str  # the fragments the query uses, printed

    def variables_for(self, record_id: str) -> dict[str, Any]:
        return {**dict(self.variables), RECORD_VARIABLE: record_id}

    def batch_query(self, count: int) -> str:
        """The re-read of `count` records at once (`r<i>_<key>` for record i's `key`)."""
        return _batch_query(
            self.topic.record, self.fields, self.definitions, self.fragments_text, count
        )

    def variables_for_batch(self, record_ids: list[str]) -> dict[str, Any]:
        numbered = {f"{RECORD_VARIABLE}{i}": r for i, r in enumerate(record_ids)}
        return {**dict(self.variables), **numbered}


@lru_cache(maxsize=1024)  # by value: a reading's variables may not be hashable
def _batch_query(
    record: str,
    fields: tuple[tuple[str, str], ...],
    own: tuple[str, ...],
    fragments_text: str,
    count: int,
) -> str:
    definitions = [f"${RECORD_VARIABLE}{i}: ID!" for i in range(count)]
    parts = [
        f"r{i}_{key}: {record}(id: ${RECORD_VARIABLE}{i}) {{ {inner} }}"
        for i in range(count)
        for key, inner in fields
    ]
    head = ", ".join([*definitions, *own])
    return f"query PortalSubscription({head}) {{ {' '.join(parts)} }}" + fragments_text


def split_answer(reading: Reading, answer: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    """A batched re-read's answer as `count` answers, each as its record's own re-read would
    be: its fields under their own keys, the errors on its fields (and those on none)."""
    data = answer.get("data")
    mine: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    for error in answer.get("errors") or ():
        path = error.get("path")
        matched = _BATCH_KEY.fullmatch(path[0]) if path and isinstance(path[0], str) else None
        if matched is None:
            for errors in mine:
                errors.append(error)
        elif int(matched[1]) < count:
            mine[int(matched[1])].append({**error, "path": [matched[2], *path[1:]]})
    answers: list[dict[str, Any]] = []
    for i, errors in enumerate(mine):
        one: dict[str, Any] = {
            "data": None
            if not isinstance(data, dict)
            else {key: data.get(f"r{i}_{key}") for key, _ in reading.fields}
        }
        if errors:
            one["errors"] = errors
        answers.append(one)
    return answers


def _included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode, values: Any) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        argument = next((a for a in directive.arguments or () if a.name.value == "if"), None)
        if argument is None:
            continue
        value = bool(value_from_ast_untyped(argument.value, dict(values)))
        if (name == "skip" and value) or (name == "include" and not value):
            return False
    return True


def _fields(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    values: Mapping[str, Any],
) -> Iterator[FieldNode]:
    """The fields of a selection set on one object type, fragments spread out (a fragment
    here can only be on that type: validation saw to it)."""
    for selection in selection_set.selections:
        if not _included(selection, values):  # type: ignore[arg-type]
            continue
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, values)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments, values)


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for key in node.keys:
        child = getattr(node, key, None)
        children = child if isinstance(child, tuple | list) else (child,)
        for item in children:
            if isinstance(item, Node):
                yield from _walk(item)


def _used(
    nodes: list[Node], fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[list[str], set[str]]:
    """Fragments (in order of first use) and variables that `nodes` use, transitively."""
    names: list[str] = []
    variables: set[str] = set()
    pending = list(nodes)
    while pending:
        for node in _walk(pending.pop()):
            if isinstance(node, FragmentSpreadNode) and node.name.value not in names:
                names.append(node.name.value)
                if node.name.value in fragments:
                    pending.append(fragments[node.name.value])
            elif isinstance(node, VariableNode):
                variables.add(node.name.value)
    return names, variables


def _argument(field: FieldNode, name: str, values: Mapping[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            if isinstance(argument.value, StringValueNode | BooleanValueNode):
                return argument.value.value
            return value_from_ast_untyped(argument.value, dict(values))
    return None


def reading_of(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    change_types: Mapping[str, str],
) -> Reading:
    """The reading of a validated subscription operation (`change_types`: the payload type's
    name of each subscription field)."""
    roots = list(_fields(operation.selection_set, fragments, variables))
    if len(roots) != 1 or roots[0].name.value not in TOPICS:
        raise NotASubscription("subscribe to one of the subscription fields")
    root = roots[0]
    topic = TOPICS[root.name.value]
    record_id = _argument(root, "id", variables) if topic.single else None
    if topic.single and not isinstance(record_id, str | int):
        raise NotASubscription("`id` is required")
    keys: list[tuple[str, str]] = []
    parts: list[str] = []
    fields: list[tuple[str, str]] = []
    used_nodes: list[Node] = []
    seen: set[str] = set()
    for field in _fields(
        root.selection_set or SelectionSetNode(selections=()), fragments, variables
    ):
        key = field.alias.value if field.alias else field.name.value
        if key in seen:
            continue  # the same response key twice: merged by validation, one read does
        seen.add(key)
        name = field.name.value
        if name == topic.record:
            keys.append((key, "record"))
            selections = field.selection_set.selections if field.selection_set else ()
            used_nodes.extend(selections)
            inner = " ".join(print_ast(s) for s in selections)
            fields.append((key, inner))
            parts.append(f"{key}: {topic.record}(id: ${RECORD_VARIABLE}) {{ {inner} }}")
        elif name == "__typename":
            keys.append((key, "__typename"))
        else:
            keys.append((key, "change"))
    if not parts:
        fields.append((PROBE, "__typename"))
        parts.append(f"{PROBE}: {topic.record}(id: ${RECORD_VARIABLE}) {{ __typename }}")
    fragment_names, variable_names = _used(used_nodes, fragments)
    own = [
        print_ast(d)
        for d in operation.variable_definitions or ()
        if d.variable.name.value in variable_names
    ]
    definitions = [f"${RECORD_VARIABLE}: ID!", *own]
    fragments_text = "".join(
        f"\n{print_ast(fragments[n])}" for n in fragment_names if n in fragments
    )
    query = f"query PortalSubscription({', '.join(definitions)}) {{ {' '.join(parts)} }}"
    query += fragments_text
    return Reading(
        topic=topic,
        root_key=root.alias.value if root.alias else root.name.value,
        record_id=None if record_id is None else str(record_id),
        query=query,
        variables=tuple(sorted((k, v) for k, v in variables.items() if k in variable_names)),
        payload_keys=tuple(keys),
        typename=change_types[root.name.value],
        fields=tuple(fields),
        definitions=tuple(own),
        fragments_text=fragments_text,
    )


def payload(reading: Reading, change: str, answer: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `next` payload of one event, or None when the subscriber may not see the record
    (or it is gone, or could not be read: nothing tells these apart)."""
    data = answer.get("data")
    if not isinstance(data, dict):
        return None
    if any(data.get(key) is None for key, kind in reading.payload_keys if kind == "record"):
        return None
    if PROBE in data and data[PROBE] is None:
        return None
    body: dict[str, Any] = {}
    for key, kind in reading.payload_keys:
        if kind == "record":
            body[key] = data[key]
        elif kind == "__typename":
            body[key] = reading.typename
        else:
            body[key] = change
    result: dict[str, Any] = {"data": {reading.root_key: body}}
    errors = answer.get("errors")
    if errors:
        result["errors"] = [
            {**e, "path": [reading.root_key, *e["path"]]} if isinstance(e.get("path"), list) else e
            for e in errors
        ]
    return result
