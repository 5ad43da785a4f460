"""Shaping the merged subgraph data into the client's answer.

Only what the client selected comes out (fields added for keys and `@requires` stay inside);
`__typename` is answered from the data; null propagation follows the API schema: a null in a
non-null position nulls the nearest nullable parent, with an error at the path unless a subgraph
error already explains it. Denied fields answer null with their error. An enum value the API
schema does not have (an `@inaccessible` one) answers null with an error at its path; an object
of a type it does not have answers null (an error only where the null propagates).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    is_leaf_type,
)

from portal_gateway.federation.executor import GONE
from portal_gateway.federation.operation import TYPENAME, Field

# A response path built as it is walked: (parent path, key), () at the root. Turned into a list
# only for an error, so a walk that finds nothing wrong allocates no lists.
Path = tuple[Any, ...]


def as_list(path: Path) -> list[str | int]:
    keys: list[str | int] = []
    while path:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


class _Null(Exception):
    """A null reached a non-null position: the parent becomes null."""


class Shaper:
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self._error_paths: list[tuple[str | int, ...]] = [
            tuple(e["path"]) for e in errors if isinstance(e.get("path"), list)
        ]

    def _explained(self, path: Path) -> bool:
        here = tuple(as_list(path))
        size = len(here)
        return any(p[:size] == here for p in self._error_paths)

    def _error(self, message: str, path: Path, code: str | None = None) -> None:
        keys = as_list(path)
        error: dict[str, Any] = {"message": message, "path": keys}
        if code is not None:
            error["extensions"] = {"code": code}
        self.errors.append(error)
        self._error_paths.append(tuple(keys))

    def root(self, root: GraphQLObjectType, fields: list[Field], data: dict[str, Any]) -> Any:
        try:
            return self._object(root.name, fields, data, ())
        except _Null:
            return None

    def _object(
        self, type_name: str, fields: list[Field], value: dict[str, Any], path: Path
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in fields:
            key = f.key
            if f.plain:
                # An allowed scalar field: its value as it came, unless null (which may have to
                # propagate).
                found = value.get(key)
                if found is not None:
                    result[key] = found
                    continue
            field_path = (path, key)
            if f.name == TYPENAME:
                result[key] = type_name
                continue
            if f.denied is not None:
                self._error(f.denied, field_path, f.denied_code)
                result[key] = self.complete(f.type, None, f, field_path)
                continue
            result[key] = self.complete(f.type, value.get(key), f, field_path)
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
        if (
            isinstance(type_, GraphQLObjectType)
            and isinstance(value, dict)
            and f.children is not None
            and not value.get(GONE)
        ):
            # An object of an object type (the usual case); anything else takes the long way.
            fields = f.children.get(type_.name)
            if fields is not None:
                try:
                    return self._object(type_.name, fields, value, path)
                except _Null:
                    return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self._error(f"Expected a list for {f.parent}.{f.name}.", path)
                return None
            items = []
            item_type = type_.of_type
            try:
                for index, item in enumerate(value):
                    items.append(self.complete(item_type, item, f, (path, index)))
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
        if fields is None and type_name == get_named_type(type_).name and f.children:
            # Objects of an interface its `@interfaceObject` subgraph answered alone (the plan
            # asks for no field of one implementation): the interface's fields, alike for all.
            fields = next(iter(f.children.values()))
        if not isinstance(type_name, str):
            if not self._explained(path):
                self._error(f"Expected an object with a type for {f.parent}.{f.name}.", path)
            return None
        if fields is None:
            # A type the API schema does not have here (`@inaccessible`, or unknown to it): the
            # object is never shown, it answers null, as Apollo Router and Hive Gateway do;
            # in a non-null position the null propagates with its error.
            return None
        try:
            return self._object(type_name, fields, value, path)
        except _Null:
            return None
