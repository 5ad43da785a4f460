"""Audit records that must reach partners as events: each reveal of a full national ID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal_kit.domain import Aggregate, new_id

from portal_people.domain.events import NationalIdRevealed


@dataclass(kw_only=True)
class NationalIdReveal(Aggregate):
    employee_id: str
    revealed_by: str
    revealed_at: datetime

    @classmethod
    def record_reveal(
        cls, tenant: str, employee_id: str, revealed_by: str, now: datetime
    ) -> NationalIdReveal:
        reveal = cls(
            id=new_id(),
            tenant=tenant,
            employee_id=employee_id,
            revealed_by=revealed_by,
            revealed_at=now,
        )
        reveal.record(
            NationalIdRevealed(
                employee_id=employee_id, revealed_by=revealed_by, revealed_at=now.isoformat()
            )
        )
        return reveal
