"""The orders subgraph: queries and mutations of orders."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import strawberry
from graphql import GraphQLError
from portal_kit.document_cache import DocumentCache
from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.graphql import (
    Connection,
    Execution,
    UserError,
    attempt,
    connection,
    decode_keyset,
    empty_connection,
    encode_cursor,
    masking_extension,
    page_size,
)
from portal_kit.messages import translate
from portal_kit.values import Problems

from portal_orders.domain.messages import _
from portal_orders.domain.workflow import Visibility
from portal_orders.entrypoints.configuration_types import OrderConfiguration, configuration_of
from portal_orders.entrypoints.context import Info
from portal_orders.entrypoints.dashboard_types import Dashboard, dashboard_of
from portal_orders.entrypoints.inputs import (
    AddBookingSlotInput,
    AddOrderCommentInput,
    AddOrderNoteInput,
    AnswerOrderQuestionInput,
    AskOrderQuestionInput,
    AssignOrderInput,
    BookEmployeeInput,
    CreateOrderInput,
    EditOrderInput,
    OrderFilterInput,
    OrderSortInput,
    OrderView,
    TransitionOrderInput,
)
from portal_orders.entrypoints.subscriptions import Subscription
from portal_orders.entrypoints.types import Employee, Order, OrderBundle, Organisation, User
from portal_orders.service_layer.access import Seen
from portal_orders.service_layer.attachments import MAX_FILES, CheckedUpload, check_uploads
from portal_orders.service_layer.ports import OrderFilter, Sort
from portal_orders.service_layer.queries import BadQuery


def _bad_input(message: str) -> GraphQLError:
    """A query the list cannot run, as a GraphQL error in the caller's language."""
    return GraphQLError(translate(message), extensions={"code": "BAD_USER_INPUT"})


def _filter(wanted: OrderFilterInput | None) -> OrderFilter:
    if wanted is None:
        return OrderFilter()
    if len(wanted.statuses) > 50 or len(wanted.order_types) > 50:
        raise _bad_input(_("at most 50 statuses and 50 order types"))
    return OrderFilter(
        search=wanted.search,
        number=wanted.number,
        statuses=tuple(wanted.statuses),
        order_types=tuple(wanted.order_types),
        view=wanted.view.value,
        order_date_from=wanted.order_date_from,
        order_date_to=wanted.order_date_to,
        expected_delivery_from=wanted.expected_delivery_from,
        expected_delivery_to=wanted.expected_delivery_to,
        bundle=wanted.bundle,
        customer_organisation_ids=tuple(str(i) for i in wanted.customer_organisation_ids[:50]),
    )


