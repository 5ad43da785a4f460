"""The platform as the Kubernetes manifests configure it, run on this machine.

Every process of the production overlay starts with its Deployment's environment and the files
its volumes mount (the keys prepare.sh made, the supergraph), on the manifests' NATS cluster
(tests/nats_cluster.py). Only what one machine must change is changed: each Service name becomes
127.0.0.1 and a free port, the files live under a temporary directory, and MongoDB is
PORTAL_MONGO_URL when set, else the in-memory stand-in. Then each Deployment's startup, liveness
and readiness probes are asked as the kubelet would, and what the wiring promises is checked:
the gateway reaches every subgraph and plans over the mounted supergraph, people signs tokens
with the key of its Secret, and every stream has a replica on each of the three servers.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import nats
import pytest
from cryptography.hazmat.primitives import serialization
from kubernetes_manifests import (
    Documents,
    config_data,
    environment,
    mounted_file,
    named,
    prepare_overlay,
    python_processes,
    render,
)
from nats_cluster import SERVERS, Cluster
from portal_kit.jetstream import StreamNames
from portal_kit.testing.nats_server import free_port

SUBGRAPHS = ("people", "orders", "tickets", "billing")
TIMEOUT = 60.0


@dataclass
class Process:
    name: str
    port: int
    probes: dict[str, str]  # probe kind -> path, as the Deployment asks them
    popen: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5)


def local_environment(
    documents: Documents,
    workload: dict[str, Any],
    container: dict[str, Any],
    files: Path,
    ports: dict[str, int],
    nats_url: str,
) -> dict[str, str]:
    """The container's environment, moved to this machine."""
    env = environment(documents, container)
    for name, value in list(env.items()):
        if value.startswith("/"):  # a file the pod reads from a mounted volume
            mounted = mounted_file(documents, workload, container, value)
            assert mounted is not None, f"{name}: nothing is mounted at {value}"
            path = files / workload["metadata"]["name"] / value.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(mounted[1])
            env[name] = str(path)
        elif value.startswith("http://"):
            url = urlsplit(value)
            assert url.hostname in ports, f"{name}: {url.hostname} is none of the platform's"
            env[name] = urlunsplit(url._replace(netloc=f"127.0.0.1:{ports[url.hostname]}"))
    env["PORTAL_HTTP_HOST"] = "127.0.0.1"
    env["PORTAL_HTTP_PORT"] = str(ports[workload["metadata"]["name"]])
    if "PORTAL_NATS_URL" in env:
        env["PORTAL_NATS_URL"] = nats_url
    if "PORTAL_MONGO_URL" in env:
        if os.environ.get("PORTAL_MONGO_URL"):
            env["PORTAL_MONGO_URL"] = os.environ["PORTAL_MONGO_URL"]
        else:  # the tests' explicit switch to the stand-in
            del env["PORTAL_MONGO_URL"]
            env["PORTAL_MONGO_STAND_IN"] = "true"
    return env


def start(
    documents: Documents, name: str, work: Path, ports: dict[str, int], nats_url: str
) -> Process:
    workload, container = next(
        (w, c) for w, c in python_processes(documents) if w["metadata"]["name"] == name
    )
    env = local_environment(documents, workload, container, work / "files", ports, nats_url)
    log = work / f"{name}.log"
    module = container["image"].rsplit("/", 1)[-1].partition(":")[0].replace("-", "_")
    popen = subprocess.Popen(
        [sys.executable, "-m", module],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    probes = {
        kind: container[kind]["httpGet"]["path"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    return Process(name, ports[name], probes, popen, log)


def until_probe_passes(process: Process, kind: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited: {process.log.read_text()[-3000:]}")
        try:
            if process.get(process.probes[kind]).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{process.name}: {kind} failing: {process.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Documents:
    return render(prepare_overlay(tmp_path_factory.mktemp("kubernetes")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster(tmp_path_factory.mktemp("nats-cluster")) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def platform(
    documents: Documents, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Process]]:
    work = tmp_path_factory.mktemp("platform")
    ports = {name: free_port() for name in (*SUBGRAPHS, "gateway")}
    processes: dict[str, Process] = {}
    try:
        # Each process on another server of the cluster, as pods on different nodes might be.
        for index, name in enumerate(SUBGRAPHS):
            processes[name] = start(documents, name, work, ports, cluster.url(index % SERVERS))
        for name in SUBGRAPHS:
            until_probe_passes(processes[name], "startupProbe")
        processes["gateway"] = start(documents, "gateway", work, ports, cluster.url(1))
        until_probe_passes(processes["gateway"], "startupProbe")
        yield processes
    finally:
        for process in processes.values():
            process.popen.terminate()
        for process in processes.values():
            try:
                process.popen.wait(30)
            except subprocess.TimeoutExpired:
                process.popen.kill()


def test_every_process_passes_its_probes(platform: dict[str, Process]) -> None:
    for process in platform.values():
        until_probe_passes(process, "readinessProbe")
        assert process.get(process.probes["livenessProbe"]).status_code == 200
        assert process.probes["readinessProbe"] == "/readyz"
    readiness = platform["gateway"].get("/readyz").json()
    assert readiness["checks"] == dict.fromkeys(sorted(SUBGRAPHS), True)


def test_the_gateway_plans_over_the_mounted_supergraph(platform: dict[str, Process]) -> None:
    until_probe_passes(platform["gateway"], "readinessProbe")

    def ask(query: str) -> dict[str, Any]:
        response = httpx.post(
            f"http://127.0.0.1:{platform['gateway'].port}/graphql",
            json={"query": query},
            headers={"X-Portal-Tenant": "jm"},
            timeout=10,
        )
        answer: dict[str, Any] = response.json()
        return answer

    # People's anonymous field, planned from the supergraph and fetched from people.
    answered = ask("{ passwordPolicy { minLength } }")
    assert "passwordPolicy" in answered["data"], answered
    unknown = ask("{ passwordPolicy { minLength } noSuchField }")
    assert "noSuchField" in unknown["errors"][0]["message"], unknown


def test_people_signs_tokens_with_the_key_of_its_secret(
    platform: dict[str, Process], documents: Documents
) -> None:
    pem = config_data(documents, "Secret", "portal-people-token-key")["principal.key"]
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    published = platform["people"].get("/.well-known/jwks.json").json()["keys"]
    wanted = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert [k["x"] for k in published] == [wanted]


async def test_the_services_streams_have_three_replicas(
    platform: dict[str, Process], cluster: Cluster, documents: Documents
) -> None:
    replicas = config_data(documents, "ConfigMap", "portal-service-settings")
    assert replicas["PORTAL_STREAM_REPLICAS"] == "3"
    assert named(documents, "StatefulSet", "nats")["spec"]["replicas"] == 3

    found: dict[str, tuple[int, set[str]]] = {}
    client = await nats.connect(cluster.url(2))
    try:
        js = client.jetstream()
        for service in SUBGRAPHS:
            names = StreamNames("portal", service)
            for stream in (names.stream, names.dead_letter_stream):
                info = await js.stream_info(stream)
                assert info.cluster is not None
                peers = {info.cluster.leader, *(p.name for p in info.cluster.replicas or [])}
                found[stream] = (info.config.num_replicas, peers)
    finally:
        await client.drain()
    assert len(found) == 2 * len(SUBGRAPHS)
    assert all(value == (3, {"nats-0", "nats-1", "nats-2"}) for value in found.values()), found
