"""The people service's use cases against in-memory fakes: no MongoDB, no NATS, no HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.principal import FIRST_LOGIN_SCOPE
from portal_kit.testing.plugin import make_principal
from portal_people.domain.events import OrganisationCreated, UserCreated
from portal_people.domain.tenant import Tenant, parse_configuration
from portal_people.service_layer.access import UserReading
from portal_people.service_layer.directory import MembershipInput

from .fakes import FakePeople

PASSWORD = "a long secret phrase"


async def portal() -> tuple[FakePeople, str]:
    """JM's portal with its operator organisation; returns the fakes and the operator's id."""
    people = FakePeople("jm")
    configuration = parse_configuration(
        {"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"}
    )
    await people.tenants.add(Tenant.create("jm", "JM", configuration))
    loader = make_principal("jm", user="loader", scopes=("platform:admin",))
    operator = await people.directory(loader).create_organisation("JM AS", "operator", None)
    return people, operator.id


async def test_staff_add_a_contractor_and_its_user_who_can_then_log_in():
    people, operator = await portal()
    staff = make_principal("jm", user="staff-1", staff=True, memberships={operator: ("admin",)})
    directory = people.directory(staff)
    contractor = await directory.create_organisation("Rørlegger Hansen AS", "contractor", None)
    user = await directory.create_user(
        username="ola",
        email="Ola@Example.com",
        name="Ola  Nordmann",
        locale=None,
        memberships=[MembershipInput(contractor.id, ["user"])],
        password=PASSWORD,
    )
    assert (user.name, user.locale, user.staff) == ("Ola Nordmann", "nb", False)
    assert [o.name for o in (await directory.organisation_page("jm", None, 10)).items] == [
        "JM AS",
        "Rørlegger Hansen AS",
    ]
    assert any(isinstance(e, OrganisationCreated) for e in people.organisations.committed)
    assert [type(e) for e in people.users.committed] == [UserCreated]

    anonymous = make_principal("jm", user="anonymous")
    session = await people.sessions(anonymous).log_in("OLA@example.com", PASSWORD, None)
    assert session.access_token == f"access-token-of-{user.id}"
    assert session.refresh_expires_at == people.clock() + timedelta(days=30)


async def test_a_user_name_is_taken_whatever_its_case():
    people, operator = await portal()
    staff = make_principal("jm", user="staff-1", staff=True, memberships={operator: ("admin",)})
    directory = people.directory(staff)
    ola = {
        "email": "ola@example.com",
        "name": "Ola Nordmann",
        "locale": "en",
        "memberships": [MembershipInput(operator, ["user"])],
    }
    await directory.create_user(username="ola", **ola)
    with pytest.raises(ValidationFailed) as refused:
        await directory.create_user(username="OLA", **ola)
    problems = [(p.field, p.code) for p in refused.value.problems]
    assert problems == [("username", "DUPLICATE"), ("email", "DUPLICATE")]
    assert len(people.users.stored) == 1


async def test_failed_logins_lock_the_account_even_for_the_right_password_until_it_expires():
    people, operator = await portal()
    staff = make_principal("jm", user="staff-1", staff=True, memberships={operator: ("admin",)})
    await people.directory(staff).create_user(
        username="target",
        email="target@example.com",
        name="Target Person",
        locale=None,
        memberships=[MembershipInput(operator, ["user"])],
        password=PASSWORD,
    )
    anonymous = make_principal("jm", user="anonymous")
    for _ in range(5):
        with pytest.raises(DomainError) as wrong:
            await people.sessions(anonymous).log_in("target", "wrong password!!", None)
        assert wrong.value.code == "INVALID_CREDENTIALS"
    with pytest.raises(DomainError) as locked:
        await people.sessions(anonymous).log_in("target", PASSWORD, None)
    assert locked.value.code == "LOGIN_THROTTLED"

    people.clock.advance(timedelta(minutes=2))
    assert await people.sessions(anonymous).log_in("target", PASSWORD, None)


async def test_a_user_with_a_first_login_pending_sees_only_their_own_organisations():
    people, operator = await portal()
    directory = people.directory(
        make_principal("jm", user="staff-1", staff=True, memberships={operator: ("admin",)})
    )
    organisations = [await directory.create_organisation("Rørlegger Hansen AS", "contractor", None)]
    for name, parent in (("Hansen Bergen", organisations[0].id), ("Elektro AS", None)):
        organisations.append(await directory.create_organisation(name, "contractor", parent))
    contractor, branch, other = organisations
    user = await directory.create_user(
        username="ny.bruker",
        email="ny@example.com",
        name="Ny Bruker",
        locale=None,
        memberships=[MembershipInput(contractor.id, ["user"])],
        first_login=["contact_details", "password"],
    )
    # The restricted token: no memberships, only the first-login scope.
    pending = make_principal("jm", user=user.id, scopes=(FIRST_LOGIN_SCOPE,))
    seen = people.directory(pending)
    assert (await seen.organisation(contractor.id)) is not None
    for hidden in (operator, branch.id, other.id):
        assert await seen.organisation(hidden) is None
    page = await seen.organisation_page("jm", None, 10)
    assert page is not None and [o.name for o in page.items] == ["Rørlegger Hansen AS"]
    # Someone else's restricted token sees nothing of this user's organisations.
    stranger = make_principal("jm", user="someone-else", scopes=(FIRST_LOGIN_SCOPE,))
    assert await people.directory(stranger).organisation(contractor.id) is None


async def test_a_member_reads_what_its_records_name_and_lists_only_its_own():
    """The operator organisation and its staff, and colleagues, are read by id (a contact card
    for people); a customer organisation and its members stay out of a contractor's sight."""
    people, operator = await portal()
    staff = make_principal("jm", user="staff-1", staff=True, memberships={operator: ("admin",)})
    directory = people.directory(staff)
    contractor = await directory.create_organisation("Emmas Testföretag", "contractor", None)
    customer = await directory.create_organisation("Brf Exempel", "customer", None)
    created = {}
    for username, organisation in (
        ("pm.testare", operator),
        ("emma", contractor.id),
        ("kollega", contractor.id),
        ("styrelsen", customer.id),
    ):
        created[username] = await directory.create_user(
            username=username,
            email=f"{username}@example.com",
            name=username.title(),
            locale=None,
            memberships=[MembershipInput(organisation, ["user"])],
        )
    emma = people.directory(
        make_principal("jm", user=created["emma"].id, memberships={contractor.id: ("user",)})
    )

    found = await emma.organisation_by_reference(operator)
    assert found is not None and found.name == "JM AS"
    assert await emma.organisation_by_reference(customer.id) is None
    listed = await emma.organisation_page("jm", None, 10)
    assert listed is not None and [o.name for o in listed.items] == ["Emmas Testföretag"]

    readings = {name: await emma.user_by_reference(user.id) for name, user in created.items()}
    assert {name: r[1] if r else None for name, r in readings.items()} == {
        "pm.testare": UserReading.CARD,
        "emma": UserReading.FULL,
        "kollega": UserReading.CARD,
        "styrelsen": None,
    }
    # The contact card is read by id only: the list of users is what it was (the caller).
    users = await emma.user_page(None, None, 10)
    assert users is not None and [u.username for u in users.items] == ["emma"]
    # A full read (what changes go through) still sees only the caller itself.
    assert await emma.user(created["pm.testare"].id) is None
