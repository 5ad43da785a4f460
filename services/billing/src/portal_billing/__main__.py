"""`python -m portal_billing`: serve the billing subgraph."""

from portal_kit.serve import run

from portal_billing.app import create_app
from portal_billing.settings import BillingSettings

if __name__ == "__main__":
    run(BillingSettings, create_app)
