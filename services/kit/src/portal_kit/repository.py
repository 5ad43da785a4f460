"""Repositories that save an aggregate and its events in one single-document write."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pymongo.errors import DuplicateKeyError

from portal_kit.domain import Aggregate, Conflict, StaleVersion
from portal_kit.events import CloudEvent
from portal_kit.logging import traceparent_var
from portal_kit.messages import Messages
from portal_kit.mongo import Database, Document, TenantCollection
from portal_kit.outbox import OUTBOX
from portal_kit.outbox_claims import CLAIM

_ = Messages("portal_kit")

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)


# A filter no document matches: what a caller who may see nothing is given.
NOTHING: dict[str, Any] = {"_id": {"$in": []}}


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after the row with this sort value and id (ascending order)."""

    value: Any
    last_id: Any


def after_keyset(
    sort_key: str, after: Keyset | None, *, descending: bool = False
) -> dict[str, Any]:
    """Documents after `after` in (sort_key, _id) order, ascending unless `descending`; every
    document when there is no `after`."""
    if after is None:
        return {}
    beyond = "$lt" if descending else "$gt"
    return {
        "$or": [
            {sort_key: {beyond: after.value}},
            {sort_key: after.value, "_id": {beyond: after.last_id}},
        ]
    }


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list, with the total the filter matches."""

    items: list[T]
    has_next: bool
    total: int


# The relay's (outbox_claims.py): never read into an aggregate, never written by a save.
_STORED = ("_id", "tenant", "version", OUTBOX, CLAIM)
_NOT_READ = {OUTBOX: 0, CLAIM: 0}


class AggregateRepository(ABC, Generic[A]):
    """Loads and saves one aggregate type of one tenant.

    `add` inserts a new aggregate, `save` updates one only if nobody changed it since it was
    loaded (optimistic concurrency on `version`); both append the aggregate's pending events to
    the document's outbox in the same write, then wake the relay.
    """

    collection: ClassVar[str]
    service: ClassVar[str]

    def __init__(
        self, database: Database, tenant: str, *, on_commit: Callable[[], None] = lambda: None
    ) -> None:
        self._documents: TenantCollection = database.for_tenant(self.collection, tenant)
        self.tenant = tenant
        self._on_commit = on_commit

    @abstractmethod
    def to_document(self, aggregate: A) -> Document:
        """The aggregate's fields, without `_id`, `tenant`, `version` and `outbox`."""

    @abstractmethod
    def from_document(self, document: Document) -> A: ...

    async def get(self, aggregate_id: str) -> A | None:
        document = await self._documents.find_one({"_id": aggregate_id}, _NOT_READ)
        return None if document is None else self.from_document(document)

    async def find(self, filter_: dict[str, Any], **options: Any) -> list[A]:
        options.setdefault("projection", _NOT_READ)
        return [self.from_document(d) for d in await self._documents.find(filter_, **options)]

    async def count(self, filter_: dict[str, Any] | None = None) -> int:
        return await self._documents.count(filter_)

    async def page(
        self, visible: dict[str, Any], after: Keyset | None, *, sort_key: str, size: int
    ) -> Page[A]:
        """`size` aggregates matching `visible` that come after `after`, in (sort_key, _id)
        order; one more is read to know whether another page follows."""
        total = await self.count(visible)
        found = await self.find(
            {"$and": [visible, after_keyset(sort_key, after)]},
            sort=[(sort_key, 1), ("_id", 1)],
            limit=size + 1,
        )
        return Page(found[:size], has_next=len(found) > size, total=total)

    def _envelopes(self, aggregate: A, version: int) -> list[dict[str, Any]]:
        """The pending events as CloudEvents of the write that makes `version`. An event about
        the aggregate itself carries its place in the aggregate's history (`sequence`); one
        about another aggregate cannot know that one's and carries none."""
        return [
            CloudEvent.wrap(
                event,
                service=self.service,
                tenant=self.tenant,
                aggregate_id=str(getattr(event, event.subject_field))
                if event.subject_field
                else aggregate.id,
                traceparent=traceparent_var.get(),
                sequence=None if event.subject_field else CloudEvent.sequence_of(version, place),
            ).model_dump(mode="json")
            for place, event in enumerate(aggregate.take_events())
        ]

    async def add(self, aggregate: A) -> None:
        document = self.to_document(aggregate)
        document.update(_id=aggregate.id, version=1, outbox=self._envelopes(aggregate, 1))
        try:
            await self._documents.insert_one(document)
        except DuplicateKeyError as error:
            raise Conflict(self.duplicate_message(error), code="DUPLICATE") from error
        aggregate.version = 1
        self.saved(aggregate)
        self._on_commit()

    def appended(self, aggregate: A) -> dict[str, list[Any]]:
        """Arrays that only ever grow (an activity log): the items added since the aggregate
        was loaded, per field. `save` pushes them instead of `$set`-ting the whole array, so
        nothing written meanwhile by anyone is ever overwritten. None by default."""
        return {}

    def saved(self, aggregate: A) -> None:
        """Called after a successful `add` or `save`, e.g. to note what is now stored."""

    async def save(self, aggregate: A) -> None:
        appended = self.appended(aggregate)
        fields = {
            k: v
            for k, v in self.to_document(aggregate).items()
            if k not in _STORED and k not in appended
        }
        update: dict[str, Any] = {"$set": fields, "$inc": {"version": 1}}
        envelopes = self._envelopes(aggregate, aggregate.version + 1)
        pushes = {name: {"$each": items} for name, items in appended.items() if items}
        if envelopes:
            pushes[OUTBOX] = {"$each": envelopes}
        if pushes:
            update["$push"] = pushes
        try:
            saved = await self._documents.find_one_and_update(
                {"_id": aggregate.id, "version": aggregate.version}, update
            )
        except DuplicateKeyError as error:
            raise Conflict(self.duplicate_message(error), code="DUPLICATE") from error
        if saved is None:
            raise StaleVersion(
                _("it was changed by someone else since you loaded it; reload and try again"),
                field="version",
            )
        aggregate.version = saved["version"]
        self.saved(aggregate)
        if envelopes:
            self._on_commit()

    def duplicate_message(self, error: DuplicateKeyError) -> str:
        return _("one with the same identifying value already exists")


