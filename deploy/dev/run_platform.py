"""`make dev`: the whole platform on this machine, stopped together with Ctrl-C.

    uv run python deploy/dev/run_platform.py [--no-demo] [--ready-timeout SECONDS]

Starts (or reuses) a nats-server with JetStream on 127.0.0.1:4222, the four services
(people 4001, orders 4002, tickets 4003, billing 4004) and the gateway (4000) as child
processes, waits until each answers /readyz, loads the demo data (people's tenants and users
with `python -m portal_people.demo`, then the manuals' orders through the gateway with
`python -m portal_orders.demo`, the tickets with `python -m portal_tickets.demo` and the
invoices with `python -m portal_billing.demo`), prints what runs where and then watches: if a
child dies, it shows that child's log tail and starts it again (a child that dies 3 times
within a minute stops the platform).

With the in-memory MongoDB stand-in (no PORTAL_MONGO_URL) a service's data lives in its process:
so whenever a stand-in starts empty, its events go too. At start the runner's JetStream store
is emptied (or, on a NATS server it reuses, the platform's streams are purged); when a service
is restarted, its own streams are purged and its durable consumers (named `<service>-...`) on the
other services' streams are removed, so it reads their events again into its read models; the
demo data of people or orders is loaded again into a restarted people or orders.

Everything it writes lives in `.dev/` at the repository root: the gateway's principal key pair
(`.dev/keys`), the JetStream store (`.dev/nats`), one log per process (`.dev/logs`) and every
mail the platform sent (`.dev/mail`, one `.eml` each): `deploy/dev/mail_catcher.py` is the SMTP
server the services send to, and lists the mails on http://127.0.0.1:8025/.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / ".dev"
HOST = "127.0.0.1"
NATS_PORT = 4222
NATS_FALLBACKS: tuple[Path, ...] = (Path("/usr/sbin/nats-server"),)
STOP_GRACE_SECONDS = 5.0
# A child that dies this often within RESTART_WINDOW_SECONDS stops the platform (a crash loop).
MAX_RESTARTS = 3
RESTART_WINDOW_SECONDS = 60.0

INSTALL_HINT = """\
nats-server is not installed: it is neither on PATH nor at /usr/sbin/nats-server.
`make dev` runs the platform's event bus (NATS JetStream) with it. Install it with

    sudo apt-get install nats-server

