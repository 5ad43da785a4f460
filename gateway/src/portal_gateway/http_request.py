"""The GraphQL operation a client sends over HTTP: a POST body (JSON within a size limit, in
the shape GraphQL-over-HTTP asks for) or the parameters of a GET."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from portal_gateway.errors import (
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    BadRequest,
    GatewayError,
    _,
)
from portal_gateway.media import GRAPHQL_RESPONSE, JSON


async def operation_from_body(request: Request, limit: int) -> Any:
    """The operation of a POST: its body read (at most `limit` bytes), parsed and checked."""
    operation = parse_json(await read_body(request, limit))
    validate_operation(operation)
    return operation


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused beyond `limit` bytes (declared or streamed) and in any media
    type but JSON."""
    content_type = request.headers.get("content-type")
    if content_type is not None and content_type.split(";")[0].strip().lower() not in (
        JSON,
        GRAPHQL_RESPONSE,
    ):
        raise GatewayError(
            _("send the GraphQL request as application/json"),
            status=415,
            code=UNSUPPORTED_MEDIA_TYPE,
        )
    too_large = GatewayError(
        _("request body larger than {limit} bytes", limit=limit), status=413, code=PAYLOAD_TOO_LARGE
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    if not body:
        raise BadRequest(_("empty request body: expected a GraphQL request as JSON"))
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest(_("request body is not valid JSON")) from None


def validate_operation(operation: Any) -> None:
    """The shape GraphQL-over-HTTP asks for; the subgraph validates the document itself."""
    if not isinstance(operation, dict):
        raise BadRequest(_("expected a JSON object with a `query`"))
    query = operation.get("query")
    extensions = operation.get("extensions")
    persisted = isinstance(extensions, dict) and "persistedQuery" in extensions
    if not (persisted and query is None) and (not isinstance(query, str) or not query.strip()):
        raise BadRequest(_("missing `query`: expected a GraphQL document as a string"))
    for name, kind in (("variables", dict), ("operationName", str), ("extensions", dict)):
        value = operation.get(name)
        if value is not None and not isinstance(value, kind):
            if kind is dict:
                raise BadRequest(_("`{name}` must be an object", name=name))
            raise BadRequest(_("`{name}` must be a string", name=name))


VARIABLES_TOO_DEEP = "VARIABLES_TOO_DEEP"
VARIABLES_TOO_LARGE = "VARIABLES_TOO_LARGE"


def check_variables(variables: Any, *, max_depth: int, max_values: int) -> None:
    """Refuse variables nested deeper than `max_depth` (the variables object is level 1) or
    holding more than `max_values` values (objects, lists and scalars), with a coded 400: what
    passes can be serialised for a subgraph (orjson stops at 255 levels). Walked without
    recursion, and stopped at the first value past either limit."""
    if not isinstance(variables, dict | list):
        return
    pending: list[tuple[Any, int]] = [(variables, 1)]
    values = 0
    while pending:
        value, depth = pending.pop()
        values += 1
        if values > max_values:
            raise BadRequest(
                _("the variables hold more than {limit} values", limit=max_values),
                code=VARIABLES_TOO_LARGE,
            )
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise BadRequest(
                    _("the variables are nested deeper than {limit} levels", limit=max_depth),
                    code=VARIABLES_TOO_DEEP,
                )
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)


def operation_from_query(request: Request) -> dict[str, Any]:
    params = request.query_params
    if not params.get("query", "").strip() and "extensions" not in params:
        raise BadRequest(_("missing `query` parameter"))
    operation: dict[str, Any] = {"query": params.get("query")}
    if params.get("operationName"):
        operation["operationName"] = params["operationName"]
    for name in ("variables", "extensions"):
        if (raw := params.get(name)) is not None and raw != "":
            value = parse_json(raw.encode())
            if value is not None and not isinstance(value, dict):
                raise BadRequest(_("`{name}` must be a JSON object", name=name))
            operation[name] = value
    return operation
