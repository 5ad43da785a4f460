"""What every resolver of the orders service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.http import CallerContext

from portal_orders.service_layer.orders import OrderDesk


@dataclass(kw_only=True)
class OrdersContext(CallerContext):
    orders: OrderDesk


Info = strawberry.Info[OrdersContext, Any]
