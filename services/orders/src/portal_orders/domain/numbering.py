"""Order numbers in the tenant's format, and the SLA dates of a new order."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from portal_kit.business_days import add_business_days
from portal_kit.text import fold

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
    # The counter itself starts at 1 (it also orders the orders); the number is offset.
    return str(configuration.first_number + sequence - 1)


class BundlePlace(NamedTuple):
    """Where a work order lands in its bundle, each counted from 1: its arrival in the bundle,
    the ordinal of its space (Utrymme) among the bundle's spaces in order of first appearance,
    and its arrival among that space's work orders."""

    position: int
    space: int
    in_space: int


FIRST_IN_BUNDLE = BundlePlace(1, 1, 1)


def bundle_of(
    configuration: TenantConfiguration, object_number: str | None, order_date: date
) -> str | None:
    """One object's work orders of one day share a bundle (Familjebostäder's 'Bunt'):
    `<object number>-<yyyymmdd>`, e.g. `64010765-20190819`."""
    if not configuration.bundles or not object_number:
        return None
    return f"{object_number}-{order_date:%Y%m%d}"


def bundle_space(space: str) -> str:
    """The key that groups a bundle's work orders by space ('Kök' and ' kök ' are one)."""
    return fold(space.strip())


def bundle_number(bundle: str, place: BundlePlace) -> str:
    """A work order's Buntnummer. The bundle's first work order carries the bundle number
    itself (`64010765-20190819`); every later one a sub-bundle number `<bundle>-<n>-<m>`, with
    `n` its space's ordinal in the bundle and `m` its ordinal among that space's work orders,
    the bundle's first not counted: a second order for the kitchen is `64010765-20190819-1-1`
    (the manual's AO 2377), the first for the bathroom after that `64010765-20190819-2-1`."""
    if min(place) < 1 or place.in_space > place.position:
        raise ValueError(f"not a place in a bundle: {place}")
    if place.position == 1:
        return bundle
    in_space = place.in_space - 1 if place.space == 1 else place.in_space
    return f"{bundle}-{place.space}-{in_space}"


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
