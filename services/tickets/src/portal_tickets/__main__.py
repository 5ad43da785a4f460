"""`python -m portal_tickets`: serve the tickets subgraph."""

from portal_kit.serve import run

from portal_tickets.app import create_app
from portal_tickets.settings import TicketsSettings

if __name__ == "__main__":
    run(TicketsSettings, create_app)
