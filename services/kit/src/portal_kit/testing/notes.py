"""The smallest aggregate with an event and its repository, for tests of the kit's machinery
(runtime, relay, readiness) that need real writes with events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal_kit.domain import Aggregate
from portal_kit.events import DomainEvent
from portal_kit.mongo import Document
from portal_kit.repository import AggregateRepository


class NoteAdded(DomainEvent):
    aggregate: ClassVar[str] = "note"
    name: ClassVar[str] = "added"
    note_id: str


@dataclass(kw_only=True)
class Note(Aggregate):
    text: str


class NoteRepository(AggregateRepository[Note]):
    collection = "notes"
    service = "kit"

    def to_document(self, aggregate: Note) -> Document:
        return {"text": aggregate.text}

    def from_document(self, document: Document) -> Note:
        return Note(
            id=document["_id"],
            tenant=document["tenant"],
            version=document["version"],
            text=document["text"],
        )