or download a release for your system from https://nats.io/download/
(https://github.com/nats-io/nats-server/releases) and put `nats-server` on your PATH."""


@dataclass(frozen=True)
class Child:
    name: str
    module: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


SERVICES = (
    Child("people", "portal_people", 4001),
    Child("orders", "portal_orders", 4002),
    Child("tickets", "portal_tickets", 4003),
    Child("billing", "portal_billing", 4004),
)
GATEWAY = Child("gateway", "portal_gateway", 4000)
# Demo loaders, in this order: people's tenants, organisations and users first (straight to the
# people service, as platform administrator), then the manuals' orders (through the gateway, as
# the tenants' demo users, so they need people's users).
DEMO_MODULE = "portal_people.demo"
ORDERS_DEMO_MODULE = "portal_orders.demo"
TICKETS_DEMO_MODULE = "portal_tickets.demo"
BILLING_DEMO_MODULE = "portal_billing.demo"

# Inherited settings that would make every child the same process or undo the dev keys.
NOT_INHERITED = (
    "PORTAL_SERVICE_NAME",
    "PORTAL_HTTP_HOST",
    "PORTAL_HTTP_PORT",
    "PORTAL_MONGO_DATABASE",
    "PORTAL_NATS_URL",
    "PORTAL_PRINCIPAL_PUBLIC_KEY",
    "PORTAL_PRINCIPAL_PRIVATE_KEY",
    "PORTAL_TOKEN_SIGNING_KEY_FILE",
)


class Stop(BaseException):
    """Ctrl-C or SIGTERM: stop everything (a BaseException so no `except Exception` eats it)."""


class Failure(Exception):
    """The platform cannot run; the message says why and where to look."""


# -- pure parts -------------------------------------------------------------------------------


def find_nats_server(
    search_path: str | None = None, fallbacks: Sequence[Path] | None = None
) -> str | None:
    found = shutil.which("nats-server", path=search_path)
    if found:
        return found
    for candidate in NATS_FALLBACKS if fallbacks is None else fallbacks:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def probe_nats(port: int, host: str = HOST, timeout: float = 1.0) -> tuple[str, dict[str, Any]]:
    """("free", {}) when nothing listens, ("nats", INFO) when a NATS server answers, else
    ("other", {})."""
    try:
        sock = socket.create_connection((host, port), timeout)
    except OSError:
        return "free", {}
    with sock:
        sock.settimeout(timeout)
        received = b""
        try:
            while b"\r\n" not in received and len(received) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        except OSError:
            return "other", {}
    line = received.split(b"\r\n", 1)[0]
    if not line.startswith(b"INFO "):
        return "other", {}
    try:
        info = json.loads(line[5:])
    except ValueError:
        return "other", {}
    return ("nats", info) if isinstance(info, dict) else ("other", {})


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class Keys:
    principal_private: Path  # the gateway signs principals for the subgraphs with it
    principal_public: Path  # every subgraph verifies them with it
    token_signing: Path  # people signs access tokens with it (kept, so tokens survive restarts)


def ensure_keys(directory: Path) -> Keys:
    from portal_kit.keys import ensure_key_pair  # imported late: the install hint needs nothing

    private, public = ensure_key_pair(directory)
    token_signing, _ = ensure_key_pair(directory / "tokens")
    return Keys(private, public, token_signing)


def child_env(child: Child, base: Mapping[str, str], keys: Keys, nats_url: str) -> dict[str, str]:
    """The environment of one child process: the caller's, plus the dev platform's settings."""
    env = {k: v for k, v in base.items() if k not in NOT_INHERITED}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "PORTAL_HTTP_HOST": HOST,
            "PORTAL_HTTP_PORT": str(child.port),
            "PORTAL_DEV_MODE": "true",
        }
    )
    if child is GATEWAY:
        env["PORTAL_PRINCIPAL_PRIVATE_KEY_FILE"] = str(keys.principal_private)
        env["PORTAL_JWKS_URL"] = f"{SERVICES[0].base_url}/.well-known/jwks.json"
        # GraphiQL and a first curl name no tenant: JM's, unless the caller's shell chose one.
        env.setdefault("PORTAL_DEV_DEFAULT_TENANT", "jm")
        for service in SERVICES:
            env[f"PORTAL_{service.name.upper()}_URL"] = f"{service.base_url}/graphql"
    else:
        env["PORTAL_PRINCIPAL_PUBLIC_KEY_FILE"] = str(keys.principal_public)
    # The gateway too: it follows people's events for revoked tokens.
    env["PORTAL_NATS_URL"] = nats_url
    if child.name == "people":
        env["PORTAL_TOKEN_SIGNING_KEY_FILE"] = str(keys.token_signing)
        # A mail that quotes a ticket post reads it through the gateway as its recipient.
        env["PORTAL_GATEWAY_URL"] = f"{GATEWAY.base_url}/graphql"
    if child.name == "billing":
        # The demo's invoices of 2017 are overdue: announced (and mailed) within a minute, not
        # at the production default of an hour.
        env.setdefault("PORTAL_OVERDUE_CHECK_SECONDS", "30")
    return env


def demo_env(people_env: Mapping[str, str], keys: Keys) -> dict[str, str]:
    env = dict(people_env)
    env["PORTAL_PRINCIPAL_PRIVATE_KEY_FILE"] = str(keys.principal_private)
    env["PORTAL_DEMO_PEOPLE_URL"] = f"{SERVICES[0].base_url}/graphql"
    return env


def orders_demo_env(people_env: Mapping[str, str]) -> dict[str, str]:
    """The orders loader is a client of the gateway: it needs its URL and the demo password,
    no keys."""
    env = {k: v for k, v in people_env.items() if not k.startswith("PORTAL_")}
    env["PORTAL_DEMO_GATEWAY_URL"] = f"{GATEWAY.base_url}/graphql"
    try:
        from portal_people.demo_data import DEMO_PASSWORD

        env["PORTAL_DEMO_PASSWORD"] = DEMO_PASSWORD
    except ImportError:
        pass  # the loader's own default is the same documented password
    return env


