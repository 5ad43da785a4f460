"""Static checks of docker-compose.yml, deploy/Dockerfile and the README's port table.

No Docker engine runs where these tests run, so they catch without one what `docker compose up`
would trip over: a missing build context, Dockerfile or mounted file, a `python -m` module that
no image contains, a dependency on an undefined service or on a health check nobody defined, a
one-shot job that would restart forever, and ports that disagree with the documentation.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
README = ROOT / "README.md"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# A row of the README's port table: `| gateway | 4000 |` (compose service name, port).
PORT_ROW = re.compile(r"^\|\s*([a-z][a-z0-9_-]*)\s*\|\s*(\d{2,5})\s*\|\s*$", re.MULTILINE)
PYTHON_MODULE = re.compile(r"\bpython3?\s+-m\s+([A-Za-z_][\w.]*)")
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
URL_SCHEMES = {"http", "https", "nats", "mongodb", "mongodb+srv"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SUBGRAPHS = ("people", "orders", "tickets", "billing")
PLATFORM_SERVICES = {
    "mongo",
    "nats",
    "mailpit",
    "keys",
    "people",
    "orders",
    "tickets",
    "billing",
    "gateway",
}


# ------------------------------------------------------------------------------ loading


@dataclass(frozen=True)
class Member:
    """A uv workspace member: its distribution name, directory, modules and workspace deps."""

    name: str
    directory: Path
    modules: frozenset[str]
    dependencies: frozenset[str]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "docker-compose.yml must be a mapping"
    assert isinstance(loaded.get("services"), dict), "docker-compose.yml has no services"
    return loaded


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]  # type: ignore[no-any-return]


@cache
def workspace() -> dict[str, Member]:
    """The workspace members by normalized name, read from the pyproject.toml files."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    directories = [ROOT / path for path in root["tool"]["uv"]["workspace"]["members"]]
    projects = {
        directory: tomllib.loads((directory / "pyproject.toml").read_text(encoding="utf-8"))
        for directory in directories
    }
    names = {normalize(project["project"]["name"]) for project in projects.values()}
    members: dict[str, Member] = {}
    for directory, project in projects.items():
        requirements = project["project"].get("dependencies", [])
        matches = (REQUIREMENT_NAME.match(requirement) for requirement in requirements)
        dependencies = {normalize(match.group(1)) for match in matches if match}
        modules = {init.parent.name for init in (directory / "src").glob("*/__init__.py")}
        name = normalize(project["project"]["name"])
        members[name] = Member(name, directory, frozenset(modules), frozenset(dependencies & names))
    return members


def installed_modules(package: str) -> set[str]:
    """Top-level modules that `uv sync --package <package>` puts into the image."""
    members = workspace()
    seen: set[str] = set()
    pending = [normalize(package)]
    while pending:
        name = pending.pop()
        if name not in seen and name in members:
            seen.add(name)
            pending.extend(members[name].dependencies)
    return {module for name in seen for module in members[name].modules}


