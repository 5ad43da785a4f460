"""`python -m portal_orders`: serve the orders subgraph."""

from portal_kit.serve import run

from portal_orders.app import create_app
from portal_orders.settings import OrdersSettings

if __name__ == "__main__":
    run(OrdersSettings, create_app)
