"""Printing a planned fetch as the GraphQL document sent to its subgraph.

A root fetch prints its selection under the operation's kind; an entity fetch wraps it in
`_entities(representations: $representations)`. Each document declares only the client's
variables it uses (their definitions copied from the client's operation). A `node(id:)` the
gateway routes itself has no document, only a comment for the plan's description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from portal_gateway.federation.operation import Field
from portal_gateway.federation.plan import Fetch, SubgraphSelection, head_of


def arguments_text(arguments: Sequence[ArgumentNode]) -> str:
    """Arguments as printed after a field's name ("" for none)."""
    return "(" + ", ".join(print_ast(a) for a in arguments) + ")" if arguments else ""


def field_head(f: Field) -> str:
    """A field as printed up to its selection set: alias, name and arguments."""
    return head_of(f.key, f.name, arguments_text(f.arguments))


def print_selection(selection: SubgraphSelection) -> str:
    parts = []
    for head, sub in selection.fields.values():
        parts.append(f"{head} {print_selection(sub)}" if sub is not None else head)
    for type_name, fragment in selection.fragments.items():
        parts.append(f"... on {type_name} {print_selection(fragment)}")
    return "{ " + " ".join(parts) + " }"


class _VariableNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if node.name.value not in self.names:
            self.names.append(node.name.value)


def write_document(fetch: Fetch, definitions: Mapping[str, VariableDefinitionNode]) -> None:
    """Set the fetch's `document` and the client `variables` it sends; `definitions` are the
    client operation's variable definitions by name."""
    body = print_selection(fetch.out)
    if fetch.path is not None:
        body = "{ _entities(representations: $representations) " + body + " }"
    names = _VariableNames()
    visit(parse(body, no_location=True), names)
    used = [n for n in names.names if n != "representations"]
    declared = [print_ast(definitions[n]) for n in used if n in definitions]
    if fetch.path is not None:
        declared.insert(0, "$representations: [_Any!]!")
    signature = f"({', '.join(declared)})" if declared else ""
    fetch.variables = tuple(used)
    fetch.document = f"{fetch.operation_kind}{signature} {body}"
