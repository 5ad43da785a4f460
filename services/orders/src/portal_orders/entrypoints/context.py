"""What every resolver of the orders service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from starlette.requests import Request

from portal_orders.service_layer.orders import OrderDesk


@dataclass
class OrdersContext:
    principal: Principal
    orders: OrderDesk
    request: Request | None = None


Info = strawberry.Info[OrdersContext, Any]