def package_dir(module: str) -> Path | None:
    """The source directory of a top-level package: services/*/src/<module> or gateway/src/..."""
    top = module.split(".")[0]
    candidates = [*ROOT.glob(f"services/*/src/{top}"), ROOT / "gateway" / "src" / top]
    return next((path for path in candidates if path.is_dir()), None)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """Dependency name -> condition (the short list form means service_started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {str(name): "service_started" for name in deps}
    return {
        str(name): str((spec or {}).get("condition", "service_started"))
        for name, spec in deps.items()
    }


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool
    bind: bool


def mounts(service: Mapping[str, Any]) -> Iterator[Mount]:
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target, _, mode = rest.partition(":")
            bind = source.startswith((".", "/", "~"))
            yield Mount(source, target, "ro" in mode.split(","), bind)
        else:
            source = str(volume.get("source", ""))
            bind = volume.get("type") == "bind"
            yield Mount(source, str(volume["target"]), bool(volume.get("read_only")), bind)


def published_ports(service: Mapping[str, Any]) -> dict[int, int]:
    """Host port -> container port."""
    published: dict[int, int] = {}
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            published[int(port["published"])] = int(port["target"])
            continue
        parts = str(port).split("/")[0].split(":")
        assert len(parts) in (1, 2, 3), f"cannot read port mapping {port!r}"
        container = int(parts[-1])
        published[int(parts[-2]) if len(parts) > 1 else container] = container
    return published


def command_text(service: Mapping[str, Any]) -> str:
    command = service.get("command") or ""
    return command if isinstance(command, str) else shlex.join(str(part) for part in command)


def build_args(service: Mapping[str, Any]) -> dict[str, str]:
    build = service.get("build")
    if not isinstance(build, dict):
        return {}
    args = build.get("args") or {}
    if isinstance(args, list):
        return dict(item.split("=", 1) for item in args)
    return {str(key): str(value) for key, value in args.items()}


def image_package(name: str) -> str | None:
    """The PACKAGE build argument of the image a service runs (its own build or a sibling's)."""
    service = services()[name]
    args = build_args(service)
    if "PACKAGE" in args:
        return args["PACKAGE"]
    image = service.get("image")
    for other in services().values():
        if image and other.get("image") == image and "PACKAGE" in build_args(other):
            return build_args(other)["PACKAGE"]
    return None


def readme_ports(text: str) -> dict[str, int]:
    """The port table rows `| service | port |` of the README; fails clearly when there are none."""
    rows = PORT_ROW.findall(text)
    if not rows:
        pytest.fail(
            "README.md has no port table: expected rows like `| gateway | 4000 |` "
            "(compose service name, published port), one per service"
        )
    ports: dict[str, int] = {}
    for name, port in rows:
        assert name not in ports, f"README.md lists {name!r} twice in its port table"
        ports[name] = int(port)
    return ports


def readme_text() -> str:
    if not README.is_file():
        pytest.fail(
            f"{README} is missing: it must hold the port table with rows like `| gateway | 4000 |`"
        )
    return README.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ the tests


def test_compose_defines_the_platform() -> None:
    missing = PLATFORM_SERVICES - services().keys()
    assert not missing, f"docker-compose.yml lacks services {sorted(missing)}"


def test_build_contexts_and_dockerfiles_exist() -> None:
    built = {name: s["build"] for name, s in services().items() if "build" in s}
    assert built, "no service is built from this repository"
    for name, build in built.items():
        spec = {"context": build} if isinstance(build, str) else build
        context = (ROOT / spec.get("context", ".")).resolve()
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        dockerfile = context / spec.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: Dockerfile {dockerfile} does not exist"


def test_services_sharing_an_image_build_it_the_same_way() -> None:
    by_image: dict[str, list[str]] = {}
    for name, service in services().items():
        if "build" in service:
            assert "image" in service, f"{name}: a built service needs an explicit image name"
            by_image.setdefault(str(service["image"]), []).append(name)
    for image, names in by_image.items():
        builds = [services()[name]["build"] for name in names]
        assert all(build == builds[0] for build in builds), (
            f"services {names} tag {image} but build it differently"
        )


def test_build_args_name_workspace_packages_and_their_modules() -> None:
    for name, service in services().items():
        if "build" not in service:
            continue
        args = build_args(service)
        assert {"PACKAGE", "MODULE"} <= args.keys(), f"{name}: build args PACKAGE and MODULE"
        package, module = args["PACKAGE"], args["MODULE"]
        assert normalize(package) in workspace(), f"{name}: {package} is no workspace member"
        assert package_dir(module), f"{name}: MODULE {module} has no package dir in the repo"
        assert module.split(".")[0] in installed_modules(package), (
            f"{name}: MODULE {module} is not installed by PACKAGE {package}"
        )


def test_python_modules_run_by_commands_exist_in_their_image() -> None:
    commands = {name: command_text(service) for name, service in services().items()}
    found = {name: PYTHON_MODULE.findall(text) for name, text in commands.items()}
    assert any(found.values()), "no `python -m` command found; the keys job needs one"
    for name, modules in found.items():
        package = image_package(name)
        for module in modules:
            assert package_dir(module), (
                f"{name}: `python -m {module}` has no services/*/src/{module.split('.')[0]} "
                "or gateway/src/... package"
            )
            assert package, f"{name}: runs `python -m {module}` in an image not built here"
            assert module.split(".")[0] in installed_modules(package), (
                f"{name}: `python -m {module}` is not installed in the {package} image"
            )


def test_mounted_files_and_volumes_exist() -> None:
    declared = set((compose().get("volumes") or {}).keys())
    for name, service in services().items():
        for mount in mounts(service):
            if mount.bind:
                path = (ROOT / mount.source).resolve()
                assert path.exists(), f"{name}: bind-mounted {mount.source} does not exist"
                assert path.is_relative_to(ROOT / "deploy"), (
                    f"{name}: bind-mounts {mount.source}; keep mounted files under ./deploy"
                )
            else:
                assert mount.source in declared, (
                    f"{name}: volume {mount.source!r} is not declared under top-level volumes"
                )


def test_depends_on_targets_and_conditions() -> None:
    for name, service in services().items():
        for target, condition in depends_on(service).items():
            assert target in services(), f"{name} depends on undefined service {target!r}"
            assert target != name, f"{name} depends on itself"
            assert condition in CONDITIONS, f"{name} -> {target}: unknown condition {condition}"


def test_healthy_dependencies_have_health_checks() -> None:
    targets = {
        target
        for service in services().values()
        for target, condition in depends_on(service).items()
        if condition == "service_healthy"
    }
    assert {"mongo", "nats"} <= targets, "services must wait for a healthy mongo and nats"
    for target in targets:
        check = services()[target].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), (
            f"others wait for {target} to be healthy, but it defines no healthcheck"
        )