def demo_password() -> str:
    return orders_demo_env({}).get("PORTAL_DEMO_PASSWORD", "Portal-demo-2026!")


def tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    last = text.splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in last) if last else "    (the log is empty)"


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def module_runnable(module: str) -> bool:
    """Whether `python -m module` has something to run (a module, or a package's __main__)."""
    try:
        spec = importlib.util.find_spec(module)
        if spec is None:
            return False
        if spec.submodule_search_locations is not None:
            return importlib.util.find_spec(f"{module}.__main__") is not None
    except (ImportError, ValueError):
        return False
    return True


# -- processes --------------------------------------------------------------------------------


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str
    ready_url: str | None = None
    command: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    restarts: list[float] = field(default_factory=list)


def stand_in_database(environ: Mapping[str, str]) -> bool:
    """Each service keeps its data in its own process (the in-memory stand-in)."""
    return not environ.get("PORTAL_MONGO_URL")


def stream_names(service: str, prefix: str) -> tuple[str, str]:
    """A service's stream and its dead-letter stream (portal_kit.jetstream.StreamNames)."""
    return f"{prefix.upper()}_{service.upper()}", f"{prefix.upper()}_DEADLETTER_{service.upper()}"


def forget_events(
    nats_url: str, services: Sequence[str], *, consumers_of: str | None = None, prefix: str = ""
) -> list[str]:
    """Purge the streams of `services`; with `consumers_of`, also remove that service's durable
    consumers (`<service>-...`) from every other stream, so it reads the events again. What it
    did, for the log."""
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    prefix = prefix or os.environ.get("PORTAL_EVENT_PREFIX", "portal")

    async def forget() -> list[str]:
        client = await nats.connect(nats_url, connect_timeout=3, max_reconnect_attempts=1)
        done: list[str] = []
        try:
            js = client.jetstream(timeout=5)
            for service in services:
                for stream in stream_names(service, prefix):
                    with contextlib.suppress(NotFoundError):
                        await js.purge_stream(stream)
                        done.append(f"purged {stream}")
            if consumers_of is not None:
                # Only this platform's streams: a NATS server shared with other prefixes (tests,
                # another checkout) keeps its consumers.
                # Asked by name: a list of all streams comes in pages and would miss some.
                ours = [name for child in SERVICES for name in stream_names(child.name, prefix)]
                for stream in ours:
                    try:
                        consumers = await js.consumers_info(stream)
                    except NotFoundError:
                        continue
                    for consumer in consumers:
                        name = consumer.name or ""
                        if name.startswith(f"{consumers_of}-"):
                            await js.delete_consumer(stream, name)
                            done.append(f"removed consumer {name} of {stream}")
        finally:
            await client.close()
        return done

    return asyncio.run(forget())


