"""Shaping the merged subgraph data into the client's answer.

Only what the client selected comes out (fields added for keys and `@requires` stay inside);
`__typename` is answered from the data; null propagation follows the API schema: a null in a
non-null position nulls the nearest nullable parent, with an error at the path unless a subgraph
error already explains it. Denied fields answer null with their error. An enum value the API
schema does not have (an `@inaccessible` one) answers null with an error at its path.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)

from portal_gateway.federation.executor import GONE
from portal_gateway.federation.operation import TYPENAME, Field

Path = list[str | int]


class _Null(Exception):
    """A null reached a non-null position: the parent becomes null."""


class Shaper:
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self._error_paths: list[tuple[str | int, ...]] = [
            tuple(e["path"]) for e in errors if isinstance(e.get("path"), list)
        ]

    def _explained(self, path: Path) -> bool:
        here = tuple(path)
        size = len(here)
        return any(p[:size] == here for p in self._error_paths)

    def _error(self, message: str, path: Path, code: str | None = None) -> None:
        error: dict[str, Any] = {"message": message, "path": list(path)}
        if code is not None:
            error["extensions"] = {"code": code}
        self.errors.append(error)
        self._error_paths.append(tuple(path))

    def root(self, root: GraphQLObjectType, fields: list[Field], data: dict[str, Any]) -> Any:
        try:
            return self._object(root.name, fields, data, [])
        except _Null:
            return None

    def _object(
        self, type_name: str, fields: list[Field], value: dict[str, Any], path: Path
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in fields:
            field_path = [*path, f.key]
            if f.name == TYPENAME:
                result[f.key] = type_name
                continue
            if f.denied is not None:
                self._error(f.denied, field_path, f.denied_code)
                result[f.key] = self.complete(f.type, None, f, field_path)
                continue
            result[f.key] = self.complete(f.type, value.get(f.key), f, field_path)
        return result

    def complete(self, type_: GraphQLOutputType, value: Any, f: Field, path: Path) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self.complete(type_.of_type, value, f, path)
            if completed is None:
                if not self._explained(path):
                    self._error(
                        f"Cannot return null for non-nullable field {f.parent}.{f.name}.", path
                    )
                raise _Null()
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self._error(f"Expected a list for {f.parent}.{f.name}.", path)
                return None
            items = []
            try:
                for index, item in enumerate(value):
                    items.append(self.complete(type_.of_type, item, f, [*path, index]))
            except _Null:
                return None
            return items
        if isinstance(type_, GraphQLEnumType):
            if isinstance(value, str) and value in type_.values:
                return value
            # A value the API schema does not have (`@inaccessible`, or one the subgraph
            # should not have sent): never shown, null with an error at its path.
            self._error(f"Enum {type_.name!r} cannot represent value: {value!r}", path)
            return None
        if is_leaf_type(type_):
            return value
        if isinstance(value, dict) and value.get(GONE):
            return None
        if not isinstance(value, dict) or f.children is None:
            self._error(f"Expected an object for {f.parent}.{f.name}.", path)
            return None
        type_name = value.get(TYPENAME)
        if isinstance(type_, GraphQLObjectType):
            type_name = type_.name
        fields = f.children.get(type_name) if isinstance(type_name, str) else None
        if fields is None or not isinstance(type_name, str):
            if not self._explained(path):
                self._error(f"Unknown type {type_name!r} for {f.parent}.{f.name}.", path)
            return None
        try:
            return self._object(type_name, fields, value, path)
        except _Null:
            return None