def test_one_shot_jobs_do_not_restart() -> None:
    one_shots = {
        target
        for service in services().values()
        for target, condition in depends_on(service).items()
        if condition == "service_completed_successfully"
    }
    assert "keys" in one_shots, "services must wait for the keys job to complete"
    for name in one_shots:
        restart = str(services()[name].get("restart", "no"))
        assert restart in ("no", "on-failure"), f"one-shot {name} has restart: {restart}"


def test_shared_volumes_are_written_before_they_are_read() -> None:
    writers = {
        mount.source: name
        for name, service in services().items()
        for mount in mounts(service)
        if not mount.bind and not mount.read_only
    }
    for name, service in services().items():
        for mount in mounts(service):
            writer = writers.get(mount.source)
            if mount.read_only and not mount.bind:
                assert writer, f"{name} reads volume {mount.source} that no service writes"
                assert depends_on(service).get(writer) == "service_completed_successfully", (
                    f"{name} reads {mount.source}: it must wait for {writer} to complete"
                )


def test_services_wait_for_what_their_settings_point_at() -> None:
    for name, service in services().items():
        env = environment(service)
        for key, value in env.items():
            parts = urlsplit(value)
            host = parts.hostname if parts.scheme in URL_SCHEMES else None
            if key == "PORTAL_SMTP_HOST":
                host = value
            if host and host not in ("127.0.0.1", "localhost", "0.0.0.0"):
                assert host in services(), f"{name}: {key}={value} names no service"
                if key == "PORTAL_GATEWAY_URL" and depends_on(services()[host]).get(name):
                    # People reads quoted ticket posts through the gateway, which waits for
                    # people: a cycle, so people uses it at need (a mail without the quote
                    # while it is not up) instead of waiting for it.
                    continue
                assert depends_on(service).get(host) == "service_healthy", (
                    f"{name} uses {host} ({key}) and must wait for it to be healthy"
                )
            if key.endswith("_KEY_FILE"):
                assert any(value.startswith(m.target + "/") for m in mounts(service)), (
                    f"{name}: {key}={value} is on no mounted volume"
                )