@dataclass
class Platform:
    logs: Path
    children: list[Running] = field(default_factory=list)
    nats_note: str = ""

    def spawn(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str],
        url: str,
        ready_url: str | None,
    ) -> Running:
        log = self.logs / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                list(command),
                cwd=REPO,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches only this runner, which stops children in order.
                start_new_session=True,
            )
        running = Running(name, process, log, url, ready_url, list(command), dict(env))
        self.children.append(running)
        return running

    def respawn(self, child: Running) -> None:
        """Start a dead child again with its command and environment; its log goes on."""
        with child.log.open("ab") as output:
            output.write(b"\n--- restarted by make dev ---\n")
            output.flush()
            child.process = subprocess.Popen(
                list(child.command),
                cwd=REPO,
                env=dict(child.env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, child: Running, timeout: float) -> None:
        assert child.ready_url is not None
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive(child)
            try:
                with urllib.request.urlopen(child.ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise Failure(
                    f"{child.name} did not become ready within {timeout:.0f} s "
                    f"({child.ready_url} does not answer 200); see {relative(child.log)}:\n"
                    f"{tail(child.log)}"
                )
            time.sleep(0.2)

    def check_alive(self, child: Running) -> None:
        code = child.process.poll()
        if code is not None:
            raise Failure(
                f"{child.name} stopped unexpectedly (exit code {code}); "
                f"last lines of {relative(child.log)}:\n{tail(child.log)}"
            )

    def watch(
        self,
        *,
        ready_timeout: float = 60.0,
        before_restart: Callable[[Running], None] | None = None,
        after_restart: Callable[[Running], None] | None = None,
        once: bool = False,
    ) -> None:
        """Restart each child that died (after `before_restart`, e.g. to forget its events);
        one that died MAX_RESTARTS times within RESTART_WINDOW_SECONDS stops the platform."""
        while True:
            for child in self.children:
                if child.process.poll() is not None:
                    self.restart(child, ready_timeout, before_restart, after_restart)
            if once:
                return
            time.sleep(0.5)

    def restart(
        self,
        child: Running,
        ready_timeout: float,
        before_restart: Callable[[Running], None] | None = None,
        after_restart: Callable[[Running], None] | None = None,
    ) -> None:
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW_SECONDS]
        if len(child.restarts) >= MAX_RESTARTS:
            self.check_alive(child)  # raises Failure with the log tail
        code = child.process.returncode
        print(
            f"\n{child.name} stopped unexpectedly (exit code {code}); last lines of "
            f"{relative(child.log)}:\n{tail(child.log)}\nstarting {child.name} again ...",
            flush=True,
        )
        child.restarts.append(now)
        if before_restart is not None:
            before_restart(child)
        self.respawn(child)
        if child.ready_url is not None:
            self.wait_ready(child, ready_timeout)
        print(f"{child.name}: ready again on {child.url}", flush=True)
        if after_restart is not None:
            after_restart(child)

    def stop(self) -> None:
        """Terminate the gateway first and NATS last; kill what has not stopped after 5 s."""
        alive = [c for c in reversed(self.children) if c.process.poll() is None]
        if not alive:
            return
        print(f"stopping {', '.join(c.name for c in alive)} ...", flush=True)
        for child in alive:
            with contextlib.suppress(ProcessLookupError):
                child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in alive:
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{child.name} did not stop within {STOP_GRACE_SECONDS:.0f} s: killing it")
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                child.process.wait()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    def handler(signum: int, _: FrameType | None) -> None:
        # Once stopping, further Ctrl-Cs must not interrupt the orderly shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


# -- the run ----------------------------------------------------------------------------------


def mail_catcher() -> ModuleType:
    """deploy/dev/mail_catcher.py (the SMTP catcher and its page), loaded beside this file."""
    spec = importlib.util.spec_from_file_location(
        "mail_catcher", Path(__file__).with_name("mail_catcher.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_nats(
    platform: Platform, binary: str, store: Path, timeout: float, *, empty: bool = False
) -> str:
    """Reuse a NATS server with JetStream on the port, or start one on `store`. With `empty`
    (the stand-in: every service starts without data) no old event is kept: the store is
    emptied, or on a reused server the platform's streams are purged."""
    url = f"nats://{HOST}:{NATS_PORT}"
    state, info = probe_nats(NATS_PORT)
    if state == "nats":
        if not info.get("jetstream"):
            raise Failure(
                f"a NATS server already runs on {HOST}:{NATS_PORT} but without JetStream; "
                "stop it, or restart it with `-js`, and run `make dev` again"
            )
        version = info.get("version", "?")
        platform.nats_note = f"already running (nats-server {version}), reused"
        print(f"nats: a NATS server with JetStream already runs on {HOST}:{NATS_PORT}: reusing it")
        if empty:
            forget_events(url, [s.name for s in SERVICES])
            platform.nats_note += "; the platform's streams purged"
            print("nats: purged the platform's streams (the stand-in starts empty)")
        return url
    if state == "other":
        raise Failure(f"port {NATS_PORT} is taken by something that is not a NATS server")
    if empty and store.exists():
        shutil.rmtree(store)
    store.mkdir(parents=True, exist_ok=True)
    running = platform.spawn(
        "nats",
        [binary, "-a", HOST, "-p", str(NATS_PORT), "-js", "-sd", str(store)],
        os.environ,
        url,
        None,
    )
    deadline = time.monotonic() + timeout
    while probe_nats(NATS_PORT, timeout=0.5)[0] != "nats":
        platform.check_alive(running)
        if time.monotonic() > deadline:
            raise Failure(f"nats-server did not start; see {relative(running.log)}")
        time.sleep(0.1)
    platform.nats_note = f"started by this runner, store {relative(store)}"
    print(f"nats: started nats-server with JetStream on {HOST}:{NATS_PORT}")
    return url


def load_demo(
    platform: Platform, env: Mapping[str, str], module: str = DEMO_MODULE, log_name: str = "demo"
) -> bool:
    """Runs one demo loader; False (with a warning, the platform runs on) when it failed."""
    if not module_runnable(module):
        print(f"warning: {module} does not exist yet: starting without its demo data")
        return False
    log = platform.logs / f"{log_name}.log"
    print(f"demo: loading demo data with `python -m {module}` ...", flush=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _tee(process.stdout, output)
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if code != 0:
        print(
            f"warning: the demo data loader {module} failed (exit code {code}); the platform "
            f"runs without complete demo data. See {relative(log)}:\n{tail(log)}"
        )
        return False
    return True


def load_demos(platform: Platform, envs: Mapping[str, Mapping[str, str]], keys: Keys) -> None:
    """People's demo, then (only if it loaded: the orders' and tickets' walks log in as its
    users) the manuals' orders, tickets and invoices."""
    if "people" not in envs or not load_demo(platform, demo_env(envs["people"], keys)):
        return
    if "orders" in envs:
        load_demo(platform, orders_demo_env(envs["people"]), ORDERS_DEMO_MODULE, "demo-orders")
    if "tickets" in envs:
        # A client of the gateway like the orders loader: the same environment.
        load_demo(platform, orders_demo_env(envs["people"]), TICKETS_DEMO_MODULE, "demo-tickets")
    if "billing" in envs:
        # A client of the gateway too; it walks a Familjebostäder work order to 'Fakturerad'.
        load_demo(platform, orders_demo_env(envs["people"]), BILLING_DEMO_MODULE, "demo-billing")


def _tee(source: IO[bytes] | None, log: IO[bytes]) -> None:
    if source is None:
        return
    for line in source:
        log.write(line)
        sys.stdout.write("  | " + line.decode(errors="replace"))
        sys.stdout.flush()


def login_example() -> str:
    """How to log in through the gateway as the first demo user, if the demo data says so."""
    try:
        from portal_people.demo_data import DEMO_PASSWORD, DEMO_TENANTS

        tenant = DEMO_TENANTS[0]
        tenant_id, login, password = tenant.id, tenant.users[0].username, DEMO_PASSWORD
    except (ImportError, AttributeError, IndexError):
        tenant_id, login, password = "<tenant>", "<user name>", "<password>"
    query = (
        '{"query": "mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }", '
        f'"variables": {{"i": {{"login": "{login}", "password": "{password}"}}}}}}'
    )
    return (
        f"curl -s {GATEWAY.base_url}/graphql -H 'Content-Type: application/json' "
        f"-H 'X-Portal-Tenant: {tenant_id}' -d '{query}'"
    )


def survives(stand_in: bool) -> str:
    """What the banner says about restarts."""
    if stand_in:
        return (
            "a service that dies is started again, empty (the stand-in keeps data in its\n"
            "            process): its streams are purged, it reads the other services' events\n"
            "            again, people's and orders' demo data are loaded again. Stopping make\n"
            "            dev loses all data and events; keys and logs in .dev/ survive"
        )
    return (
        "a service that dies is started again with its data (MongoDB) and events\n"
        "            (JetStream store in .dev/nats); so do keys and logs in .dev/"
    )


def summary(platform: Platform, keys: Keys) -> str:
    rows = [("process", "URL", "log")]
    for child in platform.children:
        rows.append((child.name, child.url, relative(child.log)))
    if not any(c.name == "nats" for c in platform.children):
        rows.append(("nats", f"nats://{HOST}:{NATS_PORT}", f"({platform.nats_note})"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    table = "\n".join(
        (
            "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )
    database = (
        "MongoDB from PORTAL_MONGO_URL"
        if os.environ.get("PORTAL_MONGO_URL")
        else "in-memory stand-in per service (set PORTAL_MONGO_URL for a real MongoDB); "
        "data is gone when the platform stops"
    )
    return f"""
The portal platform is running. Ctrl-C stops everything.

{table}

  keys      {relative(keys.principal_private.parent)}/ (principal key pair; tokens/ signs tokens)
  database  {database}
  restarts  {survives(stand_in_database(os.environ))}
  GraphQL   {GATEWAY.base_url}/graphql (open it in a browser for GraphiQL;
            anonymous calls name their portal with the header X-Portal-Tenant)
  orders    the manuals' own orders, e.g. JM's 'TEST' for mejlkontakt, AO 2375-2377 for
            1999/99999, 307390 for testweb (services/orders/src/portal_orders/demo_data.py)
  logins    demo users and their password: "Demo logins" in README.md. For example:
            {login_example()}
"""


def run(args: argparse.Namespace) -> int:
    binary = find_nats_server()
    if binary is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1

    children = [s for s in SERVICES if module_runnable(s.module)]
    for service in SERVICES:
        if service not in children:
            print(f"warning: {service.module} cannot be run yet (no __main__): skipping it")
    for child in [*children, GATEWAY]:
        if port_in_use(child.port):
            print(
                f"port {child.port} ({child.name}) is already in use: is the platform already "
                f"running? (`ss -ltnp 'sport = :{child.port}'` shows what listens there)",
                file=sys.stderr,
            )
            return 1

    logs = DEV / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    store = DEV / "nats"
    keys = ensure_keys(DEV / "keys")
    platform = Platform(logs)
    stand_in = stand_in_database(os.environ)

    with stop_on_signals():
        try:
            nats_url = start_nats(platform, binary, store, args.ready_timeout, empty=stand_in)
            mail = mail_catcher()
            mail.start_mail_catcher(platform, args.ready_timeout)
            envs: dict[str, dict[str, str]] = {}
            for child in [*children, GATEWAY]:
                envs[child.name] = mail.mail_env(child_env(child, os.environ, keys, nats_url))
                platform.spawn(
                    child.name,
                    [sys.executable, "-m", child.module],
                    envs[child.name],
                    f"{child.base_url}/graphql",
                    f"{child.base_url}/readyz",
                )
            for running in platform.children:
                if running.ready_url is not None:
                    platform.wait_ready(running, args.ready_timeout)
                    print(f"{running.name}: ready on {running.url}", flush=True)
            invited = None
            if not args.no_demo:
                load_demos(platform, envs, keys)
                invited = mail.send_demo_invitation(GATEWAY.base_url, demo_password())
            print(summary(platform, keys) + mail.banner(invited), flush=True)

            def before_restart(child: Running) -> None:
                if stand_in and child.name in envs and child.name != GATEWAY.name:
                    for line in forget_events(nats_url, [child.name], consumers_of=child.name):
                        print(f"nats: {line}")

            def after_restart(child: Running) -> None:
                if not stand_in or args.no_demo:
                    return
                if child.name == "people":
                    load_demo(platform, demo_env(envs["people"], keys))
                elif child.name == "orders" and "people" in envs:
                    load_demo(
                        platform, orders_demo_env(envs["people"]), ORDERS_DEMO_MODULE, "demo-orders"
                    )

            platform.watch(
                ready_timeout=args.ready_timeout,
                before_restart=before_restart,
                after_restart=after_restart,
            )
        except Failure as failure:
            print(f"\n{failure}", file=sys.stderr)
            return 1
        except Stop:
            print()
            return 0
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            platform.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the whole portal platform on this machine (make dev)."
    )
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long each process may take to answer /readyz (default 60)",
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
