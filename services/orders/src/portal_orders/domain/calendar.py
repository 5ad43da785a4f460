"""Calendar maths of orders: the start of a tenant's window for finished orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def window_start(now: datetime, *, days: int = 0, months: int = 0) -> datetime:
    """The earliest close time still inside a window of `days` or calendar `months` before now."""
    start = now - timedelta(days=days)
    if months:
        month_index = start.year * 12 + start.month - 1 - months
        year, month = divmod(month_index, 12)
        day = min(start.day, _days_in_month(year, month + 1))
        start = start.replace(year=year, month=month + 1, day=day)
    return start


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
