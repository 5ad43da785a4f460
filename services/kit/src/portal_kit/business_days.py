"""Business-day arithmetic with a country's public holidays (SLA dates, due dates).

A business day is a weekday that is not a public holiday of the country (the `holidays`
package's calendar). Holiday calendars are built once per country and year.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=256)
def _holidays_of(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_business_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays_of(country, day.year)


def add_business_days(start: date, days: int, country: str) -> date:
    """The day `days` business days after `start` (`start` itself never counts).

    Zero days gives `start` when it is a business day, else the next business day.
    """
    if days < 0:
        raise ValueError("business days to add must not be negative")
    day = start
    if days == 0:
        while not is_business_day(day, country):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, country):
            remaining -= 1
    return day
