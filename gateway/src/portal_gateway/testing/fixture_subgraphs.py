"""Five small Strawberry Federation-2 subgraphs for the engine's tests.

- accounts: `User @key(id)` with name, username (shareable), email (`@authenticated`), `me`,
  a mutation log.
- products: `Product @key(upc) @key(sku region)` (composite), `Category`, the `Named` interface,
  the `SearchResult` union (Product | User), `topProducts`, `product`, `search`, `named`.
- inventory: `Product.inStock`, `Product.shippingEstimate @requires(price weight)`, a
  `Product.secret` behind `@requiresScopes`, `Product.staffNote` behind `@policy(staff)`.
- shipping: `Product @key(sku region)` with `carrier`, and `shipments`.
- reviews: `User.nickname @override(from: accounts)`, `Review` with `author @provides(username)`,
  `User.reviews`, `Product.reviews`, `Review.body` that fails for one review, `Review.rating:
  Int!` null for another.

- legacy: a Federation-1 subgraph (`extend type Product @key(upc)` with `legacyCode`).
- media: `interface Media @key(id)` with `Book`; ratings: `Media @interfaceObject` adding
  `rating`, and `topRated`.

- teams and projects: the `Node` shape of real supergraphs. Each declares `interface Node { id:
  ID! }` and `node(id: ID!): Node @shareable`; ids are global (base64 of "Type:local").
  teams owns `Team implements Node` (with `status: TeamStatus`, whose `SECRET` value is
  `@inaccessible`); projects owns `Project implements Node` and adds `Team.projects`.

`catalog(first:)` lists generated products (`g1`, `g2`, ...) for the benchmark.

Each subgraph is served by a tiny Starlette app that records every request it gets.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
import strawberry
from graphql import GraphQLSchema, GraphQLUnionType, build_schema
from graphql import graphql as execute_document
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal_gateway.subgraph_sdl import composable_link, without_federation_internals

LOG: list[str] = []  # mutations in the order the subgraphs ran them

# -- accounts -----------------------------------------------------------------------------

USERS = {
    "u1": {"name": "Ada Lovelace", "username": "ada"},
    "u2": {"name": "Alan Turing", "username": "alan"},
}


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str | None = None
    username: str | None = strawberry.federation.field(shareable=True, default=None)

    @strawberry.field
    def nickname(self) -> str | None:
        return "from accounts"  # overridden by reviews: never asked for

    @strawberry.federation.field(authenticated=True)
    def email(self) -> str | None:
        return f"{self.username}@example.com"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User | None:
        user = USERS.get(str(id))
        return None if user is None else User(id=id, **user)


@strawberry.type
class AccountsQuery:
    @strawberry.field
    def me(self) -> User:
        return User(id=strawberry.ID("u1"), **USERS["u1"])


@strawberry.type
class AccountsMutation:
    @strawberry.field
    async def log_in_accounts(self, value: str) -> list[str]:
        await asyncio.sleep(0.02)  # slower than reviews: order must still hold
        LOG.append(f"accounts:{value}")
        return list(LOG)


accounts = strawberry.federation.Schema(query=AccountsQuery, mutation=AccountsMutation)

# -- products -----------------------------------------------------------------------------

PRODUCTS = {
    "p1": {"sku": "S1", "region": "eu", "name": "Table", "price": 100, "weight": 10},
    "p2": {"sku": "S2", "region": "eu", "name": "Chair", "price": 50, "weight": 5},
    "p3": {"sku": "S3", "region": "us", "name": "Lamp", "price": 20, "weight": 1},
}


@strawberry.interface
class Named:
    name: str | None


@strawberry.federation.type(keys=["upc", "sku region"])
class Product(Named):
    upc: str
    sku: str
    region: str
    price: int | None = None
    weight: int | None = None

    @classmethod
    def resolve_reference(cls, **key: Any) -> Product | None:
        upc = str(key.get("upc", ""))
        if upc.startswith("g"):
            return generated(int(upc[1:]))
        for upc, data in PRODUCTS.items():
            if key.get("upc") == upc or (
                key.get("sku") == data["sku"] and key.get("region") == data["region"]
            ):
                return Product(upc=upc, **data)  # type: ignore[arg-type]
        return None


def generated(number: int) -> Product:
    return Product(
        upc=f"g{number}",
        sku=f"G{number}",
        region="eu",
        name=f"Product {number}",
        price=number,
        weight=1,
    )


def product(upc: str) -> Product:
    return Product(upc=upc, **PRODUCTS[upc])  # type: ignore[arg-type]


@strawberry.type
class Category(Named):
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="User")
class ProductsUser:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProductsUser:
        return ProductsUser(id=id)


SearchResult = Annotated[Product | ProductsUser, strawberry.union("SearchResult")]


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        # p1 twice: the inventory fetch must carry its representation once
        return [product(u) for u in ["p1", "p2", "p1", "p3"][:first]]

    @strawberry.field
    def catalog(self, first: int = 50) -> list[Product]:
        return [generated(n) for n in range(1, min(first, 1000) + 1)]

    @strawberry.field
    def product(self, upc: str) -> Product | None:
        return product(upc) if upc in PRODUCTS else None

    @strawberry.field
    def search(self) -> list[SearchResult]:
        return [product("p2"), ProductsUser(id=strawberry.ID("u2"))]

    @strawberry.field
    def named(self) -> list[Named]:
        return [product("p3"), Category(id=strawberry.ID("c1"), name="Furniture")]


products = strawberry.federation.Schema(query=ProductsQuery, types=[Category])

# -- inventory ----------------------------------------------------------------------------

STOCK = {"p1": True, "p2": False, "p3": True}


@strawberry.federation.type(keys=["upc"], name="Product")
class InventoryProduct:
    upc: str
    price: int | None = strawberry.federation.field(external=True, default=None)
    weight: int | None = strawberry.federation.field(external=True, default=None)

    @strawberry.field
    def in_stock(self) -> bool | None:
        if self.upc.startswith("g"):
            return int(self.upc[1:]) % 2 == 0
        return STOCK.get(self.upc)

    @strawberry.federation.field(requires=["price weight"])
    def shipping_estimate(self) -> int | None:
        if self.price is None or self.weight is None:
            return None
        return 0 if self.price > 60 else self.weight * 2

    @strawberry.federation.field(requires=["price"])
    def shipping_cost(self, currency: str = "EUR") -> str | None:
        return None if self.price is None else f"{self.price // 10} {currency}"

    @strawberry.federation.field(requires_scopes=[["products:secret"]])
    def secret(self) -> str:
        return f"secret of {self.upc}"

    @strawberry.federation.field(policy=[["staff"]])
    def staff_note(self) -> str | None:
        return f"note on {self.upc}"

    @classmethod
    def resolve_reference(
        cls, upc: str, price: int | None = None, weight: int | None = None
    ) -> InventoryProduct:
        return InventoryProduct(upc=upc, price=price, weight=weight)


@strawberry.type
class InventoryQuery:
    @strawberry.field
    def warehouse_count(self) -> int:
        return 3


inventory = strawberry.federation.Schema(query=InventoryQuery, types=[InventoryProduct])

# -- reviews ------------------------------------------------------------------------------

REVIEWS: dict[str, dict[str, Any]] = {
    "r1": {"body": "Sturdy", "author": "u1", "product": "p1", "rating": 5},
    "r2": {"body": "Wobbly", "author": "u2", "product": "p2", "rating": None},
    "r3": {"body": None, "author": "u1", "product": "p2", "rating": 3},
}


@strawberry.federation.type(keys=["id"], name="User")
class ReviewsUser:
    id: strawberry.ID
    username: str | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(override="accounts")
    def nickname(self) -> str | None:
        return f"nick-{self.id}"

    @strawberry.field
    def reviews(self) -> list[Review]:
        return [review(r) for r, data in REVIEWS.items() if data["author"] == self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewsUser:
        return ReviewsUser(id=id)


@strawberry.federation.type(keys=["upc"], name="Product")
class ReviewsProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review]:
        return [review(r) for r, data in REVIEWS.items() if data["product"] == self.upc]

    @strawberry.field
    def review_count(self) -> int:
        return sum(1 for data in REVIEWS.values() if data["product"] == self.upc)

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewsProduct:
        return ReviewsProduct(upc=upc)


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID

    @strawberry.field
    def body(self) -> str | None:
        if REVIEWS[self.id]["body"] is None:
            raise ValueError("review body is unavailable")
        body: str = REVIEWS[self.id]["body"]
        return body

    @strawberry.field
    def rating(self) -> int:
        rating: int = REVIEWS[self.id]["rating"]
        return rating

    @strawberry.federation.field(provides=["username"])
    def author(self) -> ReviewsUser:
        user = str(REVIEWS[self.id]["author"])
        return ReviewsUser(id=strawberry.ID(user), username=USERS[user]["username"])

    @strawberry.field
    def product(self) -> ReviewsProduct:
        return ReviewsProduct(upc=str(REVIEWS[self.id]["product"]))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review:
        return Review(id=id)


def review(id: str) -> Review:
    return Review(id=strawberry.ID(id))


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def reviews(self) -> list[Review]:
        return [review(r) for r in REVIEWS]


@strawberry.type
class ReviewsMutation:
    @strawberry.field
    def add_review(self, body: str) -> list[str]:
        LOG.append(f"reviews:{body}")
        return list(LOG)


reviews = strawberry.federation.Schema(
    query=ReviewsQuery,
    mutation=ReviewsMutation,
    types=[ReviewsUser, ReviewsProduct],
)

# -- shipping: joins Product by its composite key only ----------------------------------

CARRIERS: dict[tuple[str | None, str], str] = {
    ("S1", "eu"): "DHL",
    ("S2", "eu"): "Posten",
    ("S3", "us"): "UPS",
}


@strawberry.federation.type(keys=["sku region"], name="Product")
class ShippingProduct:
    sku: str | None  # nullable here, String! in products: the supergraph has String
    region: str

    @strawberry.field
    def carrier(self) -> str | None:
        return CARRIERS.get((self.sku, self.region))

    @classmethod
    def resolve_reference(cls, sku: str, region: str) -> ShippingProduct:
        return ShippingProduct(sku=sku, region=region)


@strawberry.type
class Shipment:
    id: strawberry.ID
    product: ShippingProduct


@strawberry.type
class ShippingQuery:
    @strawberry.field
    def shipments(self) -> list[Shipment]:
        return [
            Shipment(id=strawberry.ID("s1"), product=ShippingProduct(sku="S3", region="us")),
            Shipment(id=strawberry.ID("s2"), product=ShippingProduct(sku="S1", region="eu")),
        ]

    @strawberry.field
    def unregistered_shipments(self) -> list[Shipment]:
        """A product without a SKU: its key is null, nothing can join it."""
        return [Shipment(id=strawberry.ID("s9"), product=ShippingProduct(sku=None, region="eu"))]


shipping = strawberry.federation.Schema(query=ShippingQuery)

# -- media and ratings: an interface entity, and a subgraph that knows it as an object --------

BOOKS = {"m1": ("Dune", "Herbert"), "m2": ("Emma", "Austen")}


@strawberry.federation.interface(keys=["id"])
class Media:
    id: strawberry.ID
    title: str | None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Media | None:
        book = BOOKS.get(str(id))
        return None if book is None else Book(id=id, title=book[0], author=book[1])


@strawberry.federation.type(keys=["id"])
class Book(Media):
    author: str | None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Book | None:
        book = BOOKS.get(str(id))
        return None if book is None else Book(id=id, title=book[0], author=book[1])


@strawberry.type
class MediaQuery:
    @strawberry.field
    def media(self) -> list[Media]:
        return [Book(id=strawberry.ID(i), title=t, author=a) for i, (t, a) in BOOKS.items()]


media = strawberry.federation.Schema(query=MediaQuery, types=[Book])

RATINGS = {"m1": 5, "m2": 4}


@strawberry.federation.interface_object(keys=["id"], name="Media")
class RatedMedia:
    id: strawberry.ID

    @strawberry.field
    def rating(self) -> int | None:
        return RATINGS.get(str(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RatedMedia:
        return RatedMedia(id=id)


@strawberry.type
class RatingsQuery:
    @strawberry.field
    def top_rated(self) -> RatedMedia:
        return RatedMedia(id=strawberry.ID("m1"))


ratings = strawberry.federation.Schema(query=RatingsQuery)

# -- teams and projects: a Node interface shared by two subgraphs ---------------------------


def global_id(type_name: str, local: str) -> str:
    return base64.b64encode(f"{type_name}:{local}".encode()).decode()


def local_id(value: str, type_name: str) -> str | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except ValueError:
        return None
    prefix, _, local = decoded.partition(":")
    return local if prefix == type_name else None


@strawberry.enum
class TeamStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    SECRET = strawberry.federation.enum_value("SECRET", inaccessible=True)


TEAMS = {
    "t1": ("Platform", TeamStatus.ACTIVE),
    "t2": ("Research", TeamStatus.SECRET),
    "t3": ("Archive", TeamStatus.ARCHIVED),
}


@strawberry.interface(name="Node")
class TeamsNode:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"])
class Team(TeamsNode):
    name: str
    status: TeamStatus | None
    strict_status: TeamStatus

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Team | None:
        local = local_id(str(id), "Team")
        return None if local not in TEAMS else team(str(local))


def team(local: str) -> Team:
    name, status = TEAMS[local]
    return Team(
        id=strawberry.ID(global_id("Team", local)), name=name, status=status, strict_status=status
    )


@strawberry.type
class TeamsQuery:
    @strawberry.federation.field(shareable=True)
    def node(self, id: strawberry.ID) -> TeamsNode | None:
        return Team.resolve_reference(id)

    @strawberry.field
    def teams(self, status: TeamStatus | None = None) -> list[Team]:
        return [team(t) for t, (_, s) in TEAMS.items() if status is None or s == status]


teams = strawberry.federation.Schema(query=TeamsQuery, types=[Team])

PROJECTS = {"x1": ("Gateway", "t1"), "x2": ("Composer", "t1"), "x3": ("Lab", "t2")}


@strawberry.interface(name="Node")
class ProjectsNode:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Team")
class ProjectsTeam:
    id: strawberry.ID

    @strawberry.field
    def projects(self) -> list[Project]:
        local = local_id(str(self.id), "Team")
        return [project(p) for p, (_, t) in PROJECTS.items() if t == local]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProjectsTeam:
        return ProjectsTeam(id=id)


@strawberry.federation.type(keys=["id"])
class Project(ProjectsNode):
    title: str
    team: ProjectsTeam

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Project | None:
        local = local_id(str(id), "Project")
        return None if local not in PROJECTS else project(str(local))


def project(local: str) -> Project:
    title, team_local = PROJECTS[local]
    return Project(
        id=strawberry.ID(global_id("Project", local)),
        title=title,
        team=ProjectsTeam(id=strawberry.ID(global_id("Team", team_local))),
    )


@strawberry.type
class ProjectsQuery:
    @strawberry.federation.field(shareable=True)
    def node(self, id: strawberry.ID) -> ProjectsNode | None:
        return Project.resolve_reference(id)


projects = strawberry.federation.Schema(query=ProjectsQuery, types=[Project, ProjectsTeam])

SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "accounts": accounts,
    "products": products,
    "inventory": inventory,
    "reviews": reviews,
    "shipping": shipping,
    "media": media,
    "ratings": ratings,
    "teams": teams,
    "projects": projects,
}
# Every fixture subgraph: the Strawberry ones and the Federation-1 `legacy` one.
SUBGRAPHS = (*SCHEMAS, "legacy")


# -- legacy: a Federation-1 subgraph (no @link, `extend type`), served by graphql-core ------

LEGACY_SDL = """
extend type Product @key(fields: "upc") {
  upc: String! @external
  legacyCode: String
}
extend type Query {
  legacyProducts: [Product]
}
"""
LEGACY_CODES = {"p1": "L-1", "p3": "L-3"}


def _legacy_schema() -> GraphQLSchema:
    schema = build_schema(
        """scalar _Any
        union _Entity = Product
        type Product { upc: String! legacyCode: String }
        type Query { legacyProducts: [Product] _entities(representations: [_Any!]!): [_Entity]! }
        """
    )

    def product(upc: str) -> dict[str, Any]:
        return {"__typename": "Product", "upc": upc, "legacyCode": LEGACY_CODES.get(upc)}

    query = schema.query_type
    assert query is not None
    query.fields["legacyProducts"].resolve = lambda *_: [product(u) for u in LEGACY_CODES]
    query.fields["_entities"].resolve = lambda _, __, representations: [
        product(r["upc"]) for r in representations
    ]
    entity = schema.get_type("_Entity")
    assert isinstance(entity, GraphQLUnionType)
    entity.resolve_type = lambda value, *_: value["__typename"]
    return schema


LEGACY = _legacy_schema()


def sdl(name: str) -> str:
    if name == "legacy":
        return LEGACY_SDL
    return composable_link(without_federation_internals(SCHEMAS[name].as_str()))


# -- serving ------------------------------------------------------------------------------


@dataclass
class Recorded:
    """What one fixture subgraph received; `mode` makes it misbehave."""

    name: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    mode: str = "ok"  # ok | slow | hang | garbage | fail
    record: bool = True  # off for the benchmark
    delay: float = 0.0  # seconds before answering
    released: asyncio.Event = field(default_factory=asyncio.Event)  # ends a "hang"

    @property
    def entity_calls(self) -> list[list[dict[str, Any]]]:
        return [
            b["variables"]["representations"]
            for b in self.bodies
            if "representations" in (b.get("variables") or {})
        ]


def subgraph_route(
    name: str, recorded: Recorded, schema: strawberry.federation.Schema | None = None
) -> Route:
    """The route of subgraph `name` (a fixture subgraph, or `schema`) at `/{name}/graphql`."""
    schema = schema or SCHEMAS.get(name)

    async def graphql(request: Request) -> Response:
        raw = await request.body()
        if recorded.record:
            recorded.bodies.append(orjson.loads(raw))
            recorded.headers.append(dict(request.headers))
        body = orjson.loads(raw)  # the subgraph may change the representations it resolves
        if recorded.delay:
            await asyncio.sleep(recorded.delay)
        if recorded.mode == "slow":
            await asyncio.sleep(2)
        if recorded.mode == "hang":
            await recorded.released.wait()
        if recorded.mode == "garbage":
            return Response(b"<html>oops</html>", media_type="text/html")
        if recorded.mode == "fail":
            return Response(b"{}", status_code=500)
        variables = body.get("variables") or {}
        if schema is None:
            result: Any = await execute_document(LEGACY, body["query"], variable_values=variables)
        else:
            result = await schema.execute(body["query"], variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        return Response(orjson.dumps(answer), media_type="application/json")

    return Route(f"/{name}/graphql", graphql, methods=["POST"])


@contextlib.asynccontextmanager
async def fixture_subgraphs(serving: Any) -> AsyncIterator[dict[str, tuple[str, Recorded]]]:
    """Serve the fixture subgraphs (one server, a path each); yields name -> (URL, recorder)."""
    recorded = {name: Recorded(name) for name in SUBGRAPHS}
    app = Starlette(routes=[subgraph_route(name, r) for name, r in recorded.items()])
    async with serving(app) as url:
        try:
            yield {name: (f"{url}/{name}/graphql", r) for name, r in recorded.items()}
        finally:
            for r in recorded.values():
                r.released.set()  # a hanging subgraph answers, so its server can stop
