"""The one shape of every service (docs/architecture.md, section 2), checked on the source.

A newcomer finds the same rooms with the same file names in every service, and the seams hold:
the domain does no I/O, use cases never get a database, queries are written only in adapters.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("people", "orders", "tickets", "billing")

# Same file names for the same roles, in every service.
ROOMS = (
    "README.md",
    "src/portal_{s}/__main__.py",
    "src/portal_{s}/settings.py",
    "src/portal_{s}/bootstrap.py",
    "src/portal_{s}/app.py",
    "src/portal_{s}/domain/events.py",
    "src/portal_{s}/service_layer/access.py",
    "src/portal_{s}/service_layer/ports.py",
    "src/portal_{s}/adapters/repositories.py",
    "src/portal_{s}/entrypoints/schema.py",
    "src/portal_{s}/entrypoints/types.py",
    "src/portal_{s}/entrypoints/inputs.py",
    "src/portal_{s}/entrypoints/context.py",
    "tests/test_{s}_use_cases.py",
)
# Names that would make a second home for a role that has one.
RETIRED = ("src/portal_{s}/wiring.py", "src/portal_{s}/entrypoints/events.py")

# What a pure domain may not import: anything that does I/O or belongs to an outer layer.
OUTER = ("motor", "pymongo", "nats", "starlette", "strawberry", "httpx", "aiohttp", "smtplib")


def package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"portal_{service}"


def modules(service: str, layer: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((package(service) / layer).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def query_operators(tree: ast.Module) -> Iterator[str]:
    """MongoDB operators written as dict keys (`{"$in": ...}`): a query document."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and str(key.value).startswith("$"):
                    yield f"{key.value} (line {key.lineno})"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_rooms(service: str) -> None:
    base = ROOT / "services" / service
    missing = [
        room.format(s=service) for room in ROOMS if not (base / room.format(s=service)).exists()
    ]
    retired = [
        room.format(s=service) for room in RETIRED if (base / room.format(s=service)).exists()
    ]
    assert missing == [] and retired == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_does_no_io_and_knows_no_outer_layer(service: str) -> None:
    own_outer = tuple(
        f"portal_{service}.{layer}" for layer in ("service_layer", "adapters", "entrypoints")
    )
    found = {
        path.relative_to(ROOT).as_posix(): name
        for path, tree in modules(service, "domain")
        for name in imported(tree)
        if name.split(".")[0] in OUTER
        or name.startswith(own_outer)
        or name.startswith("portal_kit.mongo")
    }
    assert found == {}


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_are_given_repositories_never_a_database(service: str) -> None:
    found = {
        path.relative_to(ROOT).as_posix(): name
        for path, tree in modules(service, "service_layer")
        for name in imported(tree)
        if name in ("portal_kit.mongo.Database", "portal_kit.mongo") or name.split(".")[0] in OUTER
    }
    assert found == {}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("layer", ["domain", "service_layer", "entrypoints"])
def test_queries_are_written_only_in_adapters(service: str, layer: str) -> None:
    found = {
        path.relative_to(ROOT).as_posix(): operators
        for path, tree in modules(service, layer)
        if (operators := list(query_operators(tree)))
    }
    assert found == {}


@pytest.mark.parametrize("service", SERVICES)
def test_only_repositories_reach_across_tenants(service: str) -> None:
    outside = [
        path.relative_to(ROOT).as_posix()
        for path in package(service).rglob("*.py")
        if "system_collection" in path.read_text(encoding="utf-8") and "adapters" not in path.parts
    ]
    assert outside == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_schema_executes_with_the_kits_execution(service: str) -> None:
    """portal_kit.graphql.Execution: without it a request's objects outlive it until the
    cyclic collector runs (see its docstring)."""
    tree = ast.parse((package(service) / "entrypoints" / "schema.py").read_text("utf-8"))
    given = {
        keyword.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "execution_context_class" and isinstance(keyword.value, ast.Name)
    }
    assert given == {"Execution"}
