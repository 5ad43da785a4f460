"""The employee register (Avonova): masked national IDs, audited reveals, CRM events."""

from __future__ import annotations

from portal_kit.testing.plugin import make_principal
from portal_people.testing import add_user, seed_tenant

from .test_people_events import start_partner

FNR = "15108695088"  # a valid Norwegian fødselsnummer (15.10.1986)
EMPLOYEE = (
    "id organisationId firstName lastName email mobile birthDate gender nationalId active version"
)
ADD = f"""mutation($input: AddEmployeeInput!) {{ addEmployee(input: $input) {{
  employee {{ {EMPLOYEE} }} userErrors {{ field code message }} }} }}"""
EDIT = f"""mutation($input: EditEmployeeInput!) {{ editEmployee(input: $input) {{
  employee {{ {EMPLOYEE} }} userErrors {{ field code message }} }} }}"""
DEACTIVATE = """mutation($input: EmployeeStatusInput!) { deactivateEmployee(input: $input) {
  employee { active version } userErrors { field code } } }"""
REACTIVATE = """mutation($input: EmployeeStatusInput!) { reactivateEmployee(input: $input) {
  employee { active version } userErrors { field code } } }"""
REVEAL = "query($id: ID!) { employee(id: $id) { nationalId nationalIdRevealed } }"
SEARCH = """query($text: String, $org: ID, $all: Boolean! = false) {
  employees(text: $text, organisationId: $org, includeInactive: $all) {
    totalCount edges { node { firstName lastName } } } }"""


def donald(organisation: str, **extra):
    return {
        "input": {
            "organisationId": organisation,
            "firstName": "Donald",
            "lastName": "Duck",
            "email": "Donald.Duck@testeren.no",
            "mobile": "41244845",
            "gender": "MALE",
            "nationalId": FNR,
            **extra,
        }
    }


async def test_avonova_employee_register_from_adding_to_deactivation(people):
    avonova = await seed_tenant(people, "avonova")
    partner, consumer = await start_partner(people, durable="crm")
    try:
        added = await people.graphql(
            ADD, donald(avonova.department), principal=avonova.customer_admin
        )
        assert added["addEmployee"]["userErrors"] == []
        employee = added["addEmployee"]["employee"]
        assert employee["nationalId"] == "151086*****"
        assert employee["birthDate"] is None and employee["mobile"] == "+4741244845"

        # Read masked by everyone, even staff; the full value needs the explicit scope.
        plain = await people.graphql(REVEAL, {"id": employee["id"]}, principal=avonova.staff)
        assert plain["employee"] == {"nationalId": "151086*****", "nationalIdRevealed": None}
        auditor = make_principal(
            "avonova",
            user="auditor-7",
            staff=True,
            memberships={avonova.operator: ("admin",)},
            scopes=("people:national-id:reveal",),
        )
        revealed = await people.graphql(REVEAL, {"id": employee["id"]}, principal=auditor)
        assert revealed["employee"]["nationalIdRevealed"] == FNR

        edited = await people.graphql(
            EDIT,
            {
                "input": {
                    "id": employee["id"],
                    "version": employee["version"],
                    "email": "donald@ny-adresse.no",
                    "birthDate": "1986-10-15",
                }
            },
            principal=avonova.customer_admin,
        )
        assert edited["editEmployee"]["userErrors"] == []
        version = edited["editEmployee"]["employee"]["version"]
        gone = await people.graphql(
            DEACTIVATE,
            {"input": {"id": employee["id"], "version": version}},
            principal=avonova.customer_admin,
        )
        assert gone["deactivateEmployee"]["employee"]["active"] is False
        await partner.wait_for("portal.people.employee.deactivated")
        await partner.wait_for("portal.people.national_id.revealed")
    finally:
        await consumer.stop()
    audit = partner.of_type("portal.people.national_id.revealed")
    assert len(audit) == 1
    assert audit[0].data["employee_id"] == employee["id"]
    assert audit[0].data["revealed_by"] == "auditor-7"
    assert audit[0].data["revealed_at"]
    crm = [e for e in partner.effects if e.type.startswith("portal.people.employee.")]
    assert [e.type.rsplit(".", 1)[1] for e in crm] == ["created", "updated", "deactivated"]
    assert crm[1].data["changed"] == ["email", "birth_date"]
    # What orders' read model of employees keeps, in every one of them: organisation, active.
    assert all(e.data["organisation_id"] == avonova.department for e in crm)
    assert crm[1].data["active"] is True
    for event in partner.effects:
        text = event.model_dump_json()
        assert FNR not in text and "151086" not in text
        assert "donald" not in text.lower() and "41244845" not in text
    stored = await people.runtime.database.system_collection("employees").find_one(
        {"_id": employee["id"]}
    )
    assert FNR not in str(stored), "the national ID is encrypted at rest"


async def test_invalid_national_ids_and_fields_are_refused_and_nothing_is_written(people):
    avonova = await seed_tenant(people, "avonova")
    bad = await people.graphql(
        ADD,
        donald(
            avonova.department,
            nationalId="15108695089",
            email="",
            mobile="123",
            firstName=" ",
        ),
        principal=avonova.customer_admin,
    )
    assert {(e["field"], e["code"]) for e in bad["addEmployee"]["userErrors"]} == {
        ("nationalId", "INVALID_CHECKSUM"),
        ("email", "REQUIRED"),
        ("mobile", "INVALID_PHONE"),
        ("firstName", "REQUIRED"),
    }
    mismatch = await people.graphql(
        ADD, donald(avonova.department, birthDate="1990-01-01"), principal=avonova.staff
    )
    assert mismatch["addEmployee"]["userErrors"][0] == {
        "field": "nationalId",
        "code": "INVALID_DATE",
        "message": "the national ID holds another birth date",
    }
    contractor_org = await people.graphql(ADD, donald(avonova.contractor), principal=avonova.staff)
    assert contractor_org["addEmployee"]["userErrors"][0]["field"] == "organisationId"
    found = await people.graphql(SEARCH, {"all": True}, principal=avonova.staff)
    assert found["employees"]["totalCount"] == 0


