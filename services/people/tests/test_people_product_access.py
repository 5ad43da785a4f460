"""Product access (which users and customer organisations have which products): staff set it,
the holder reads it, and every change is a `product_access.changed` event with codes only."""

from __future__ import annotations

import json
from typing import Any

from portal_people.testing import add_user, seed_tenant

SET = """mutation($input: SetProductAccessInput!) { setProductAccess(input: $input) {
  productAccess { holderKind holderId products version } userErrors { field code } } }"""
READ = """query($kind: ProductAccessHolder!, $id: ID!) {
  productAccess(holderKind: $kind, holderId: $id) { products } }"""


async def events(nats_client: Any, namespace: Any, count: int) -> list[dict[str, Any]]:
    js = nats_client.jetstream()
    subscription = await js.subscribe(
        f"{namespace.event_prefix}.*.people.product_access.>",
        stream=f"{namespace.event_prefix.upper()}_PEOPLE",
        ordered_consumer=True,
    )
    try:
        return [json.loads((await subscription.next_msg(timeout=10)).data) for _ in range(count)]
    finally:
        await subscription.unsubscribe()


async def test_staff_set_products_of_a_customer_and_a_user_and_each_change_is_an_event(
    people: Any, nats_client: Any, namespace: Any
) -> None:
    service = people
    tenant = await seed_tenant(service, "visma-enterprise", country="DK")
    user = await add_user(service, tenant, "karen", organisation=tenant.customer)
    set_org = await service.graphql(
        SET,
        {
            "input": {
                "holderKind": "ORGANISATION",
                "holderId": tenant.customer,
                "products": ["visma_lon_abc", "visma_hr", "visma_hr"],
            }
        },
        principal=tenant.staff,
    )
    assert set_org["setProductAccess"] == {
        "productAccess": {
            "holderKind": "ORGANISATION",
            "holderId": tenant.customer,
            "products": ["visma_hr", "visma_lon_abc"],
            "version": 1,
        },
        "userErrors": [],
    }
    set_user = await service.graphql(
        SET,
        {"input": {"holderKind": "USER", "holderId": user["id"], "products": ["visma_lon_abc"]}},
        principal=tenant.staff,
    )
    assert set_user["setProductAccess"]["userErrors"] == []
    again = await service.graphql(
        SET,
        {"input": {"holderKind": "USER", "holderId": user["id"], "products": ["visma_lon_abc"]}},
        principal=tenant.staff,
    )
    assert again["setProductAccess"]["productAccess"]["version"] == 1  # nothing changed

    refused = await service.graphql(
        SET,
        {"input": {"holderKind": "USER", "holderId": user["id"], "products": ["x y"]}},
        principal=tenant.staff,
    )
    assert refused["setProductAccess"]["userErrors"] == [{"field": "products.0", "code": "INVALID"}]
    unknown = await service.graphql(
        SET,
        {"input": {"holderKind": "USER", "holderId": "nobody", "products": []}},
        principal=tenant.staff,
    )
    assert unknown["setProductAccess"]["userErrors"] == [{"field": "holderId", "code": "NOT_FOUND"}]
    by_customer = await service.graphql(
        SET,
        {"input": {"holderKind": "USER", "holderId": user["id"], "products": []}},
        principal=tenant.customer_admin,
    )
    assert by_customer["setProductAccess"]["userErrors"][0]["code"] == "FORBIDDEN"

    read = await service.graphql(
        READ, {"kind": "ORGANISATION", "id": tenant.customer}, principal=tenant.customer_admin
    )
    assert read["productAccess"] == {"products": ["visma_hr", "visma_lon_abc"]}
    hidden = await service.graphql(
        READ, {"kind": "USER", "id": user["id"]}, principal=tenant.contractor_member
    )
    assert hidden["productAccess"] is None

    first, second = await events(nats_client, namespace, 2)
    assert first["type"] == "portal.people.product_access.changed"
    assert first["data"] == {
        "holder_kind": "organisation",
        "holder_id": tenant.customer,
        "products": ["visma_hr", "visma_lon_abc"],
    }
    assert second["data"]["holder_id"] == user["id"]
    assert "karen" not in json.dumps([first, second])
