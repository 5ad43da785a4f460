"""Events of the tickets service. Ids, codes, flags and counts only: a ticket's subject, title,
description and posts are free text that may hold personal data, so partners (and the
notifications that e-mail the creator and the followers) read them through the API with their
own rights. User ids are the people service's opaque account ids."""

from __future__ import annotations

from typing import ClassVar

from portal_kit.events import DomainEvent
from pydantic import Field


class TicketEvent(DomainEvent):
    aggregate: ClassVar[str] = "ticket"
    ticket_id: str = Field(description="The ticket's id.")
    number: str = Field(description="The ticket's number, as people see it.")


class TicketCreated(TicketEvent):
    name: ClassVar[str] = "created"
    ticket_type: str = Field(description="The ticket type's code (e.g. incident, service request).")
    status: str = Field(description="The ticket's status code after the change.")
    organisation_id: str = Field(
        description="The organisation the ticket belongs to (people's organisation id)."
    )
    created_by: str = Field(description="The user id of who opened the ticket.")
    private: bool = Field(
        description="True when only the creator (and the service desk) may see the ticket."
    )
    service: str | None = Field(
        default=None, description="The service code the ticket is about (None: none chosen)."
    )
    sub_service: str | None = Field(
        default=None, description="The sub-service code (None: none chosen)."
    )
    urgency: str | None = Field(default=None, description="The urgency code (None: not set).")
    impact: str | None = Field(default=None, description="The impact code (None: not set).")
    topic: str | None = Field(default=None, description="The topic code (None: not set).")
    files: int = Field(default=0, description="How many files came with it.")


class TicketStatusChanged(TicketEvent):
    name: ClassVar[str] = "status_changed"
    from_status: str = Field(description="The status code the ticket left.")
    to_status: str = Field(description="The status code the ticket entered.")
    category: str = Field(
        description="The category of the new status (e.g. open, waiting, closed)."
    )
    changed_by: str = Field(description="The user id of who made the change.")


class TicketClosed(TicketEvent):
    name: ClassVar[str] = "closed"
    status: str = Field(description="The ticket's status code after the change.")
    closed_by: str = Field(description="The user id of who closed the ticket.")


class TicketReopened(TicketEvent):
    name: ClassVar[str] = "reopened"
    status: str = Field(description="The ticket's status code after the change.")
    reopened_by: str = Field(description="The user id of who reopened the ticket.")


class TicketPostAdded(TicketEvent):
    name: ClassVar[str] = "post_added"
    entry_id: str = Field(description="The id of the post written.")
    internal: bool = Field(description="True for an internal note the customer side never sees.")
    author_id: str = Field(description="The user id of the post's author.")
    author_side: str = Field(description="Which side wrote it: customer or service desk.")
    files: int = Field(description="How many files came with it.")


class TicketFollowerAdded(TicketEvent):
    name: ClassVar[str] = "follower_added"
    follower_id: str = Field(description="The user id of the follower.")
    added_by: str = Field(description="The user id of who added the follower.")


class TicketFollowerRemoved(TicketEvent):
    name: ClassVar[str] = "follower_removed"
    follower_id: str = Field(description="The user id of the follower.")
    removed_by: str = Field(description="The user id of who removed the follower.")


class TicketOwnerChanged(TicketEvent):
    name: ClassVar[str] = "owner_changed"
    owner_team: str | None = Field(description="The owning team's code (None: no team).")
    owner_user: str | None = Field(description="The owning user's id (None: no user).")
    by_rule: bool = Field(description="True when a routing rule set the owner.")
    changed_by: str | None = Field(
        description="The user id of who changed the owner (None: a rule did)."
    )


class ArticleEvent(DomainEvent):
    """A knowledge-base article's life: ids, codes and languages only (no title or body)."""

    aggregate: ClassVar[str] = "article"
    article_id: str = Field(description="The knowledge-base article's id.")


class ArticlePublished(ArticleEvent):
    name: ClassVar[str] = "published"
    category: str = Field(description="The article's category code.")
    audience: str = Field(
        description="Who may read the article (the audience code, e.g. public or internal)."
    )
    languages: list[str] = Field(
        description="The languages the article is published in (BCP 47 codes, e.g. nb, en)."
    )
    revision: int = Field(description="The revision number published.")
    published_by: str = Field(description="The user id of who published it.")


class ArticleArchived(ArticleEvent):
    name: ClassVar[str] = "archived"
    archived_by: str = Field(description="The user id of who archived it.")
