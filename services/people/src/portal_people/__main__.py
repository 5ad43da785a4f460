"""`python -m portal_people`: serve the people subgraph."""

from portal_kit.serve import run

from portal_people.app import create_app
from portal_people.settings import PeopleSettings

if __name__ == "__main__":
    run(PeopleSettings, create_app)
