"""What every resolver of the orders service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from portal_kit.http import CallerContext
from strawberry.dataloader import DataLoader

from portal_orders.service_layer.access import Seen
from portal_orders.service_layer.orders import OrderDesk


@dataclass(kw_only=True)
class OrdersContext(CallerContext):
    orders: OrderDesk
    # Per request: every `order(id:)` of one document (the gateway's batched subscription
    # re-reads alias many) is read with one repository query.
    seen_orders: DataLoader[str, Seen | None] = field(init=False)

    def __post_init__(self) -> None:
        self.seen_orders = DataLoader(load_fn=self.orders.seen_among)


Info = strawberry.Info[OrdersContext, Any]