class SightedAggregates(Protocol[A, S_contra]):
    """What a use case needs of a repository read through a sight (a service's port is this
    protocol for its aggregate and sight)."""

    async def add(self, aggregate: A) -> None:
        """Stores a new aggregate and its events; `Conflict` (DUPLICATE) if it is taken."""

    async def save(self, aggregate: A) -> None:
        """Stores a change and its events; `StaleVersion` if someone changed it meanwhile."""

    async def visible(self, sight: S_contra, aggregate_id: str) -> A | None:
        """The aggregate if it is in sight; None for a missing and a hidden one alike."""

    async def page_for(self, sight: S_contra, after: Keyset | None, size: int) -> Page[A]:
        """`size` aggregates in sight, in the repository's order, after the position `after`."""


class SightedRepository(AggregateRepository[A], Generic[A, S]):
    """A repository read through a sight: the service layer's statement, in the domain's terms,
    of which aggregates one caller sees (docs/architecture.md, section 6). `in_sight` is the one
    place that statement becomes a query; `visible` and `page_for` read through it."""

    sort_key: ClassVar[str]

    @abstractmethod
    def in_sight(self, sight: S) -> dict[str, Any]:
        """The tenant's aggregates that `sight` takes in, as a filter."""

    async def visible(self, sight: S, aggregate_id: str) -> A | None:
        """The aggregate if it is in sight; None for a missing and a hidden one alike."""
        found = await self.find({"$and": [{"_id": aggregate_id}, self.in_sight(sight)]}, limit=1)
        return found[0] if found else None

    async def page_for(self, sight: S, after: Keyset | None, size: int) -> Page[A]:
        """`size` aggregates in sight, in (sort_key, _id) order, after the position `after`."""
        return await self.page(self.in_sight(sight), after, sort_key=self.sort_key, size=size)
