"""A parent organisation's members see its departments' tickets and orders, so they read the
contact card of a department's member who wrote one (a name on a ticket is never null for
someone who may see the ticket); a department's member does not read the parent's members
beyond what they did before, and nobody else reads them."""

from __future__ import annotations

from typing import Any

from portal_kit.testing.plugin import make_principal
from portal_people.testing import add_user, seed_tenant

CARD = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }"""


async def test_a_parents_member_reads_the_card_of_a_departments_member(people: Any) -> None:
    tenant = await seed_tenant(people, "visma-enterprise", country="DK")
    writer = await add_user(people, tenant, "afdeling", organisation=tenant.department)
    representation = {"r": [{"__typename": "User", "id": writer["id"]}]}
    parent_member = make_principal(
        "visma-enterprise", user="kunde", memberships={tenant.customer: ("user",)}
    )
    outsider = make_principal(
        "visma-enterprise", user="udefra", memberships={tenant.contractor: ("user",)}
    )
    seen = await people.graphql(CARD, representation, principal=parent_member)
    assert seen["_entities"] == [{"name": "Afdeling Person"}]
    hidden = await people.graphql(CARD, representation, principal=outsider)
    assert hidden["_entities"] == [None]
