"""Orders made and moved through a running gateway, for the subscription tests."""

from __future__ import annotations

from typing import Any

import httpx

from portal_gateway.testing.calls import mutate

ORDER = "id version status assigneeOrganisationId"
CREATE = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{
  order {{ {ORDER} }} userErrors {{ code message }} }} }}"""
TRANSITION = f"""mutation($input: TransitionOrderInput!) {{ transitionOrder(input: $input) {{
  order {{ {ORDER} }} userErrors {{ code message }} }} }}"""


async def new_order(gw: httpx.AsyncClient, token: str, firm: str) -> dict[str, Any]:
    """A JM order for `firm`, made with `token`."""
    created = await mutate(
        gw,
        token,
        CREATE,
        orderType="billable",
        description="Lekkasje under vask",
        customerOrganisationId="jm-housing",
        assigneeOrganisationId=firm,
    )
    assert created["userErrors"] == [], created
    order: dict[str, Any] = created["order"]
    return order


async def move(gw: httpx.AsyncClient, token: str, order: dict[str, Any], status: str) -> Any:
    """The order moved to `status`, as it is then."""
    moved = await mutate(
        gw, token, TRANSITION, id=order["id"], version=order["version"], status=status
    )
    assert moved["userErrors"] == [], moved
    return moved["order"]
