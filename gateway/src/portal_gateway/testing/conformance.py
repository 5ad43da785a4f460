"""Small Federation-2 scenarios for the planner's conformance tests, each a few real Strawberry
subgraphs composed by the real composer (`composition.compose`), served like the fixture
subgraphs (`fixture_subgraphs.subgraph_route`) and recorded.

- `requires`: `Item` (catalog: name, `price(currency:)`, a `shape` union, an `@inaccessible`
  `secretCode`, `weight` is stock's) with `@requires` of an argument, of inline fragments, of
  an inaccessible field, of a field an existing fetch supplies, and a chain through a third
  subgraph back to the first (`pricing.label` needs `stock.grade` needs `pricing.discount`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import strawberry
from starlette.applications import Starlette
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from portal_gateway.composition import compose
from portal_gateway.subgraph_sdl import composable_link, without_federation_internals
from portal_gateway.testing.conformance_nodes import NODES
from portal_gateway.testing.fixture_subgraphs import Recorded, subgraph_route

Schemas = dict[str, strawberry.federation.Schema]

# -- requires --------------------------------------------------------------------------------

ITEMS: dict[str, dict[str, Any]] = {
    "i1": {"name": "Wheel", "price": 10.0, "shape": ("circle", 2.0), "secret": "S-1", "weight": 3},
    "i2": {"name": "Tile", "price": 4.0, "shape": ("square", 3.0), "secret": "S-2", "weight": 12},
}
RATES = {"EUR": 1.0, "USD": 1.5}


@strawberry.type
class Circle:
    radius: float = strawberry.federation.field(shareable=True)


@strawberry.type
class Square:
    side: float = strawberry.federation.field(shareable=True)


Shape = Annotated[Circle | Square, strawberry.union("Shape")]


def _shape(item: str) -> Circle | Square:
    kind, size = ITEMS[item]["shape"]
    return Circle(radius=size) if kind == "circle" else Square(side=size)


@strawberry.federation.type(keys=["id"], name="Item")
class CatalogItem:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return str(ITEMS[self.id]["name"])

    @strawberry.field
    def price(self, currency: str = "EUR") -> float | None:
        return float(ITEMS[self.id]["price"]) * RATES.get(currency, 1.0)

    @strawberry.field
    def shape(self) -> Shape | None:
        return _shape(self.id)

    @strawberry.federation.field(inaccessible=True)
    def secret_code(self) -> str | None:
        return str(ITEMS[self.id]["secret"])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> CatalogItem:
        return CatalogItem(id=id)


@strawberry.type
class CatalogQuery:
    @strawberry.field
    def items(self) -> list[CatalogItem]:
        return [CatalogItem(id=strawberry.ID(i)) for i in ITEMS]


catalog = strawberry.federation.Schema(query=CatalogQuery, types=[Circle, Square])


@strawberry.federation.type(keys=["id"], name="Item")
class PricingItem:
    id: strawberry.ID
    required: strawberry.Private[dict[str, Any]]
    shape: Shape | None = strawberry.federation.field(external=True, default=None)
    secret_code: str | None = strawberry.federation.field(external=True, default=None)
    weight: int | None = strawberry.federation.field(external=True, default=None)
    grade: str | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(external=True)
    def price(self, currency: str = "EUR") -> float | None:
        return None

    @strawberry.federation.field(requires=['price(currency: "USD")'])
    def usd(self) -> str | None:
        price = self.required.get("price")
        return None if price is None else f"{price:.2f} USD"

    @strawberry.federation.field(
        requires=["shape { ... on Circle { radius } ... on Square { side } }"]
    )
    def area(self) -> float | None:
        shape = self.required.get("shape")
        if not isinstance(shape, dict):
            return None
        if "radius" in shape:
            return round(3.14159 * float(shape["radius"]) ** 2, 2)
        if "side" in shape:
            return float(shape["side"]) ** 2
        return None

    @strawberry.federation.field(requires=["secretCode"])
    def code(self) -> str | None:
        secret = self.required.get("secretCode")
        return None if secret is None else f"code {secret}"

    @strawberry.federation.field(requires=["weight"])
    def heavy(self) -> bool | None:
        weight = self.required.get("weight")
        return None if weight is None else weight > 10

    @strawberry.field
    def discount(self) -> int | None:
        return 5 if self.id == "i2" else 0

    @strawberry.federation.field(requires=["grade"])
    def label(self) -> str | None:
        grade = self.required.get("grade")
        return None if grade is None else f"label {grade}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **required: Any) -> PricingItem:
        return PricingItem(id=id, required=required)


@strawberry.type
class PricingQuery:
    @strawberry.field
    def currencies(self) -> list[str]:
        return list(RATES)


pricing = strawberry.federation.Schema(query=PricingQuery, types=[PricingItem, Circle, Square])


@strawberry.federation.type(keys=["id"], name="Item")
class StockItem:
    id: strawberry.ID
    discount: int | None = strawberry.federation.field(external=True, default=None)

    @strawberry.field
    def weight(self) -> int | None:
        return int(ITEMS[self.id]["weight"])

    @strawberry.field
    def level(self) -> int | None:
        return 7

    @strawberry.federation.field(requires=["discount"])
    def grade(self) -> str | None:
        return None if self.discount is None else ("A" if self.discount else "B")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, discount: int | None = None) -> StockItem:
        return StockItem(id=id, discount=discount)


@strawberry.type
class StockQuery:
    @strawberry.field
    def warehouses(self) -> int:
        return 2


stock = strawberry.federation.Schema(query=StockQuery, types=[StockItem])

# -- types: a field's type differs between subgraphs (`@join__field(type:)`) ----------------

TITLES = {"b1": "Dune", "m1": None}


@strawberry.type(name="Book")
class ShelfBook:
    title: str = strawberry.federation.field(shareable=True)  # String! here, String in library


@strawberry.type(name="Movie")
class ShelfMovie:
    title: str | None = strawberry.federation.field(shareable=True)


Media = Annotated[ShelfBook | ShelfMovie, strawberry.union("Media")]


@strawberry.federation.type(keys=["id"], name="Shelf")
class ShelfShelf:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def featured(self) -> Media | None:
        return ShelfBook(title="Dune") if self.id == "s1" else ShelfMovie(title=None)

    @strawberry.federation.field(shareable=True)
    def items(self) -> list[Media]:
        return [ShelfBook(title="Dune"), ShelfMovie(title=None)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ShelfShelf:
        return ShelfShelf(id=id)


@strawberry.type
class ShelfQuery:
    @strawberry.field
    def media(self) -> list[Media]:
        return [ShelfBook(title="Dune"), ShelfMovie(title=None)]

    @strawberry.field
    def shelf(self) -> ShelfShelf:
        return ShelfShelf(id=strawberry.ID("s1"))


shelf = strawberry.federation.Schema(query=ShelfQuery, types=[ShelfShelf])


@strawberry.type(name="Book")
class LibraryBook:
    title: str | None = strawberry.federation.field(shareable=True)


LibraryMedia = Annotated[LibraryBook, strawberry.union("Media")]


@strawberry.federation.type(keys=["id"], name="Shelf")
class LibraryShelf:
    id: strawberry.ID
    label: str | None = None

    @strawberry.federation.field(shareable=True)
    def featured(self) -> LibraryBook | None:  # a Book here, a Media in shelf
        return LibraryBook(title=f"Best of {self.id}")

    @strawberry.federation.field(shareable=True)
    def items(self) -> list[LibraryMedia]:  # Media has no Movie here
        return [LibraryBook(title="Emma")]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> LibraryShelf:
        return LibraryShelf(id=id, label=f"shelf {id}")


@strawberry.type
class LibraryQuery:
    @strawberry.field
    def shelves(self) -> list[LibraryShelf]:
        return [LibraryShelf(id=strawberry.ID("s1"), label="shelf s1")]


library = strawberry.federation.Schema(query=LibraryQuery)

# -- shared: root fields and value types several subgraphs resolve ---------------------------


@strawberry.type(name="Config")
class AlphaConfig:
    name: str | None = strawberry.federation.field(shareable=True)
    owner: str | None = None


@strawberry.type(name="Dims")
class AlphaDims:
    width: int | None = strawberry.federation.field(shareable=True)


@strawberry.federation.type(keys=["id"], name="Box")
class AlphaBox:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def dims(self) -> AlphaDims | None:
        return AlphaDims(width=10)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AlphaBox:
        return AlphaBox(id=id)


@strawberry.type
class AlphaQuery:
    @strawberry.federation.field(shareable=True)
    def config(self) -> AlphaConfig | None:
        return AlphaConfig(name="portal", owner="alpha")

    @strawberry.field
    def boxes(self) -> list[AlphaBox]:
        return [AlphaBox(id=strawberry.ID("x1")), AlphaBox(id=strawberry.ID("x2"))]


alpha = strawberry.federation.Schema(query=AlphaQuery)


@strawberry.type(name="Config")
class BetaConfig:
    name: str | None = strawberry.federation.field(shareable=True)
    region: str | None = None


@strawberry.type(name="Dims")
class BetaDims:
    width: int | None = strawberry.federation.field(shareable=True)
    depth: int | None = None


@strawberry.federation.type(keys=["id"], name="Box")
class BetaBox:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def dims(self) -> BetaDims | None:
        return BetaDims(width=10, depth=20 if self.id == "x1" else 30)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> BetaBox:
        return BetaBox(id=id)


@strawberry.type
class BetaQuery:
    @strawberry.federation.field(shareable=True)
    def config(self) -> BetaConfig | None:
        return BetaConfig(name="portal", region="eu-north")


beta = strawberry.federation.Schema(query=BetaQuery, types=[BetaBox])

# -- provides: a root field's subgraph chosen by its @provides, nested @provides ----------------

AUTHORS = {"a1": ("Ada", "t1"), "a2": ("Alan", "t2")}
TEAM_TITLES = {"t1": "Engines", "t2": "Codes"}


@strawberry.federation.type(keys=["id"], name="Team")
class UsersTeam:
    id: strawberry.ID

    @strawberry.field
    def title(self) -> str | None:
        return TEAM_TITLES.get(str(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> UsersTeam:
        return UsersTeam(id=id)


@strawberry.federation.type(keys=["id"], name="User")
class UsersUser:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def name(self) -> str | None:
        return AUTHORS[str(self.id)][0]

    @strawberry.federation.field(shareable=True)
    def team(self) -> UsersTeam | None:
        return UsersTeam(id=strawberry.ID(AUTHORS[str(self.id)][1]))

    @strawberry.field
    def email(self) -> str | None:
        return f"{self.id}@example.com"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> UsersUser:
        return UsersUser(id=id)


@strawberry.type
class UsersQuery:
    @strawberry.field
    def user_count(self) -> int:
        return len(AUTHORS)


users = strawberry.federation.Schema(query=UsersQuery, types=[UsersUser, UsersTeam])


@strawberry.federation.type(name="User", directives=[Key(fields=FieldSet("id"), resolvable=False)])
class FeedUser:
    id: strawberry.ID


@strawberry.type
class FeedQuery:
    @strawberry.federation.field(shareable=True)
    def top_author(self) -> FeedUser | None:
        return FeedUser(id=strawberry.ID("a1"))


feed = strawberry.federation.Schema(query=FeedQuery)


@strawberry.federation.type(keys=["id"], name="Team")
class PostsTeam:
    id: strawberry.ID
    title: str | None = strawberry.federation.field(external=True, default=None)


@strawberry.federation.type(keys=["id"], name="User")
class PostsUser:
    id: strawberry.ID
    name: str | None = strawberry.federation.field(external=True, default=None)
    team: PostsTeam | None = strawberry.federation.field(external=True, default=None)


def _author(id: str) -> PostsUser:
    name, team = AUTHORS[id]
    return PostsUser(
        id=strawberry.ID(id),
        name=name,
        team=PostsTeam(id=strawberry.ID(team), title=TEAM_TITLES[team]),
    )


@strawberry.type
class Post:
    id: strawberry.ID

    @strawberry.federation.field(provides=["name team { title }"])
    def author(self) -> PostsUser:
        return _author("a1" if self.id == "p1" else "a2")


@strawberry.type
class PostsQuery:
    @strawberry.field
    def posts(self) -> list[Post]:
        return [Post(id=strawberry.ID("p1")), Post(id=strawberry.ID("p2"))]

    @strawberry.federation.field(shareable=True, provides=["name"])
    def top_author(self) -> PostsUser | None:
        return _author("a1")


posts = strawberry.federation.Schema(query=PostsQuery)

# -- keys: a key the first subgraph cannot give, fetched from a third one first ----------------

REFS = {"o1": "REF-1", "o2": "REF-2"}
TOTALS = {"REF-1": 100, "REF-2": 250}


@strawberry.federation.type(keys=["id"], name="Order")
class DeskOrder:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> DeskOrder:
        return DeskOrder(id=id)


@strawberry.type
class DeskQuery:
    @strawberry.field
    def orders(self) -> list[DeskOrder]:
        return [DeskOrder(id=strawberry.ID(i)) for i in REFS]


desk = strawberry.federation.Schema(query=DeskQuery)


@strawberry.federation.type(keys=["id", "ref"], name="Order")
class LedgerOrder:
    id: strawberry.ID
    ref: str

    @classmethod
    def resolve_reference(cls, **key: Any) -> LedgerOrder | None:
        if "id" in key:
            return LedgerOrder(id=key["id"], ref=REFS[key["id"]])
        id = next((i for i, r in REFS.items() if r == key.get("ref")), None)
        return None if id is None else LedgerOrder(id=strawberry.ID(id), ref=key["ref"])


@strawberry.type
class LedgerQuery:
    @strawberry.field
    def ledger_size(self) -> int:
        return len(REFS)


ledger = strawberry.federation.Schema(query=LedgerQuery, types=[LedgerOrder])


@strawberry.federation.type(keys=["ref"], name="Order")
class TotalsOrder:
    ref: str

    @strawberry.field
    def total(self) -> int | None:
        return TOTALS.get(self.ref)

    @classmethod
    def resolve_reference(cls, ref: str) -> TotalsOrder:
        return TotalsOrder(ref=ref)


@strawberry.type
class TotalsQuery:
    @strawberry.field
    def currency(self) -> str:
        return "NOK"


totals = strawberry.federation.Schema(query=TotalsQuery, types=[TotalsOrder])

# -- interfaces: an interface entity and two subgraphs that know it as an object ---------------

WORKS = {"w1": ("book", "Dune", "Herbert"), "w2": ("movie", "Alien", "Scott")}
STARS = {"w1": 5, "w2": 4}


@strawberry.federation.interface(keys=["id"], name="Work")
class ContentWork:
    id: strawberry.ID
    title: str | None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ContentWork | None:
        return _work(str(id))


@strawberry.federation.type(keys=["id"], name="Novel")
class ContentNovel(ContentWork):
    author: str | None


@strawberry.federation.type(keys=["id"], name="Film")
class ContentFilm(ContentWork):
    director: str | None


def _work(id: str) -> ContentWork | None:
    if id not in WORKS:
        return None
    kind, title, person = WORKS[id]
    if kind == "book":
        return ContentNovel(id=strawberry.ID(id), title=title, author=person)
    return ContentFilm(id=strawberry.ID(id), title=title, director=person)


@strawberry.type
class ContentQuery:
    @strawberry.field
    def works(self) -> list[ContentWork]:
        return [w for w in (_work(i) for i in WORKS) if w is not None]


content = strawberry.federation.Schema(query=ContentQuery, types=[ContentNovel, ContentFilm])


@strawberry.federation.interface_object(keys=["id"], name="Work")
class OpinionWork:
    id: strawberry.ID
    required: strawberry.Private[dict[str, Any]]
    title: str | None = strawberry.federation.field(external=True, default=None)

    @strawberry.field
    def stars(self) -> int | None:
        return STARS.get(str(self.id))

    @strawberry.federation.field(requires=["title"])
    def blurb(self) -> str | None:
        title = self.required.get("title")
        return None if title is None else f"{title}: {STARS.get(str(self.id))} stars"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **required: Any) -> OpinionWork:
        return OpinionWork(id=id, required=required)


@strawberry.type
class OpinionsQuery:
    @strawberry.field
    def top_works(self) -> list[OpinionWork]:
        return [OpinionWork(id=strawberry.ID(i), required={}) for i in STARS]


opinions = strawberry.federation.Schema(query=OpinionsQuery)


@strawberry.federation.interface_object(
    name="Work", directives=[Key(fields=FieldSet("id"), resolvable=False)]
)
class TrendWork:
    id: strawberry.ID


@strawberry.type
class TrendsQuery:
    @strawberry.field
    def trending(self) -> list[TrendWork]:
        return [TrendWork(id=strawberry.ID("w2"))]


trends = strawberry.federation.Schema(query=TrendsQuery)

SCENARIOS: dict[str, Schemas] = {
    "requires": {"catalog": catalog, "pricing": pricing, "stock": stock},
    "types": {"shelf": shelf, "library": library},
    "shared": {"alpha": alpha, "beta": beta},
    "provides": {"feed": feed, "posts": posts, "users": users},
    "keys": {"desk": desk, "ledger": ledger, "totals": totals},
    "interfaces": {"content": content, "opinions": opinions, "trends": trends},
    "nodes": NODES,
}

# Root fields that answer an error by design (a null in a non-null position), left out of the
# generated queries that must answer without one.
ERRING_ROOT_FIELDS: dict[str, frozenset[str]] = {"nodes": frozenset({"strictSealed"})}

_composed: dict[str, str] = {}


def sdl_of(schema: strawberry.federation.Schema) -> str:
    return composable_link(without_federation_internals(schema.as_str()))


def supergraph_of(scenario: str) -> str:
    """The scenario's supergraph with placeholder URLs (`http://scenario-NAME/graphql`),
    composed once per process."""
    if scenario not in _composed:
        _composed[scenario] = compose(
            [
                {"name": n, "url": f"http://scenario-{n}/graphql", "sdl": sdl_of(s)}
                for n, s in SCENARIOS[scenario].items()
            ]
        )
    return _composed[scenario]


@contextlib.asynccontextmanager
async def scenario_subgraphs(
    scenario: str, serving: Any
) -> AsyncIterator[tuple[str, dict[str, Recorded]]]:
    """Serve a scenario's subgraphs; yields its supergraph (with their URLs) and recorders."""
    schemas = SCENARIOS[scenario]
    recorded = {name: Recorded(name) for name in schemas}
    app = Starlette(
        routes=[subgraph_route(name, recorded[name], schema) for name, schema in schemas.items()]
    )
    async with serving(app) as url:
        supergraph = supergraph_of(scenario)
        for name in schemas:
            supergraph = supergraph.replace(
                f"http://scenario-{name}/graphql", f"{url}/{name}/graphql"
            )
        try:
            yield supergraph, recorded
        finally:
            for r in recorded.values():
                r.released.set()
