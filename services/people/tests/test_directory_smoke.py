from portal_kit.testing.harness import running_service
from portal_kit.testing.plugin import make_principal
from portal_people.app import create_app
from portal_people.settings import PeopleSettings


async def test_smoke(settings_for, signer):
    admin = make_principal("platform", scopes=("platform:admin",))
    async with running_service(create_app, settings_for(PeopleSettings), signer) as svc:
        data = await svc.graphql(
            """mutation($c: JSON!) { createTenant(input: {id: "jm", name: "JM", configuration: $c}) {
                tenant { id name country version } userErrors { field code message } } }""",
            {"c": {"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"}},
            principal=admin,
        )
        print(data)
        data = await svc.graphql(
            "{ tenants { id name organisations { totalCount } } }", principal=admin
        )
        print(data)
        assert data["tenants"][0]["id"] == "jm"
