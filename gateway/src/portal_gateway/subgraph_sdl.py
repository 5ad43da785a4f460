"""Print the four subgraphs' SDL as JSON for the composition step (deploy/supergraph).

`python -m portal_gateway.subgraph_sdl` reads each subgraph's Strawberry schema at build time (the
schemas grow as the services do) and prints `[{"name", "url", "sdl"}]`; the federation entry
points (`_entities`, `_service`, `_Any`, `_Entity`, `_Service`) are left out, as a subgraph's
`_service { sdl }` is meant to be read by composition.
"""

from __future__ import annotations

import copy
import importlib
import re
import sys

import orjson
from graphql import (
    DocumentNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    parse,
    print_ast,
)

SUBGRAPHS = {
    "people": "http://127.0.0.1:4001/graphql",
    "orders": "http://127.0.0.1:4002/graphql",
    "tickets": "http://127.0.0.1:4003/graphql",
    "billing": "http://127.0.0.1:4004/graphql",
}
# Strawberry links federation v2.11; the composition library knows versions up to v2.9. The
# subgraphs use only directives that exist since v2.0-v2.9, so the link is lowered to v2.9.
COMPOSABLE_VERSION = "v2.9"
LINK = re.compile(r"(https://specs\.apollo\.dev/federation/)v2\.(\d+)")
FEDERATION_TYPES = frozenset({"_Any", "_Entity", "_Service"})
FEDERATION_FIELDS = frozenset({"_entities", "_service"})


def without_federation_internals(sdl: str) -> str:
    document = parse(sdl)
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode) and definition.name.value in (
            FEDERATION_TYPES
        ):
            continue
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.fields:
            fields = tuple(f for f in definition.fields if f.name.value not in FEDERATION_FIELDS)
            if not fields and definition.name.value == "Query":
                continue
            definition = copy.copy(definition)
            object.__setattr__(definition, "fields", fields)
        definitions.append(definition)
    return print_ast(DocumentNode(definitions=tuple(definitions)))


def composable_link(sdl: str) -> str:
    def lower(match: re.Match[str]) -> str:
        minor = int(match.group(2))
        return match.group(0) if minor <= 9 else match.group(1) + COMPOSABLE_VERSION

    return LINK.sub(lower, sdl)


def subgraph_sdl(name: str) -> str:
    module = importlib.import_module(f"portal_{name}.entrypoints.schema")
    return composable_link(without_federation_internals(module.schema.as_str()))


def main() -> None:
    subgraphs = [
        {"name": name, "url": url, "sdl": subgraph_sdl(name)} for name, url in SUBGRAPHS.items()
    ]
    sys.stdout.buffer.write(orjson.dumps(subgraphs, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
