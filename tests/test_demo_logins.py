"""The README's "Demo logins" table is what a new user walks a manual with: it names every demo
login there is, and each tenant has a staff login in it."""

from __future__ import annotations

import re
from pathlib import Path

from portal_people.demo_data import DEMO_TENANTS

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| ([a-z][a-z0-9-]*) \| `([^`]+)` \|")


def listed_logins() -> set[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("### Demo logins", 1)[1].split("\n#", 1)[0]
    return {(match[1], match[2]) for line in table.splitlines() if (match := ROW.match(line))}


def test_the_readme_lists_every_demo_login_and_no_other() -> None:
    demo = {(tenant.id, user.username) for tenant in DEMO_TENANTS for user in tenant.users}
    assert listed_logins() == demo


def test_every_tenant_has_a_staff_login() -> None:
    for tenant in DEMO_TENANTS:
        operators = {o.key for o in tenant.organisations if o.kind == "operator"}
        staff = [u for u in tenant.users if operators & set(u.memberships)]
        assert staff, f"{tenant.id} has no staff demo user"