def test_gateway_routes_to_the_subgraphs() -> None:
    gateway = services()["gateway"]
    env = environment(gateway)
    urls = {
        key: value
        for key, value in env.items()
        if re.fullmatch(r"PORTAL_(PEOPLE|ORDERS|TICKETS|BILLING)_URL", key)
    }
    expected = {f"PORTAL_{name.upper()}_URL" for name in SUBGRAPHS}
    assert expected <= urls.keys(), f"the gateway lacks {sorted(expected - urls.keys())}"
    assert "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE" in env, "the gateway signs principals"
    for key, url in urls.items():
        parts = urlsplit(url)
        host = parts.hostname or ""
        assert host in services(), f"{key}={url}: no service {host!r}"
        assert str(parts.port) == environment(services()[host]).get("PORTAL_HTTP_PORT"), (
            f"{key}={url}: {host} listens on PORTAL_HTTP_PORT "
            f"{environment(services()[host]).get('PORTAL_HTTP_PORT')}"
        )
        assert depends_on(gateway).get(host) == "service_healthy", (
            f"the gateway must wait for {host} to be healthy"
        )


def test_published_ports_match_the_readme() -> None:
    documented = readme_ports(readme_text())
    for name, port in documented.items():
        assert name in services(), f"README.md lists {name!r}, which docker-compose.yml lacks"
        service = services()[name]
        assert published_ports(service).get(port) == port, (
            f"{name}: README.md says port {port}, compose publishes {published_ports(service)}"
        )
        assert environment(service).get("PORTAL_HTTP_PORT") == str(port), (
            f"{name}: PORTAL_HTTP_PORT must be {port}, the port it publishes"
        )
    python_services = {
        name
        for name, service in services().items()
        if published_ports(service) and "build" in service
    }
    assert python_services == documented.keys(), (
        f"README.md's port table ({sorted(documented)}) and the services publishing ports "
        f"({sorted(python_services)}) differ"
    )


def test_health_checks_read_the_port_the_service_listens_on() -> None:
    for name, service in services().items():
        test = " ".join(str(part) for part in (service.get("healthcheck") or {}).get("test", []))
        if "PORTAL_HTTP_PORT" in test:
            assert environment(service).get("PORTAL_HTTP_PORT", "").isdigit(), (
                f"{name}: its health check reads PORTAL_HTTP_PORT, which it does not set"
            )


def test_infrastructure_ports_are_published() -> None:
    expected = {"nats": {4222, 8222}, "mongo": {27017}, "mailpit": {8025}}
    for name, ports in expected.items():
        assert ports <= published_ports(services()[name]).keys(), f"{name} publishes {ports}"


def test_dockerfile_serves_every_package() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim|^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2, "the Dockerfile must be multi-stage"
    for arg in ("PACKAGE", "MODULE"):
        assert re.search(rf"^ARG {arg}\b", text, re.M), f"the Dockerfile needs ARG {arg}"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    # uv reads the lock file only with every member's pyproject.toml in place.
    for member in workspace().values():
        relative = member.directory.relative_to(ROOT).as_posix()
        assert re.search(rf"^COPY {re.escape(relative)}/pyproject\.toml ", text, re.M), (
            f"the Dockerfile does not copy {relative}/pyproject.toml before `uv sync`"
        )


def test_dockerignore_keeps_host_artifacts_out_but_not_the_workspace() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert "**/.venv" in patterns, ".dockerignore must exclude every .venv"
    needed = {"pyproject.toml", "uv.lock", "services", "gateway", "services/*", "*"}
    assert not patterns & needed, (
        f".dockerignore excludes what the build needs: {patterns & needed}"
    )


def test_readme_port_rows_are_parsed() -> None:
    text = "| service | port |\n|---|---|\n| gateway | 4000 |\n|  people  |  4001  |\n| x | y |\n"
    assert readme_ports(text) == {"gateway": 4000, "people": 4001}
    with pytest.raises(pytest.fail.Exception, match="no port table"):
        readme_ports("# Portal\n\nNo table here.\n")


def test_every_subgraph_has_a_real_mongodb_and_no_dev_mode() -> None:
    """Outside dev mode a service without PORTAL_MONGO_URL refuses to start (portal_kit
    settings): compose must give every subgraph one, and must not switch dev mode on."""
    for name in ("people", "orders", "tickets", "billing"):
        env = environment(services()[name])
        assert env.get("PORTAL_MONGO_URL", "").startswith("mongodb://"), name
        assert env.get("PORTAL_DEV_MODE", "false").lower() in ("false", "0"), name
        assert env.get("PORTAL_MONGO_STAND_IN", "false").lower() in ("false", "0"), name
