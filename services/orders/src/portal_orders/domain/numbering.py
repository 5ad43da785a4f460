"""Order numbers in the tenant's format, and the SLA dates of a new order."""

from __future__ import annotations

from datetime import date, datetime

from portal_kit.business_days import add_business_days

from portal_orders.domain.workflow import TenantConfiguration


def counter_names(
    configuration: TenantConfiguration, local_now: datetime
) -> tuple[str, str | None]:
    """The tenant counters a new number takes: the overall sequence (for stable ordering) and,
    for date-time numbers, the one of that second (the `NN` of JM's `250626-105451-01`)."""
    if configuration.number_format == "date-time-sequence":
        return "order", f"order-at:{local_now:%y%m%d-%H%M%S}"
    return "order", None


def format_number(
    configuration: TenantConfiguration, sequence: int, local_now: datetime, in_second: int | None
) -> str:
    if sequence < 1:
        raise ValueError("order sequences start at 1")
    if configuration.number_format == "date-time-sequence":
        if in_second is None or in_second < 1:
            raise ValueError("a date-time number needs its sequence within the second")
        return f"{local_now:%y%m%d-%H%M%S}-{in_second:02d}"
    return str(sequence)


def sla_dates(
    configuration: TenantConfiguration, order_date: date
) -> tuple[date | None, date | None]:
    """Expected contact and delivery dates: business days after the order date, skipping the
    country's public holidays, as the tenant's agreement with its contractors says."""
    sla = configuration.sla
    contact = (
        None
        if sla.contact_business_days is None
        else add_business_days(order_date, sla.contact_business_days, configuration.country)
    )
    delivery = (
        None
        if sla.delivery_business_days is None
        else add_business_days(order_date, sla.delivery_business_days, configuration.country)
    )
    return contact, delivery
