"""GraphQL pieces every subgraph shares: user errors, Relay connections, error masking, and an
execution that leaves no reference cycle behind."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from graphql import ExecutionResult, GraphQLError, OperationType
from strawberry.extensions import MaskErrors
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from portal_kit import metrics
from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.messages import translate
from portal_kit.repository import Keyset, Page

T = TypeVar("T")
R = TypeVar("R")

MAX_PAGE = 200
DEFAULT_PAGE = 50


class Execution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution, letting go of its helpers once the answer is built.

    graphql-core's executor keeps bound methods of itself (`async_helpers`): a reference cycle
    through which every request's context, loaders and documents (about 100 objects a
    request) outlived the request until the cyclic collector found them, which then ran
    every few milliseconds under load. Without the cycle they go when the answer does."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        if self.operation.operation is OperationType.SUBSCRIPTION:
            return result  # its events still run through this executor
        if self.is_awaitable(result):
            return self._released_after(result)
        self._release(result)
        return result

    async def _released_after(self, answer: Awaitable[Any]) -> Any:
        result = await answer
        self._release(result)
        return result

    def _release(self, result: Any) -> None:
        # Incremental answers (@defer, @stream) go on using the executor after the first part.
        if isinstance(result, ExecutionResult) and not self.pending_incremental_futures:
            del self.async_helpers


# Value types every subgraph defines alike are shareable, so the supergraph composes.
@strawberry.federation.type(
    shareable=True, description="A problem with the input; nothing was changed."
)
class UserError:
    field: str | None
    code: str
    message: str


def user_errors(error: DomainError) -> list[UserError]:
    """The refusal as the client reads it: messages in the caller's language (its catalogue)."""
    problems = error.problems if isinstance(error, ValidationFailed) else [error]
    service = metrics.service_var.get()
    for problem in problems:
        metrics.USER_ERRORS.labels(service, metrics.code_label(problem.code)).inc()
    return [UserError(field=p.field, code=p.code, message=translate(p.message)) for p in problems]


async def attempt(action: Callable[[], Awaitable[R]]) -> tuple[R | None, list[UserError]]:
    """Run a use case; a refusal by a domain rule becomes user errors and changes nothing."""
    try:
        return await action(), []
    except DomainError as error:
        return None, user_errors(error)


def _should_mask(error: GraphQLError) -> bool:
    # Parse and validation errors are the client's to read; anything raised inside a resolver
    # that is not a deliberate GraphQL error is internal and must not leak details.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


MASKED = "Internal server error"


def masking_extension() -> MaskErrors:
    return MaskErrors(should_mask_error=_should_mask, error_message=MASKED)


def error_code(error: GraphQLError) -> str:
    """The code a GraphQL error is counted under (`portal_graphql_errors_total`)."""
    code = (error.extensions or {}).get("code")
    if code is not None:
        return metrics.code_label(code)
    if error.message == MASKED:
        return "INTERNAL_SERVER_ERROR"
    # graphql-core's parse and validation errors carry no code.
    return "GRAPHQL_VALIDATION_FAILED" if error.original_error is None else "OTHER"


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


class InvalidCursor(GraphQLError):
    def __init__(self) -> None:
        super().__init__("invalid cursor", extensions={"code": "BAD_USER_INPUT"})


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, UnicodeError):
        raise InvalidCursor() from None
    if not isinstance(values, list) or len(values) != 2:
        raise InvalidCursor()
    # Only scalars: a document in a cursor would become a query operator in a keyset filter.
    if not all(value is None or isinstance(value, str | int | float) for value in values):
        raise InvalidCursor()
    return values


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise GraphQLError(
            f"first must be between 0 and {MAX_PAGE}", extensions={"code": "BAD_USER_INPUT"}
        )
    return first


def decode_keyset(after: str | None, value_type: type | None = None) -> Keyset | None:
    """The position an `after` cursor names, for a repository to turn into its filter.

    With `value_type`, a cursor whose sort value is of another type (one this subgraph never
    handed out) is refused rather than compared across types.
    """
    if after is None:
        return None
    value, last_id = decode_cursor(after)
    if value_type is not None and (
        not isinstance(value, value_type) or isinstance(value, bool) or not isinstance(last_id, str)
    ):
        raise InvalidCursor()
    return Keyset(value, last_id)


def connection(
    nodes: Sequence[T], cursors: Sequence[str], *, has_next: bool, has_previous: bool, total: int
) -> Connection[T]:
    return Connection(
        edges=[Edge(node=n, cursor=c) for n, c in zip(nodes, cursors, strict=True)],
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        total_count=total,
    )


def page_connection(
    page: Page[T],
    node: Callable[[T], R],
    position: Callable[[T], Sequence[Any]],
    *,
    after: str | None,
) -> Connection[R]:
    """A repository's page as a Relay connection: each item shaped by `node`, its cursor the
    item's (sort value, id) `position`; a page asked for `after` a cursor has one before it."""
    return connection(
        [node(item) for item in page.items],
        [encode_cursor(position(item)) for item in page.items],
        has_next=page.has_next,
        has_previous=after is not None,
        total=page.total,
    )


def empty_connection() -> Connection[Any]:
    return connection([], [], has_next=False, has_previous=False, total=0)


def _delivered_by_gateway() -> AsyncIterator[Any]:
    """The resolver of a subgraph's subscription field. A subgraph never streams it: the field
    is declared so that composition puts it, with its payload type, into the supergraph; the
    gateway serves it over WebSocket from the service's events, reading each payload with a
    query as the subscriber (gateway/src/portal_gateway/subscriptions/)."""

    async def refused() -> AsyncIterator[Any]:
        raise GraphQLError(
            "subscriptions are served by the gateway", extensions={"code": "BAD_REQUEST"}
        )
        yield  # an async generator, as Strawberry wants of a subscription resolver

    return refused()


def record_subscriptions(record: type, field: str, *, changes: str) -> type:
    """A subgraph's `Subscription` type for one kind of record (e.g. `Order`, field `order`):
    `<field>Changed(id: ID!)` and `<field>sChanged`, each with the payload
    `<Record>Change { change: String! <field>: <Record>! }`; `changes` says what changes it."""
    name = record.__name__
    change = strawberry.type(
        type(
            f"{name}Change",
            (),
            {
                "__annotations__": {"change": str, field: record},
                "change": strawberry.field(
                    description=f"What happened: the {field} event's name ({changes})."
                ),
                field: strawberry.field(description=f"The {field} as the subscriber sees it now."),
            },
        ),
        description=f"A{'n' if field[0] in 'aeiou' else ''} {field} changed.",
    )

    def one(self: Any, id: strawberry.ID) -> AsyncIterator[change]:  # type: ignore[valid-type]
        return _delivered_by_gateway()

    def every(self: Any) -> AsyncIterator[change]:  # type: ignore[valid-type]
        return _delivered_by_gateway()

    one.__annotations__ = {"id": strawberry.ID, "return": AsyncIterator[change]}  # type: ignore[valid-type]
    every.__annotations__ = {"return": AsyncIterator[change]}  # type: ignore[valid-type]
    subscription: type = strawberry.type(
        type(
            "Subscription",
            (),
            {
                f"{field}_changed": strawberry.subscription(
                    one,
                    description=f"Changes of one {field} the caller may see; nothing for one out "
                    "of sight or none at all, and nothing once it leaves the caller's sight.",
                ),
                f"{field}s_changed": strawberry.subscription(
                    every, description=f"Changes of every {field} the caller may see."
                ),
            },
        )
    )
    return subscription
