"""A tenant's facts that two services both need agree between them.

Each setting has one owner (docs/architecture.md, section 7): people owns a tenant's country, time
zone and locales; orders owns its order rules. Orders' shipped documents still name the country
(public holidays for SLA dates), the time zone (local dates) and the locales their labels are
written in, so a portal whose two services disagreed would count business days in one country
while its users live in another, or show statuses without a label in a user's language.
"""

from __future__ import annotations

import pytest
from portal_orders.adapters.configuration import shipped_configurations
from portal_people.demo_data import DEMO_TENANTS
from portal_people.domain.tenant import parse_configuration

PEOPLE = {tenant.id: parse_configuration(tenant.configuration) for tenant in DEMO_TENANTS}
ORDERS = shipped_configurations()


def test_every_tenant_with_orders_is_a_tenant_of_people() -> None:
    assert set(ORDERS) <= set(PEOPLE)


@pytest.mark.parametrize("tenant", sorted(ORDERS))
def test_orders_count_days_where_the_tenant_is(tenant: str) -> None:
    people, orders = PEOPLE[tenant], ORDERS[tenant]
    assert (orders.country, orders.time_zone) == (people.country, people.time_zone)


@pytest.mark.parametrize("tenant", sorted(ORDERS))
def test_orders_have_labels_in_every_language_the_tenant_offers(tenant: str) -> None:
    assert set(PEOPLE[tenant].locales) <= set(ORDERS[tenant].locales)
