"""Events of the tickets service. Ids, codes, flags and counts only: a ticket's subject, title,
description and posts are free text that may hold personal data, so partners (and the
notifications that e-mail the creator and the followers) read them through the API with their
own rights. User ids are the people service's opaque account ids."""

from __future__ import annotations

from typing import ClassVar

from portal_kit.events import DomainEvent


class TicketEvent(DomainEvent):
    aggregate: ClassVar[str] = "ticket"
    ticket_id: str
    number: str


class TicketCreated(TicketEvent):
    name: ClassVar[str] = "created"
    ticket_type: str
    status: str
    organisation_id: str
    created_by: str
    private: bool
    service: str | None = None
    sub_service: str | None = None
    urgency: str | None = None
    impact: str | None = None
    topic: str | None = None
    files: int = 0


class TicketStatusChanged(TicketEvent):
    name: ClassVar[str] = "status_changed"
    from_status: str
    to_status: str
    category: str
    changed_by: str


class TicketClosed(TicketEvent):
    name: ClassVar[str] = "closed"
    status: str
    closed_by: str


class TicketReopened(TicketEvent):
    name: ClassVar[str] = "reopened"
    status: str
    reopened_by: str


class TicketPostAdded(TicketEvent):
    name: ClassVar[str] = "post_added"
    entry_id: str
    internal: bool
    author_id: str
    author_side: str
    files: int


class TicketFollowerAdded(TicketEvent):
    name: ClassVar[str] = "follower_added"
    follower_id: str
    added_by: str


class TicketFollowerRemoved(TicketEvent):
    name: ClassVar[str] = "follower_removed"
    follower_id: str
    removed_by: str


class TicketOwnerChanged(TicketEvent):
    name: ClassVar[str] = "owner_changed"
    owner_team: str | None
    owner_user: str | None
    by_rule: bool
    changed_by: str | None


class ArticleEvent(DomainEvent):
    """A knowledge-base article's life: ids, codes and languages only (no title or body)."""

    aggregate: ClassVar[str] = "article"
    article_id: str


class ArticlePublished(ArticleEvent):
    name: ClassVar[str] = "published"
    category: str
    audience: str
    languages: list[str]
    revision: int
    published_by: str


class ArticleArchived(ArticleEvent):
    name: ClassVar[str] = "archived"
    archived_by: str