async def test_national_ids_follow_the_tenants_country(people):
    for tenant, country, number, masked in (
        ("se-kund", "SE", "880320-0016", "880320*****"),
        ("dk-kunde", "DK", "211062-5629", "211062*****"),
        ("fi-asiakas", "FI", "131052-308T", "131052*****"),
    ):
        seeded = await seed_tenant(people, tenant, country=country)
        added = await people.graphql(
            ADD, donald(seeded.customer, nationalId=number, mobile=None), principal=seeded.staff
        )
        assert added["addEmployee"]["userErrors"] == [], tenant
        assert added["addEmployee"]["employee"]["nationalId"] == masked
        norwegian = await people.graphql(
            ADD, donald(seeded.customer, mobile=None), principal=seeded.staff
        )
        assert [e["field"] for e in norwegian["addEmployee"]["userErrors"]] == ["nationalId"]


async def test_search_by_free_text_and_department_and_who_sees_whom(people):
    avonova = await seed_tenant(people, "avonova")
    other = await seed_tenant(people, "other")
    for first, last, organisation in (
        ("Dolly", "Duck", avonova.department),
        ("Donald", "Duck", avonova.customer),
        ("Øystein", "Ås", avonova.customer),
    ):
        data = await people.graphql(
            ADD,
            donald(
                organisation,
                firstName=first,
                lastName=last,
                nationalId=None,
                email=f"{first.lower()}@x.no",
            ),
            principal=avonova.staff,
        )
        assert data["addEmployee"]["userErrors"] == []

    async def names(principal, **variables):
        data = await people.graphql(SEARCH, variables, principal=principal)
        return sorted(e["node"]["firstName"] for e in data["employees"]["edges"])

    assert await names(avonova.staff, text="duck") == ["Dolly", "Donald"]
    assert await names(avonova.staff, text="oystein") == ["Øystein"]
    assert await names(avonova.staff, text=".*") == []
    assert await names(avonova.staff, org=avonova.department) == ["Dolly"]
    assert await names(avonova.customer_admin) == ["Dolly", "Donald", "Øystein"]
    assert await names(avonova.contractor_member) == []
    # Another tenant's staff, even with ids copied across, find nothing.
    assert await names(other.staff) == []
    assert await names(other.staff, org=avonova.department) == []
    employee_id = (
        await people.graphql(
            "{ employees { edges { node { id version } } } }", principal=avonova.staff
        )
    )["employees"]["edges"][0]["node"]
    foreign = await people.graphql(
        "query($id: ID!) { employee(id: $id) { id } }",
        {"id": employee_id["id"]},
        principal=other.staff,
    )
    assert foreign == {"employee": None}
    hijack = await people.graphql(
        DEACTIVATE,
        {"input": {"id": employee_id["id"], "version": employee_id["version"]}},
        principal=other.staff,
    )
    assert hijack["deactivateEmployee"]["userErrors"] == [{"field": "id", "code": "NOT_FOUND"}]
    assert await names(avonova.staff, text="d") == ["Dolly", "Donald"]


async def test_reactivation_and_clearing_the_national_id(people):
    avonova = await seed_tenant(people, "avonova")
    added = (await people.graphql(ADD, donald(avonova.customer), principal=avonova.staff))[
        "addEmployee"
    ]["employee"]
    gone = await people.graphql(
        DEACTIVATE, {"input": {"id": added["id"], "version": 1}}, principal=avonova.staff
    )
    back = await people.graphql(
        REACTIVATE,
        {
            "input": {
                "id": added["id"],
                "version": gone["deactivateEmployee"]["employee"]["version"],
            }
        },
        principal=avonova.staff,
    )
    assert back["reactivateEmployee"]["employee"] == {"active": True, "version": 3}
    cleared = await people.graphql(
        EDIT,
        {"input": {"id": added["id"], "version": 3, "nationalId": ""}},
        principal=avonova.staff,
    )
    assert cleared["editEmployee"]["employee"]["nationalId"] is None
    stale = await people.graphql(
        EDIT,
        {"input": {"id": added["id"], "version": 3, "firstName": "Late"}},
        principal=avonova.staff,
    )
    assert stale["editEmployee"]["userErrors"][0]["code"] == "STALE_VERSION"


async def test_a_member_who_is_no_admin_sees_only_their_own_employee_record(people):
    avonova = await seed_tenant(people, "avonova")
    for first in ("Dolly", "Donald"):
        await people.graphql(
            ADD,
            donald(avonova.department, firstName=first, email=f"{first.lower()}@x.no"),
            principal=avonova.staff,
        )
    user = await add_user(
        people, avonova, "dolly", email="Dolly@X.no", organisation=avonova.department
    )
    dolly = make_principal("avonova", user=user["id"], memberships={avonova.department: ("user",)})
    data = await people.graphql(SEARCH, {}, principal=dolly)
    assert [e["node"]["firstName"] for e in data["employees"]["edges"]] == ["Dolly"]
    edit = await people.graphql(
        DEACTIVATE,
        {"input": {"id": "whatever", "version": 1}},
        principal=dolly,
    )
    assert edit["deactivateEmployee"]["userErrors"][0]["code"] == "FORBIDDEN"
