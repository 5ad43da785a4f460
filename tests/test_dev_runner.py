"""The pure parts of `make dev` (deploy/dev/run_platform.py); the full run is tried by hand."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest
from portal_kit.testing.nats_server import find_nats_server, free_port

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "dev" / "run_platform.py"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_platform", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "run_platform", module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "DEV", tmp_path / ".dev")
    return module


def test_without_nats_server_it_says_how_to_install_it(runner, monkeypatch, tmp_path, capsys):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(runner, "NATS_FALLBACKS", (tmp_path / "sbin" / "nats-server",))

    assert runner.main([]) == 1

    err = capsys.readouterr().err
    assert "nats-server is not installed" in err
    assert "sudo apt-get install nats-server" in err
    assert "https://nats.io/download/" in err
    assert not (tmp_path / ".dev").exists()  # nothing is created before the check


def test_nats_server_is_found_on_path_or_in_sbin(runner, tmp_path):
    binary = tmp_path / "bin" / "nats-server"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert runner.find_nats_server(str(binary.parent), fallbacks=()) == str(binary)
    assert runner.find_nats_server(str(tmp_path), fallbacks=(binary,)) == str(binary)
    assert runner.find_nats_server(str(tmp_path), fallbacks=(tmp_path / "missing",)) is None


def test_probe_tells_nats_from_nothing_and_from_something_else(runner, nats_url):
    state, info = runner.probe_nats(int(nats_url.rsplit(":", 1)[1]))
    assert state == "nats"
    assert info["jetstream"] is True

    assert runner.probe_nats(free_port()) == ("free", {})

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer_http() -> None:
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer_http)
        thread.start()
        assert runner.probe_nats(server.getsockname()[1], timeout=2) == ("other", {})
        thread.join()


@pytest.mark.skipif(find_nats_server() is None, reason="needs nats-server")
def test_it_starts_its_own_nats_server_when_the_port_is_free(runner, monkeypatch, tmp_path):
    port = free_port()
    monkeypatch.setattr(runner, "NATS_PORT", port)
    logs = tmp_path / "logs"
    logs.mkdir()
    platform = runner.Platform(logs)
    try:
        url = runner.start_nats(platform, find_nats_server(), tmp_path / "store", 10)
        assert url == f"nats://127.0.0.1:{port}"
        assert [c.name for c in platform.children] == ["nats"]
        assert runner.probe_nats(port)[1]["jetstream"] is True
        assert "started by this runner" in platform.nats_note
    finally:
        platform.stop()
    assert platform.children[0].process.returncode is not None
    assert runner.probe_nats(port)[0] == "free"


def test_children_get_their_port_keys_and_dev_settings(runner, tmp_path):
    keys = runner.Keys(tmp_path / "p.key", tmp_path / "p.pub", tmp_path / "tokens.key")
    inherited = {
        "PATH": "/bin",
        "PORTAL_MONGO_URL": "mongodb://db",
        "PORTAL_SERVICE_NAME": "oops",
        "PORTAL_HTTP_PORT": "1",
    }
    nats = "nats://127.0.0.1:4222"
    people, orders = runner.SERVICES[0], runner.SERVICES[1]

    people_env = runner.child_env(people, inherited, keys, nats)
    assert people_env["PORTAL_HTTP_PORT"] == "4001"
    assert people_env["PORTAL_PRINCIPAL_PUBLIC_KEY_FILE"] == str(keys.principal_public)
    assert people_env["PORTAL_TOKEN_SIGNING_KEY_FILE"] == str(keys.token_signing)
    assert people_env["PORTAL_NATS_URL"] == nats
    assert people_env["PORTAL_DEV_MODE"] == "true"
    assert people_env["PORTAL_MONGO_URL"] == "mongodb://db"  # a real MongoDB may be chosen
    assert "PORTAL_SERVICE_NAME" not in people_env
    assert "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE" not in people_env

    orders_env = runner.child_env(orders, inherited, keys, nats)
    assert orders_env["PORTAL_HTTP_PORT"] == "4002"
    assert "PORTAL_TOKEN_SIGNING_KEY_FILE" not in orders_env

    gateway_env = runner.child_env(runner.GATEWAY, inherited, keys, nats)
    assert gateway_env["PORTAL_HTTP_PORT"] == "4000"
    assert gateway_env["PORTAL_PRINCIPAL_PRIVATE_KEY_FILE"] == str(keys.principal_private)
    assert gateway_env["PORTAL_PEOPLE_URL"] == "http://127.0.0.1:4001/graphql"
    assert gateway_env["PORTAL_BILLING_URL"] == "http://127.0.0.1:4004/graphql"
    assert gateway_env["PORTAL_JWKS_URL"] == "http://127.0.0.1:4001/.well-known/jwks.json"
    assert "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE" not in gateway_env
    assert gateway_env["PORTAL_DEV_DEFAULT_TENANT"] == "jm"
    chosen = runner.child_env(
        runner.GATEWAY, {**inherited, "PORTAL_DEV_DEFAULT_TENANT": "avonova"}, keys, nats
    )
    assert chosen["PORTAL_DEV_DEFAULT_TENANT"] == "avonova"
    assert "PORTAL_DEV_DEFAULT_TENANT" not in people_env

    demo = runner.demo_env(people_env, keys)
    assert demo["PORTAL_PRINCIPAL_PRIVATE_KEY_FILE"] == str(keys.principal_private)
    assert demo["PORTAL_DEMO_PEOPLE_URL"] == "http://127.0.0.1:4001/graphql"

    # The orders' demo is a client of the gateway: its URL and the password, no keys.
    orders_demo = runner.orders_demo_env(people_env)
    assert orders_demo["PORTAL_DEMO_GATEWAY_URL"] == "http://127.0.0.1:4000/graphql"
    assert orders_demo["PORTAL_DEMO_PASSWORD"] == "Portal-demo-2026!"
    assert orders_demo["PATH"] == "/bin"
    assert not any(k.endswith("KEY_FILE") for k in orders_demo)


@pytest.mark.parametrize(("people_loads", "loaded"), [(True, 3), (False, 1)])
def test_the_orders_demo_follows_the_people_demo_only_when_it_loaded(
    runner, tmp_path, monkeypatch, people_loads, loaded
):
    calls: list[str] = []

    def load_demo(platform, env, module=runner.DEMO_MODULE, log_name="demo"):
        calls.append(module)
        return people_loads if module == runner.DEMO_MODULE else True

    monkeypatch.setattr(runner, "load_demo", load_demo)
    keys = runner.Keys(tmp_path / "p.key", tmp_path / "p.pub", tmp_path / "tokens.key")
    envs = {"people": {"PATH": "/bin"}, "orders": {}, "tickets": {}}
    runner.load_demos(runner.Platform(tmp_path), envs, keys)
    assert calls == ["portal_people.demo", "portal_orders.demo", "portal_tickets.demo"][:loaded]


def test_keys_are_made_once_and_kept(runner, tmp_path):
    first = runner.ensure_keys(tmp_path / "keys")
    contents = first.token_signing.read_bytes()
    second = runner.ensure_keys(tmp_path / "keys")
    assert second == first
    assert second.token_signing.read_bytes() == contents
    assert first.principal_private.read_bytes() != first.token_signing.read_bytes()


def test_tail_shows_the_last_lines(runner, tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {n}\n" for n in range(50)))
    assert runner.tail(log, 2) == "    line 48\n    line 49"
    assert runner.tail(tmp_path / "missing.log") == "    (no log)"


def test_a_killed_child_comes_back_and_a_crash_loop_stops_the_platform(runner, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    platform = runner.Platform(logs)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    child = platform.spawn(
        "web",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        {"PATH": "/usr/bin:/bin"},
        url,
        url,
    )
    forgotten: list[str] = []
    try:
        platform.wait_ready(child, 20)
        first = child.process.pid
        child.process.kill()
        child.process.wait()
        platform.watch(
            ready_timeout=20, before_restart=lambda c: forgotten.append(c.name), once=True
        )
        assert child.process.poll() is None and child.process.pid != first
        platform.wait_ready(child, 20)  # answers again
        assert forgotten == ["web"]
        assert "restarted by make dev" in child.log.read_text()
        # Dying again and again within a minute stops the platform, naming the child.
        for _ in range(runner.MAX_RESTARTS - 1):
            child.process.kill()
            child.process.wait()
            platform.watch(ready_timeout=20, once=True)
        child.process.kill()
        child.process.wait()
        with pytest.raises(runner.Failure, match="web stopped unexpectedly"):
            platform.watch(ready_timeout=20, once=True)
    finally:
        platform.stop()


def test_an_empty_stand_in_starts_with_an_empty_jetstream(runner, monkeypatch, tmp_path):
    port = free_port()
    monkeypatch.setattr(runner, "NATS_PORT", port)
    logs = tmp_path / "logs"
    logs.mkdir()
    store = tmp_path / "store"
    (store / "jetstream").mkdir(parents=True)
    (store / "jetstream" / "old-events").write_text("order 1")
    platform = runner.Platform(logs)
    try:
        runner.start_nats(platform, find_nats_server(), store, 10, empty=True)
        assert not (store / "jetstream" / "old-events").exists()
    finally:
        platform.stop()
    assert runner.stand_in_database({}) is True
    assert runner.stand_in_database({"PORTAL_MONGO_URL": "mongodb://db"}) is False
    assert "started again, empty" in runner.survives(True)
    assert "with its data" in runner.survives(False)


async def test_a_restarted_service_forgets_its_events_and_reads_the_others_again(
    runner, nats_client, namespace
):
    from nats.js.api import ConsumerConfig
    from portal_kit.jetstream import StreamNames, ensure_service_streams

    js = nats_client.jetstream()
    prefix = namespace.event_prefix
    for service in ("people", "orders"):
        await ensure_service_streams(js, StreamNames(prefix, service))
        await js.publish(f"{prefix}.jm.{service}.thing.made", b"{}")
    people = StreamNames(prefix, "people").stream
    for durable in ("orders-organisations", "billing-organisations"):
        await js.add_consumer(people, ConsumerConfig(durable_name=durable))
    url = nats_client.connected_url.geturl()

    done = await asyncio.to_thread(
        runner.forget_events, url, ["orders"], consumers_of="orders", prefix=prefix
    )

    assert f"purged {StreamNames(prefix, 'orders').stream}" in done
    assert (await js.stream_info(StreamNames(prefix, "orders").stream)).state.messages == 0
    assert (await js.stream_info(people)).state.messages == 1  # others' events stay
    assert [c.name for c in await js.consumers_info(people)] == ["billing-organisations"]