@strawberry.type
class Query:
    @strawberry.field(description="An order the caller may see; null for any other id.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        found = await info.context.seen_orders.load(str(id))
        return Order.of(found, info.context.principal.locale) if found else None

    @strawberry.field(
        description="Orders the caller may see: search, filters, views, sort by any column."
    )
    async def orders(
        self,
        info: Info,
        filter: OrderFilterInput | None = None,
        sort: OrderSortInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Order] | None:
        size = page_size(first)
        desk = info.context.orders
        queries = await desk.queries()
        if queries is None:
            return empty_connection()
        chosen = Sort() if sort is None else Sort(sort.column.value, sort.descending)
        position = decode_keyset(after, chosen.value_type)
        try:
            page = await queries.page(_filter(filter), chosen, size=size, after=position)
        except BadQuery as error:
            raise _bad_input(error.args[0]) from None
        locale = info.context.principal.locale
        return connection(
            [Order.of(seen, locale) for seen in page.items],
            [encode_cursor([p.value, p.last_id]) for p in page.positions],
            has_next=page.has_next,
            has_previous=after is not None,
            total=page.total,
        )

    @strawberry.field(description="Counts by status × order type, with row and column totals.")
    async def order_dashboard(
        self, info: Info, view: OrderView = OrderView.ALL
    ) -> Dashboard | None:
        queries = await info.context.orders.queries()
        if queries is None:
            return None
        matrix = await queries.dashboard(view.value)
        return dashboard_of(matrix, queries.viewer.configuration, info.context.principal.locale)

    @strawberry.field(description="Bundles: one object's work orders of one day, together.")
    async def order_bundles(
        self, info: Info, filter: OrderFilterInput | None = None
    ) -> list[OrderBundle] | None:
        queries = await info.context.orders.queries()
        if queries is None:
            return []
        try:
            found = await queries.bundles(_filter(filter))
        except BadQuery as error:
            raise _bad_input(error.args[0]) from None
        locale = info.context.principal.locale
        return [
            OrderBundle(number=number, orders=[Order.of(seen, locale) for seen in orders])
            for number, orders in found
        ]

    @strawberry.field(description="The tenant's order types, workflows, statuses and note events.")
    async def order_configuration(self, info: Info) -> OrderConfiguration | None:
        configuration = info.context.orders.configuration
        if configuration is None or not info.context.principal.authenticated:
            return None
        return configuration_of(configuration, info.context.principal.locale)


@strawberry.type
class OrderPayload:
    order: Order | None
    user_errors: list[UserError]


async def _run(info: Info, action: Callable[[], Awaitable[Seen]]) -> OrderPayload:
    """Run a use case; a refusal by a domain rule becomes user errors and changes nothing."""
    seen, errors = await attempt(action)
    order = None if seen is None else Order.of(seen, info.context.principal.locale)
    return OrderPayload(order=order, user_errors=errors)


def _visibility(value: str | None) -> Visibility | None:
    if value is None:
        return None
    try:
        return Visibility(value.strip().lower())
    except ValueError:
        raise DomainError(_("one of internal, contractor, resident"), field="visibility") from None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register an order (who may: the tenant's configuration).")
    async def create_order(self, info: Info, input: CreateOrderInput) -> OrderPayload:
        desk = info.context.orders

        async def act() -> Seen:
            today = desk.local_today()
            return await desk.create_order(input.draft(today))

        return await _run(info, act)

    @strawberry.mutation(description="Staff give an order to a contractor organisation.")
    async def assign_order(self, info: Info, input: AssignOrderInput) -> OrderPayload:
        desk = info.context.orders
        contact = input.assignee_contact.value() if input.assignee_contact else None
        return await _run(
            info,
            lambda: desk.assign_order(
                str(input.id), input.version, str(input.assignee_organisation_id), contact
            ),
        )

    @strawberry.mutation(description="Change the fields the caller's role may change.")
    async def edit_order(self, info: Info, input: EditOrderInput) -> OrderPayload:
        desk = info.context.orders

        async def act() -> Seen:
            return await desk.edit_order(str(input.id), input.version, input.changes.changes())

        return await _run(info, act)

    @strawberry.mutation(description="Move an order to another status, as its workflow allows.")
    async def transition_order(self, info: Info, input: TransitionOrderInput) -> OrderPayload:
        desk = info.context.orders

        async def act() -> Seen:
            changes = input.changes.changes() if input.changes else {}
            return await desk.transition_order(
                str(input.id), input.version, input.status, comment=input.comment, changes=changes
            )

        return await _run(info, act)

    @strawberry.mutation(description="A note with a predefined event and phrase (Notera).")
    async def add_order_note(self, info: Info, input: AddOrderNoteInput) -> OrderPayload:
        desk = info.context.orders
        return await _run(
            info,
            lambda: desk.add_note(
                str(input.id), input.version, input.event, input.phrase, input.text
            ),
        )

    @strawberry.mutation(description="The contractor asks the orderer (Beställningsfråga).")
    async def ask_order_question(self, info: Info, input: AskOrderQuestionInput) -> OrderPayload:
        desk = info.context.orders
        return await _run(info, lambda: desk.ask_question(str(input.id), input.version, input.text))

    @strawberry.mutation(description="The orderer answers a question (Beställningssvar).")
    async def answer_order_question(
        self, info: Info, input: AnswerOrderQuestionInput
    ) -> OrderPayload:
        desk = info.context.orders
        return await _run(
            info,
            lambda: desk.answer_question(
                str(input.id), input.version, str(input.question_id), input.text
            ),
        )

    @strawberry.mutation(description="A dialog comment, with attachments; it is never overwritten.")
    async def add_order_comment(self, info: Info, input: AddOrderCommentInput) -> OrderPayload:
        desk = info.context.orders

        async def act() -> Seen:
            problems = Problems()
            uploads = []
            rules = desk.configuration.attachments if desk.configuration else None
            for index, attachment in enumerate(input.attachments[:20]):
                try:
                    uploads.append(
                        await attachment.upload(index, rules.max_bytes if rules else None)
                    )
                except DomainError as problem:
                    problems.add(problem)
            if len(input.attachments) > 20:
                problems.add(
                    DomainError(
                        _("at most {limit} files", limit=MAX_FILES),
                        field="attachments",
                        code="TOO_MANY",
                    )
                )
            if problems.found:
                # Name the other files' problems too, so the client sees them all at once.
                if rules is not None:
                    nothing_checked: list[CheckedUpload] = []
                    problems.check(
                        functools.partial(check_uploads, uploads, rules), nothing_checked
                    )
                raise ValidationFailed(sorted(problems.found, key=lambda p: p.field or ""))
            return await desk.add_comment(
                str(input.id), input.version, input.text, _visibility(input.visibility), uploads
            )

        return await _run(info, act)

    @strawberry.mutation(description="Staff add a booking slot (e.g. health checks) to an order.")
    async def add_booking_slot(self, info: Info, input: AddBookingSlotInput) -> OrderPayload:
        desk = info.context.orders

        async def act() -> Seen:
            seen, _ = await desk.add_booking_slot(
                str(input.id),
                input.version,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                place=input.place,
                capacity=input.capacity,
                cut_off=input.cut_off,
            )
            return seen

        return await _run(info, act)

    @strawberry.mutation(description="Put an employee on a booking slot until its cut-off.")
    async def book_employee(self, info: Info, input: BookEmployeeInput) -> OrderPayload:
        return await _booking(info, input, book=True)

    @strawberry.mutation(description="Take an employee off a booking slot until its cut-off.")
    async def unbook_employee(self, info: Info, input: BookEmployeeInput) -> OrderPayload:
        return await _booking(info, input, book=False)


async def _booking(info: Info, input: BookEmployeeInput, *, book: bool) -> OrderPayload:
    desk = info.context.orders
    return await _run(
        info,
        lambda: desk.book_employee(
            str(input.id), input.version, str(input.booking_id), str(input.employee_id), book=book
        ),
    )


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Organisation, User, Employee],
    extensions=[masking_extension, DocumentCache],
    execution_context_class=Execution,
)
