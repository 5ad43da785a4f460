"""Demo tenants: one per portal manual in shared/seeds, plus the platform's own operators.

Names and organisations follow the manuals (JM's contractor 'Emmas Testföretag', Familjebostäder's
'Testfirma AB' with user name 1999/99999, Avonova's 'Demokunde_Test' with departments, the
InSchool support portal where the e-mail is the user name, Visma Enterprise's 'BPO Account' with a
user who can switch between two customers); Avonova's second customer and its user of both
customers are ours. E-mail domains are reserved example domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "Portal-demo-2026!"


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    kind: str
    parent: str | None = None
    # street, postal code, city: the address under 'Fakturauppgifter' in a manual
    invoice_address: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    name: str
    memberships: dict[str, list[str]]
    scopes: list[str] = field(default_factory=list)
    # Steps of a forced first login (Familjebostäder): contact_details, password.
    first_login: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoEmployee:
    organisation: str
    first_name: str
    last_name: str
    email: str
    mobile: str | None = None
    national_id: str | None = None


@dataclass(frozen=True)
class DemoTenant:
    id: str
    name: str
    configuration: dict[str, Any]
    organisations: list[DemoOrganisation]
    users: list[DemoUser]
    employees: list[DemoEmployee] = field(default_factory=list)
    # Notification settings (configureNotifications), and customer organisation key -> the
    # user name of its account manager (setAccountManager).
    notifications: dict[str, Any] = field(default_factory=dict)
    account_managers: dict[str, str] = field(default_factory=dict)


DEMO_TENANTS = [
    DemoTenant(
        id="platform",
        name="Portal platform operations",
        configuration={"country": "NO", "locales": ["en", "nb"], "default_locale": "en"},
        organisations=[DemoOrganisation("ops", "Platform operations", "operator")],
        users=[
            DemoUser(
                "platform-admin",
                "admin@platform.example",
                "Platform Administrator",
                {"ops": ["admin"]},
                scopes=["platform:admin"],
            )
        ],
    ),
    DemoTenant(
        id="jm",
        name="JM entreprenørportal",
        configuration={
            "country": "NO",
            "locales": ["nb", "sv", "en"],
            "default_locale": "nb",
            "time_zone": "Europe/Oslo",
        },
        organisations=[
            DemoOrganisation("jm", "JM AS", "operator"),
            DemoOrganisation("emma", "Emmas Testföretag (projekt A)", "contractor"),
            DemoOrganisation("ror", "Rørlegger Hansen AS", "contractor"),
        ],
        users=[
            DemoUser("pm.testare", "pm.testareno@jm.example", "PM Testare NO", {"jm": ["admin"]}),
            DemoUser(
                "mejlkontakt", "mejlkontakt@emma.example", "Mejlkontakt Emmas", {"emma": ["user"]}
            ),
        ],
        # The JM contact hears of a contractor declining, a customer not answering, or the
        # contractor waiting for JM.
        notifications={
            "attentionStatuses": ["declined", "customer_not_answering", "awaiting_operator"]
        },
    ),
    DemoTenant(
        id="familjebostader",
        name="Familjebostäder arbetsorderportal",
        configuration={
            "country": "SE",
            "locales": ["sv", "en"],
            "default_locale": "sv",
            "time_zone": "Europe/Stockholm",
            "password_policy": {"min_length": 10, "max_length": 30},
        },
        organisations=[
            DemoOrganisation(
                "fb",
                "Familjebostäder AB",
                "operator",
                invoice_address=("Box 92100", "120 07", "Stockholm"),
            ),
            DemoOrganisation("testfirma", "Testfirma AB", "contractor"),
        ],
        users=[
            DemoUser(
                "elsa.osterberg", "elsa.osterberg@fb.example", "Elsa Österberg", {"fb": ["admin"]}
            ),
            DemoUser(
                "1999/99999", "test@testmail.example", "Testfirma AB", {"testfirma": ["user"]}
            ),
            # Logs in like the manual's first login: contact details and password first.
            DemoUser(
                "1999/88888",
                "ny@testmail.example",
                "Nyfirma AB",
                {"testfirma": ["user"]},
                first_login=["contact_details", "password"],
            ),
        ],
    ),
    DemoTenant(
        id="avonova",
        name="Avonova kundeportal",
        configuration={
            "country": "NO",
            "locales": ["nb", "en"],
            "default_locale": "nb",
            "time_zone": "Europe/Oslo",
        },
        organisations=[
            DemoOrganisation("avonova", "Avonova Helse AS", "operator"),
            DemoOrganisation("demokunde", "Demokunde_Test", "customer"),
            DemoOrganisation("testbedriften", "Testbedriften AS", "customer", parent="demokunde"),
            DemoOrganisation("bergen", "Bergen TEST", "customer", parent="demokunde"),
            # A second customer (ours; the manual shows one), for a user of two customers.
            DemoOrganisation("nordlys", "Nordlys Eiendom AS", "customer"),
        ],
        users=[
            DemoUser(
                "kundeansvarlig",
                "kundeansvarlig@avonova.example",
                "Kari Kundeansvarlig",
                {"avonova": ["admin"]},
            ),
            DemoUser(
                "testweb",
                "testweb@demokunde.example",
                "Test Bruker",
                {"demokunde": ["admin", "billing"]},
            ),
            # Orders for two customers and chooses one to work for (chooseActiveOrganisation).
            DemoUser(
                "hr.felles",
                "hr.felles@nordlys.example",
                "Hanne Felles",
                {"demokunde": ["user"], "nordlys": ["user", "billing"]},
            ),
        ],
        # The manual's employee list; national IDs are synthetic but valid.
        employees=[
            DemoEmployee("demokunde", "Dolly", "Duck", "Dolly.Duck@testeren.example"),
            DemoEmployee(
                "demokunde",
                "Donald",
                "Duck",
                "Donald.Duck@testeren.example",
                mobile="41244845",
                national_id="15108695088",
            ),
            DemoEmployee("testbedriften", "test", "yoyo", "yoyo@testbedriften.example"),
        ],
        # "din kundeansvarlige hos oss blir automatisk informert når ny bestilling sendes inn"
        account_managers={"demokunde": "kundeansvarlig", "nordlys": "kundeansvarlig"},
    ),
    DemoTenant(
        id="visma-inschool",
        name="Visma InSchool kundportal",
        configuration={
            "country": "FI",
            "locales": ["sv", "fi", "en"],
            "default_locale": "sv",
            "time_zone": "Europe/Helsinki",
        },
        organisations=[
            DemoOrganisation("visma", "Visma InSchool", "operator"),
            DemoOrganisation("skola", "Exempelskolan i Vasa", "customer"),
        ],
        users=[
            DemoUser(
                "maria.westerback@visma.example",
                "maria.westerback@visma.example",
                "Maria Westerback",
                {"visma": ["admin"]},
            ),
            DemoUser(
                "rektor@skola.example",
                "rektor@skola.example",
                "Rektor Exempel",
                {"skola": ["user"]},
            ),
        ],
    ),
    DemoTenant(
        id="visma-enterprise",
        name="Visma Enterprise Customer Portal",
        configuration={
            "country": "DK",
            "locales": ["da", "en"],
            "default_locale": "da",
            "time_zone": "Europe/Copenhagen",
        },
        organisations=[
            DemoOrganisation("visma", "Visma Enterprise A/S", "operator"),
            DemoOrganisation("bpo", "BPO Account", "customer"),
            DemoOrganisation("kunde-b", "Kunde B ApS", "customer"),
        ],
        users=[
            DemoUser(
                "support.agent",
                "support@visma-enterprise.example",
                "BPO Team 1",
                {"visma": ["admin"]},
            ),
            DemoUser(
                "patrick.stjerne",
                "patrick.stjerne@bpo.example",
                "Patrick Stjerne",
                {"bpo": ["user"], "kunde-b": ["user"]},
            ),
        ],
    ),
]
