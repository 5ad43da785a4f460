"""`python -m portal_tickets.demo`: load the support manuals' tickets (`demo_data.py`) and
InSchool's FAQ (`knowledge_demo_data.py`) into a running platform, after people's demo
(`python -m portal_people.demo`) has made the users.

It is a client like any other: it logs in through the gateway (PORTAL_DEMO_GATEWAY_URL, default
http://127.0.0.1:4000/graphql) as the tenants' demo users with the demo password
(PORTAL_DEMO_PASSWORD) and walks each ticket with the public mutations. A tenant that has
tickets already is left as it is, so it can run again without duplicates (and Visma Enterprise's
first case stays 00002196).
"""

from __future__ import annotations

import base64
import os
import sys
from typing import Any

from portal_kit.gateway_client import DEFAULT_GATEWAY, DemoRefused, GatewayClient

from portal_tickets.demo_data import DEMO_TENANTS, DemoFile, DemoTenant, DemoTicket
from portal_tickets.knowledge_demo_data import DEMO_KNOWLEDGE, DemoKnowledge

DEFAULT_PASSWORD = "Portal-demo-2026!"
TICKET = "ticket { id number version } userErrors { field code message }"
CREATE = f"mutation($input: CreateTicketInput!) {{ createTicket(input: $input) {{ {TICKET} }} }}"
POST = f"mutation($input: AddTicketPostInput!) {{ addTicketPost(input: $input) {{ {TICKET} }} }}"
STATUS = f"""mutation($input: ChangeTicketStatusInput!) {{
  changeTicketStatus(input: $input) {{ {TICKET} }} }}"""
SET_ACCESS = """mutation($input: SetProductAccessInput!) { setProductAccess(input: $input) {
  productAccess { products } userErrors { field code message } } }"""
COUNT = "{ tickets(first: 0) { totalCount } }"
ORGANISATIONS = "{ organisations(first: 200) { edges { node { id name } } } }"
ME = "{ me { id } }"
ARTICLE = "article { id version } userErrors { field code message }"
CREATE_ARTICLE = f"""mutation($input: CreateArticleInput!) {{
  createArticle(input: $input) {{ {ARTICLE} }} }}"""
WRITE_ARTICLE = f"""mutation($input: WriteArticleInput!) {{
  writeArticle(input: $input) {{ {ARTICLE} }} }}"""
PUBLISH_ARTICLE = f"""mutation($input: ArticleVersionInput!) {{
  publishArticle(input: $input) {{ {ARTICLE} }} }}"""
COUNT_ARTICLES = "{ knowledgeArticles(first: 0) { totalCount } }"


def _files(files: tuple[DemoFile, ...]) -> list[dict[str, str]]:
    return [
        {"filename": f.filename, "contentBase64": base64.b64encode(f.data).decode()} for f in files
    ]


class TicketDemo:
    def __init__(self, gateway: GatewayClient) -> None:
        self.gateway = gateway

    def load(self, demo: DemoTenant) -> list[str]:
        """The numbers of the tickets it loaded; none when the tenant had tickets already."""
        tenant, staff = demo.tenant, demo.staff
        if self.gateway.call(tenant, staff, COUNT)["tickets"]["totalCount"]:
            return []
        organisations = {
            edge["node"]["name"]: edge["node"]["id"]
            for edge in self.gateway.call(tenant, staff, ORGANISATIONS)["organisations"]["edges"]
        }
        for access in demo.product_access:
            holder = (
                organisations[access.holder]
                if access.kind == "ORGANISATION"
                else self.gateway.call(tenant, access.holder, ME)["me"]["id"]
            )
            self.gateway.mutate(
                tenant,
                staff,
                SET_ACCESS,
                holderKind=access.kind,
                holderId=holder,
                products=list(access.products),
            )
        return [self._ticket(tenant, organisations, t) for t in demo.tickets]

    def _ticket(self, tenant: str, organisations: dict[str, str], demo: DemoTicket) -> str:
        fields: dict[str, Any] = {**demo.fields, "organisationId": organisations[demo.organisation]}
        if demo.files:
            fields["attachments"] = _files(demo.files)
        ticket = self.gateway.mutate(tenant, demo.creator, CREATE, **fields)["ticket"]
        for post in demo.posts:
            ticket = self.gateway.mutate(
                tenant,
                post.author,
                POST,
                id=ticket["id"],
                version=ticket["version"],
                text=post.text,
                internal=post.internal,
                attachments=_files(post.files),
            )["ticket"]
        for login, status in demo.statuses:
            ticket = self.gateway.mutate(
                tenant, login, STATUS, id=ticket["id"], version=ticket["version"], status=status
            )["ticket"]
        return str(ticket["number"])


class KnowledgeDemo:
    """Writes a tenant's demo articles as its staff user, through the gateway."""

    def __init__(self, gateway: GatewayClient) -> None:
        self.gateway = gateway

    def load(self, demo: DemoKnowledge) -> int:
        """How many articles it wrote; none when the tenant has articles already."""
        tenant, staff = demo.tenant, demo.staff
        if self.gateway.call(tenant, staff, COUNT_ARTICLES)["knowledgeArticles"]["totalCount"]:
            return 0
        for article in demo.articles:
            (first, (title, body)), *others = article.texts.items()
            written = self.gateway.mutate(
                tenant,
                staff,
                CREATE_ARTICLE,
                language=first,
                title=title,
                body=body,
                category=article.category,
                audience=article.audience,
                products=list(article.products),
            )["article"]
            for language, (title, body) in others:
                written = self.gateway.mutate(
                    tenant,
                    staff,
                    WRITE_ARTICLE,
                    id=written["id"],
                    version=written["version"],
                    language=language,
                    title=title,
                    body=body,
                )["article"]
            if article.published:
                self.gateway.mutate(
                    tenant, staff, PUBLISH_ARTICLE, id=written["id"], version=written["version"]
                )
        return len(demo.articles)


def main() -> int:
    gateway = GatewayClient(
        os.environ.get("PORTAL_DEMO_GATEWAY_URL", DEFAULT_GATEWAY),
        os.environ.get("PORTAL_DEMO_PASSWORD", DEFAULT_PASSWORD),
    )
    demo = TicketDemo(gateway)
    try:
        for tenant in DEMO_TENANTS:
            loaded = demo.load(tenant)
            if loaded:
                print(f"tickets demo: {tenant.tenant}: tickets {', '.join(loaded)}")
            else:
                print(f"tickets demo: {tenant.tenant}: has tickets already, left as it is")
        for knowledge in DEMO_KNOWLEDGE:
            written = KnowledgeDemo(gateway).load(knowledge)
            print(f"tickets demo: {knowledge.tenant}: {written} knowledge-base articles written")
    except DemoRefused as refused:
        print(f"tickets demo: refused: {refused}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
