"""File uploads: GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec).

A multipart request carries the operation (`operations`, JSON), a `map` from each file part to
the variable paths it fills (`{"0": ["variables.input.attachments.0.file"]}`) and the files.
The gateway reads it within its own body limit (`PORTAL_MAX_UPLOAD_BYTES` in files plus
`PORTAL_MAX_REQUEST_BYTES` for the rest), spooling each file to a temporary file past 1 MiB (so a
file is never held whole in memory), checks where the files go, and puts a placeholder of this
request at each path. The engine then plans and runs the operation as any other; the transport
sends a fetch whose variables hold placeholders as a multipart request of its own (`Subgraph.
upload`), each file streamed from its spool. Files may go to arguments of type `Upload` of root
mutation fields of one subgraph only: anything else is refused before any subgraph is called.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    type_from_ast,
    visit,
)
from graphql.language import Visitor
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from portal_gateway.errors import PAYLOAD_TOO_LARGE, BadRequest, GatewayError, _
from portal_gateway.federation.supergraph import Supergraph
from portal_gateway.http_request import parse_json, validate_operation

MULTIPART = "multipart/form-data"
UPLOAD_REFUSED = "UPLOAD_REFUSED"
UPLOAD_SCALAR = "Upload"
MAX_FILES = 10  # as many as a dialog comment takes (orders' attachments.MAX_FILES)
CHUNK = 64 * 1024


class UploadRefused(GatewayError):
    status = 400
    code = UPLOAD_REFUSED


def is_multipart(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == MULTIPART


@dataclass
class SpooledFile:
    """One file part of the client's request, spooled by Starlette's form parser."""

    upload: UploadFile

    @property
    def filename(self) -> str:
        return self.upload.filename or "file"

    @property
    def content_type(self) -> str:
        return self.upload.content_type or "application/octet-stream"

    async def chunks(self) -> AsyncIterator[bytes]:
        await self.upload.seek(0)  # a file two fetches use is sent twice, whole each time
        while chunk := await self.upload.read(CHUNK):
            yield chunk


@dataclass
class MultipartOperation:
    """The client's operation with this request's placeholders where its files go."""

    operation: dict[str, Any]
    files: dict[str, SpooledFile]
    paths: dict[str, list[str]]  # map key -> the variable paths it fills
    marker: str = field(default_factory=lambda: f"\x00portal-upload:{secrets.token_hex(8)}:")

    def placeholder(self, key: str) -> str:
        return f"{self.marker}{key}"

    def files_of(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """A fetch's body with its placeholders back to null, and the map key -> paths of
        the files it carries (empty: the fetch takes no file)."""
        found: dict[str, list[str]] = {}

        def strip(value: Any, path: str) -> Any:
            if isinstance(value, str) and value.startswith(self.marker):
                found.setdefault(value[len(self.marker) :], []).append(path)
                return None
            if isinstance(value, dict):
                return {k: strip(v, f"{path}.{k}") for k, v in value.items()}
            if isinstance(value, list):
                return [strip(v, f"{path}.{i}") for i, v in enumerate(value)]
            return value

        variables = strip(body.get("variables") or {}, "variables")
        return {**body, "variables": variables}, found


@asynccontextmanager
async def read_multipart(
    request: Request, limit: int, part_limit: int
) -> AsyncIterator[MultipartOperation]:
    """The multipart request read within `limit` bytes (its `operations` and `map` within
    `part_limit` each), its spooled files removed when the context ends."""
    too_large = GatewayError(
        _("request body larger than {limit} bytes", limit=limit), status=413, code=PAYLOAD_TOO_LARGE
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    received = 0

    async def receive() -> Message:
        # Counted as it streams in, so a body without (or lying about) its length is cut too.
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise too_large
        return message

    bounded = Request(request.scope, receive)
    try:
        form = await bounded.form(
            max_files=MAX_FILES, max_fields=2 + MAX_FILES, max_part_size=part_limit
        )
    except MultiPartException as error:
        raise BadRequest(
            _("malformed multipart request: {problem}", problem=error.message)
        ) from None
    try:
        yield _operation(form)
    finally:
        await form.close()


def _operation(form: Any) -> MultipartOperation:
    operations, mapping = form.get("operations"), form.get("map")
    if not isinstance(operations, str) or not isinstance(mapping, str):
        raise BadRequest(_("a multipart request needs the fields `operations` and `map` first"))
    operation = parse_json(operations.encode())
    if isinstance(operation, list):
        raise UploadRefused(_("batched operations cannot take files: send one operation"))
    validate_operation(operation)
    paths = parse_json(mapping.encode())
    if not isinstance(paths, dict) or not all(
        isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets)
        for targets in paths.values()
    ):
        raise BadRequest(_("`map` must map each file's field name to a list of variable paths"))
    files: dict[str, SpooledFile] = {}
    for key in paths:
        part = form.get(key)
        if not isinstance(part, UploadFile):
            raise BadRequest(
                _("`map` names the file {file}, which the request does not carry", file=repr(key))
            )
        files[key] = SpooledFile(part)
    extra = [k for k in form if k not in paths and k not in ("operations", "map")]
    if extra:
        raise BadRequest(_("the part {part} is not in `map`", part=repr(extra[0])))
    multipart = MultipartOperation(operation, files, paths)
    variables = operation.setdefault("variables", {})
    if not isinstance(variables, dict):
        raise BadRequest(_("`variables` must be an object"))
    for key, targets in paths.items():
        for target in targets:
            _put(variables, target, multipart.placeholder(key))
    return multipart


def _put(variables: dict[str, Any], target: str, placeholder: str) -> None:
    """The placeholder at `target` ("variables.input.attachments.0.file"), where the client
    put null, as the spec asks."""
    steps = target.split(".")
    if len(steps) < 2 or steps[0] != "variables":
        raise UploadRefused(
            _("`{target}`: a file can only fill a variable (`variables.…`)", target=target)
        )
    container: Any = variables
    for step in steps[1:-1]:
        container = _step(container, step, target)
    last = steps[-1]
    if isinstance(container, list) and last.isdigit() and int(last) < len(container):
        index = int(last)
        if container[index] is None:
            container[index] = placeholder
            return
    elif isinstance(container, dict) and last in container and container[last] is None:
        container[last] = placeholder
        return
    raise BadRequest(
        _("`{target}` must be null in the variables, where the file goes", target=target)
    )


def _step(container: Any, step: str, target: str) -> Any:
    if isinstance(container, dict) and step in container:
        return container[step]
    if isinstance(container, list) and step.isdigit() and int(step) < len(container):
        return container[int(step)]
    raise BadRequest(_("`{target}` is not in the variables", target=target))


def check_targets(
    supergraph: Supergraph,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    multipart: MultipartOperation,
) -> str:
    """The one subgraph that takes the files; refuses files anywhere but `Upload` arguments of
    root mutation fields of one subgraph (a query, a nested field, two subgraphs)."""
    if operation.operation != OperationType.MUTATION:
        raise UploadRefused(_("only a mutation can take files"))
    schema = supergraph.schema
    declared = {d.variable.name.value: d.type for d in operation.variable_definitions or ()}
    carrying: set[str] = set()
    for targets in multipart.paths.values():
        for target in targets:
            steps = target.split(".")[1:]
            type_node = declared.get(steps[0])
            if type_node is None:
                raise UploadRefused(
                    _(
                        "`{target}`: the operation declares no ${variable}",
                        target=target,
                        variable=steps[0],
                    )
                )
            if not _is_upload(schema, type_from_ast(schema, type_node), steps[1:]):
                raise UploadRefused(
                    _("`{target}` is not of type {type}", target=target, type=UPLOAD_SCALAR)
                )
            carrying.add(steps[0])
    if any(_uses(fragment, carrying) for fragment in fragments.values()):
        raise UploadRefused(_("files go to root mutation fields, not into fragments"))
    mutation = schema.mutation_type
    graphs: set[str] = set()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            if _uses(selection, carrying):
                raise UploadRefused(_("files go to root mutation fields, not into fragments"))
            continue
        argument_uses = any(
            _uses(argument.value, carrying) for argument in selection.arguments or ()
        )
        if selection.selection_set is not None and _uses(selection.selection_set, carrying):
            raise UploadRefused(
                _("`{field}`: files go to root mutation fields", field=selection.name.value)
            )
        if argument_uses and mutation is not None:
            info = supergraph.types.get(mutation.name)
            owners = info.resolvers(selection.name.value) if info is not None else []
            graphs.update(join.graph for join in owners)
    if len(graphs) != 1:
        raise UploadRefused(
            _("files go to root mutation fields of one service")
            if graphs
            else _("no field of the operation takes the files")
        )
    return graphs.pop()


def _is_upload(schema: GraphQLSchema, type_: Any, steps: list[str]) -> bool:
    for step in steps:
        while isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList) and step.isdigit():
            type_ = type_.of_type
        elif isinstance(type_, GraphQLInputObjectType) and step in type_.fields:
            type_ = type_.fields[step].type
        else:
            return False
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLScalarType) and type_.name == UPLOAD_SCALAR


def _uses(node: Any, variables: set[str]) -> bool:
    used: list[str] = []

    class Variables(Visitor):
        def enter_variable(self, variable: VariableNode, *_: Any) -> None:
            used.append(variable.name.value)

    visit(node, Variables())
    return any(name in variables for name in used)
