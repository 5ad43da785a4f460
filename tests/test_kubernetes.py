"""Checks of the Kubernetes manifests in deploy/kubernetes without a cluster.

The production overlay is prepared as an operator would (`prepare.sh` writes keys and copies the
supergraph) in a temporary copy, rendered, and every object is validated against the Kubernetes
1.32 schemas in strict mode (kubernetes-validate: an unknown or misspelt field fails). Then what
a reviewer would check: probes on the port the process listens on, resources, a disruption budget
and an autoscaler per Deployment, Services that select pods, settings that the processes really
read (built with the settings classes), keys mounted where the settings say and only to their
holders, MongoDB and NATS wired as three-member clusters with three stream replicas.

Each check returns its problems, so the last tests can show a broken manifest is caught.
"""

from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes_validate
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kubernetes_manifests import (
    DOCKERFILE,
    KUBERNETES,
    KUBERNETES_VERSION,
    NAMESPACE,
    ROOT,
    SETTINGS,
    WORKLOADS,
    Documents,
    config_data,
    environment,
    image_name,
    label,
    load,
    mounted_file,
    named,
    nats_conf,
    objects,
    pod_labels,
    pod_spec,
    prepare_overlay,
    python_processes,
    render,
    selects,
    settings_names,
)
from portal_gateway.settings import GatewaySettings
from portal_people.settings import PeopleSettings


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_overlay(tmp_path_factory.mktemp("kubernetes"))


@pytest.fixture(scope="module")
def documents(overlay: Path) -> Documents:
    return render(overlay)


# ------------------------------------------------------------------------------ checks


def schema_problems(documents: Documents) -> list[str]:
    problems = []
    for document in documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.absolute_path)
            problems.append(f"{label(document)}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{label(document)}: no schema for {document['apiVersion']}")
    return problems


def probe_problems(documents: Documents) -> list[str]:
    """Liveness on /healthz, readiness on /readyz, a startup probe, all on the port the
    process listens on (PORTAL_HTTP_PORT, the container port); requests and limits."""
    problems = []
    for workload, container in python_processes(documents):
        where = f"{label(workload)} {container['name']}"
        port = environment(documents, container).get("PORTAL_HTTP_PORT")
        container_ports = {p["containerPort"] for p in container.get("ports", [])}
        if port is None or int(port) not in container_ports:
            problems.append(f"{where}: PORTAL_HTTP_PORT {port} is not a container port")
        for probe, path in (
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
            ("startupProbe", None),
        ):
            http = container.get(probe, {}).get("httpGet")
            if http is None:
                problems.append(f"{where}: no HTTP {probe}")
                continue
            if path is not None and http.get("path") != path:
                problems.append(f"{where}: {probe} asks {http.get('path')}, not {path}")
            if port is None or str(http.get("port")) != port:
                problems.append(f"{where}: {probe} on port {http.get('port')}, serving {port}")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    problems.append(f"{where}: no {resource} {kind}")
    for workload in objects(documents, "StatefulSet"):
        for container in pod_spec(workload)["containers"]:
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe not in container:
                    problems.append(f"{label(workload)} {container['name']}: no {probe}")
            if "memory" not in container.get("resources", {}).get("limits", {}):
                problems.append(f"{label(workload)} {container['name']}: no memory limit")
    return problems


def budget_problems(documents: Documents) -> list[str]:
    """Every Deployment and StatefulSet has a PodDisruptionBudget selecting its pods and no
    others; every Deployment an autoscaler that keeps two replicas, and CPU requests to scale on."""
    problems = []
    workloads = objects(documents, "Deployment") + objects(documents, "StatefulSet")
    for workload in workloads:
        labels = pod_labels(workload)
        selector = workload["spec"]["selector"]["matchLabels"]
        if not selects(selector, labels):
            problems.append(f"{label(workload)}: its selector does not match its pod labels")
        budgets = [
            b
            for b in objects(documents, "PodDisruptionBudget")
            if selects(b["spec"]["selector"]["matchLabels"], labels)
        ]
        if len(budgets) != 1:
            problems.append(f"{label(workload)}: {len(budgets)} PodDisruptionBudgets")
        for budget in budgets:
            others = [
                label(w)
                for w in workloads
                if w is not workload
                and selects(budget["spec"]["selector"]["matchLabels"], pod_labels(w))
            ]
            if others:
                problems.append(f"{label(budget)} also selects {others}")
    for deployment in objects(documents, "Deployment"):
        name = deployment["metadata"]["name"]
        scalers = [
            h
            for h in objects(documents, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]
            == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        if len(scalers) != 1:
            problems.append(f"{label(deployment)}: {len(scalers)} HorizontalPodAutoscalers")
            continue
        if scalers[0]["spec"].get("minReplicas", 1) < 2:
            problems.append(f"{label(deployment)}: the autoscaler may leave a single replica")
        for container in pod_spec(deployment)["containers"]:
            if "cpu" not in container.get("resources", {}).get("requests", {}):
                problems.append(f"{label(deployment)}: CPU utilisation needs a CPU request")
    return problems


def service_problems(documents: Documents) -> list[str]:
    """Every Service selects the pods of a workload and forwards to ports they open."""
    problems = []
    for service in objects(documents, "Service"):
        selector = service["spec"].get("selector", {})
        targets = [
            w
            for w in documents
            if w["kind"] in {"Deployment", "StatefulSet"} and selects(selector, pod_labels(w))
        ]
        if not targets:
            problems.append(f"{label(service)}: selects no pods")
            continue
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            opened = [
                p
                for w in targets
                for c in pod_spec(w)["containers"]
                for p in c.get("ports", [])
                if target in (p["containerPort"], p.get("name"))
            ]
            if not opened:
                problems.append(f"{label(service)}: no selected pod opens port {target}")
    for statefulset in objects(documents, "StatefulSet"):
        governing = named(documents, "Service", statefulset["spec"]["serviceName"])
        if governing["spec"].get("clusterIP") != "None":
            problems.append(f"{label(statefulset)}: its serviceName is not a headless Service")
    return problems


def settings_problems(documents: Documents) -> list[str]:
    """Every PORTAL_* variable a process gets is a setting it reads, the values pass its
    settings validation, and every file setting points at a mounted Secret or ConfigMap key."""
    problems = []
    for workload, container in python_processes(documents):
        where = f"{label(workload)} {container['name']}"
        settings_class = SETTINGS[image_name(container)]
        env = environment(documents, container)
        unknown = sorted(
            n for n in env if n.startswith("PORTAL_") and n not in settings_names(settings_class)
        )
        if unknown:
            problems.append(f"{where}: {settings_class.__name__} reads no {unknown}")
        try:
            settings = load(settings_class, env)
        except ValueError as error:
            problems.append(f"{where}: invalid settings: {error}")
            continue
        for field, value in settings.model_dump().items():
            paths = value if isinstance(value, list) else [value]
            for path in paths:
                if (
                    isinstance(path, Path)
                    and mounted_file(documents, workload, container, str(path)) is None
                ):
                    problems.append(f"{where}: PORTAL_{field.upper()} {path} is no mounted file")
    return problems


def wiring_problems(documents: Documents) -> list[str]:
    """URLs name Services and ports that exist; MongoDB and NATS are three-member clusters and
    the streams are replicated on three servers."""
    problems = []
    services = {s["metadata"]["name"]: s for s in objects(documents, "Service")}
    mongo = named(documents, "StatefulSet", "mongo")
    nats = named(documents, "StatefulSet", "nats")
    mongo_hosts = {
        f"mongo-{i}.{mongo['spec']['serviceName']}:27017" for i in range(mongo["spec"]["replicas"])
    }
    replica_set = pod_spec(mongo)["containers"][0]["command"]
    set_name = replica_set[replica_set.index("--replSet") + 1]
    init = environment(
        documents, pod_spec(named(documents, "Job", "mongo-replica-set"))["containers"][0]
    )
    if set(init["MONGO_REPLICA_SET_MEMBERS"].split(",")) != mongo_hosts:
        problems.append(f"the replica set Job initiates {init['MONGO_REPLICA_SET_MEMBERS']}")
    if init["MONGO_REPLICA_SET_NAME"] != set_name:
        problems.append(
            f"the Job initiates {init['MONGO_REPLICA_SET_NAME']}, mongod runs {set_name}"
        )
    if mongo["spec"]["replicas"] != 3 or nats["spec"]["replicas"] != 3:
        problems.append("MongoDB and NATS are meant to run three members each")
    for workload, container in python_processes(documents):
        where = f"{label(workload)} {container['name']}"
        env = environment(documents, container)
        for name, value in env.items():
            if not name.endswith("_URL") or name == "PORTAL_PUBLIC_URL":
                continue
            url = urlsplit(value)
            if url.scheme == "mongodb":
                hosts = set(url.netloc.split(","))
                if hosts != mongo_hosts:
                    problems.append(f"{where}: {name} names {sorted(hosts)}, not every member")
                if parse_qs(url.query).get("replicaSet") != [set_name]:
                    problems.append(f"{where}: {name} does not name the replica set {set_name}")
                continue
            service = services.get(url.hostname or "")
            if service is None:
                problems.append(f"{where}: {name} names no Service ({url.hostname})")
            elif url.port not in {p["port"] for p in service["spec"]["ports"]}:
                problems.append(f"{where}: {name} port {url.port} is not a port of the Service")
        if settings_names(SETTINGS[image_name(container)]) >= {"PORTAL_STREAM_REPLICAS"}:
            replicas = int(env.get("PORTAL_STREAM_REPLICAS", "1"))
            if replicas != 3 or replicas > nats["spec"]["replicas"]:
                problems.append(f"{where}: streams with {replicas} replicas on a 3-server cluster")
    config = nats_conf(documents)
    routes = set(re.findall(r"nats://([a-z0-9.-]+:\d+)", config.partition("cluster")[2]))
    wanted = {
        f"nats-{i}.{nats['spec']['serviceName']}:6222" for i in range(nats["spec"]["replicas"])
    }
    if routes != wanted:
        problems.append(
            f"nats.conf routes {sorted(routes)}, not the three servers {sorted(wanted)}"
        )
    if not re.search(r"^server_name: \$POD_NAME$", config, re.MULTILINE):
        problems.append("nats.conf: each server needs its own name (server_name: $POD_NAME)")
    store = re.search(r"store_dir: (\S+)", config)
    if store is None or store.group(1) not in claimed_mounts(nats):
        problems.append(f"JetStream's store {store and store.group(1)} is not on a volume claim")
    pod_name = next(
        (e for e in pod_spec(nats)["containers"][0].get("env", []) if e["name"] == "POD_NAME"), {}
    )
    if pod_name.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        problems.append("nats: POD_NAME (its server name) is not the pod's name")
    dbpath = replica_set[replica_set.index("--dbpath") + 1] if "--dbpath" in replica_set else None
    if dbpath not in claimed_mounts(mongo):
        problems.append(f"mongod's --dbpath {dbpath} is not on a volume claim")
    return problems


def claimed_mounts(statefulset: Mapping[str, Any]) -> set[str]:
    """Where the first container mounts the StatefulSet's persistent volume claims."""
    claims = {c["metadata"]["name"] for c in statefulset["spec"].get("volumeClaimTemplates", [])}
    return {
        m["mountPath"]
        for m in pod_spec(statefulset)["containers"][0].get("volumeMounts", [])
        if m["name"] in claims
    }


def reference_problems(documents: Documents) -> list[str]:
    """Every Secret and ConfigMap a pod mounts or reads exists (a pod naming a missing one never
    starts); the Ingress's certificate is the operator's (deploy/README.md)."""
    problems = []
    existing = {(d["kind"], d["metadata"]["name"]) for d in documents}
    for workload in documents:
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        wanted = set()
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                wanted.add(("Secret", volume["secret"]["secretName"]))
            if "configMap" in volume:
                wanted.add(("ConfigMap", volume["configMap"]["name"]))
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    wanted.add(("Secret", source["secretRef"]["name"]))
                if "configMapRef" in source:
                    wanted.add(("ConfigMap", source["configMapRef"]["name"]))
            for variable in container.get("env", []):
                for kind, ref in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    if ref in variable.get("valueFrom", {}):
                        wanted.add((kind, variable["valueFrom"][ref]["name"]))
        problems += [f"{label(workload)} needs {k}/{n}" for k, n in sorted(wanted - existing)]
    return problems


def key_problems(documents: Documents) -> list[str]:
    """Each key reaches only its holder, and the subgraphs' public key is the gateway's."""
    problems = []
    holders = {
        "portal-principal-private-key": {"gateway"},
        "portal-people-token-key": {"people"},
        "portal-people-secrets": {"people"},
    }
    for workload in documents:
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        used = {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
        used |= {
            s["secretRef"]["name"]
            for c in spec["containers"]
            for s in c.get("envFrom", [])
            if "secretRef" in s
        }
        for secret, allowed in holders.items():
            if secret in used and workload["metadata"]["name"] not in allowed:
                problems.append(f"{label(workload)} gets {secret}, which only {allowed} may hold")
    private = config_data(documents, "Secret", "portal-principal-private-key")["principal.key"]
    public = config_data(documents, "Secret", "portal-principal-public-key")["principal.pub"]
    key = serialization.load_pem_private_key(private.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        problems.append("the principal key is not an Ed25519 key")
    elif (
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        != public.encode()
    ):
        problems.append("the subgraphs' public key is not the gateway's key's public half")
    return problems


@cache
def dockerfile_uid() -> int:
    found = re.search(r"useradd [^\n]*--uid (\d+)", DOCKERFILE.read_text())
    assert found, "deploy/Dockerfile creates no user with --uid"
    return int(found.group(1))


def security_problems(documents: Documents) -> list[str]:
    """The "restricted" Pod Security Standard the namespace enforces, a read-only root file
    system, no service account token, the Dockerfile's user for the platform's processes."""
    problems = []
    for workload in documents:
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        pod = spec.get("securityContext", {})
        if pod.get("runAsNonRoot") is not True:
            problems.append(f"{label(workload)}: may run as root")
        if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{label(workload)}: no RuntimeDefault seccomp profile")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{label(workload)}: mounts a service account token it never uses")
        for container in spec["containers"]:
            where = f"{label(workload)} {container['name']}"
            context = container.get("securityContext", {})
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: may escalate privileges")
            if context.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: keeps capabilities")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: writable root file system")
            if image_name(container) in SETTINGS and pod.get("runAsUser") != dockerfile_uid():
                problems.append(f"{where}: runs as {pod.get('runAsUser')}, not {dockerfile_uid()}")
    namespace = named(documents, "Namespace", NAMESPACE)
    if namespace["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") != "restricted":
        problems.append("the namespace does not enforce the restricted Pod Security Standard")
    return problems


def network_problems(documents: Documents) -> list[str]:
    """Ingress is denied by default; only the gateway is let in from outside the namespace."""
    problems = []
    policies = objects(documents, "NetworkPolicy")
    if not any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies):
        problems.append("no default-deny ingress policy")
    gateway_labels = pod_labels(named(documents, "Deployment", "gateway"))
    for policy in policies:
        outside = any(
            "namespaceSelector" in peer or "ipBlock" in peer
            for rule in policy["spec"].get("ingress", [])
            for peer in rule.get("from", [])
        )
        if outside and not selects(
            policy["spec"]["podSelector"].get("matchLabels", {}), gateway_labels
        ):
            problems.append(
                f"{label(policy)} lets traffic from outside reach a pod other than the gateway"
            )
    ingresses = objects(documents, "Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    if backends != {"gateway"}:
        problems.append(f"the Ingress leads to {sorted(backends)}, not only the gateway")
    return problems


CHECKS: dict[str, Callable[[Documents], list[str]]] = {
    "schema": schema_problems,
    "probes": probe_problems,
    "budgets": budget_problems,
    "services": service_problems,
    "settings": settings_problems,
    "wiring": wiring_problems,
    "keys": key_problems,
    "references": reference_problems,
    "security": security_problems,
    "network": network_problems,
}


# ------------------------------------------------------------------------------ tests


def test_the_overlay_renders_the_whole_platform(documents: Documents) -> None:
    deployments = {d["metadata"]["name"] for d in objects(documents, "Deployment")}
    assert deployments == {"gateway", "people", "orders", "tickets", "billing"}
    assert {d["metadata"]["name"] for d in objects(documents, "StatefulSet")} == {"mongo", "nats"}
    assert {d["metadata"]["namespace"] for d in documents if d["kind"] != "Namespace"} == {
        NAMESPACE
    }


@pytest.mark.parametrize("check", list(CHECKS))
def test_manifests(documents: Documents, check: str) -> None:
    assert CHECKS[check](documents) == []


def test_the_base_alone_validates() -> None:
    # The base without the overlay's secrets: what `kubectl apply -k base` would be refused for.
    assert schema_problems(render(KUBERNETES / "base")) == []


def test_settings_reach_the_processes(documents: Documents) -> None:
    """What the processes will actually run with, read through their settings classes."""
    by_name = {w["metadata"]["name"]: (w, c) for w, c in python_processes(documents)}
    gateway = load(GatewaySettings, environment(documents, by_name["gateway"][1]))
    assert isinstance(gateway, GatewaySettings)
    assert gateway.http_port == 4000 and gateway.http_host == "0.0.0.0"
    assert gateway.subgraph_urls()["billing"] == "http://billing:4004/graphql"
    supergraph = mounted_file(documents, *by_name["gateway"], str(gateway.supergraph_file))
    assert supergraph == ("portal-supergraph", (ROOT / "deploy" / "supergraph.graphql").read_text())
    people = load(PeopleSettings, environment(documents, by_name["people"][1]))
    assert isinstance(people, PeopleSettings)
    assert people.national_id_key and len(base64.urlsafe_b64decode(people.national_id_key)) == 32
    assert people.smtp_password is None  # prepare.sh leaves it commented out
    for name in ("people", "orders", "tickets", "billing"):
        settings = load(SETTINGS[f"portal-{name}"], environment(documents, by_name[name][1]))
        assert settings.model_dump()["stream_replicas"] == 3
        assert settings.model_dump()["mongo_database"] == f"portal_{name}"
        assert not settings.model_dump()["dev_mode"]


@pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl (its kustomize) is not installed here"
)
def test_the_renderer_agrees_with_kustomize(overlay: Path, documents: Documents) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], check=True, capture_output=True, timeout=120
    ).stdout

    def key(document: Mapping[str, Any]) -> tuple[str, str, str]:
        meta = document["metadata"]
        return document["kind"], meta.get("namespace", ""), meta["name"]

    def decoded(document: dict[str, Any]) -> dict[str, Any]:
        # kustomize wraps long base64 values over lines: compare what they encode.
        if document["kind"] == "Secret":
            data = {k: base64.b64decode(v) for k, v in document.get("data", {}).items()}
            return {**document, "data": data}
        return document

    theirs = sorted((decoded(d) for d in yaml.safe_load_all(built)), key=key)
    assert theirs == sorted((decoded(d) for d in documents), key=key)


def nats_server_verdict(config_text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """What `nats-server -t` (check the configuration, then exit) says of it."""
    binary = shutil.which("nats-server")
    assert binary, "nats-server is needed by every NATS test"
    config = directory / "nats.conf"
    config.write_text(config_text)
    return subprocess.run(
        [binary, "-t", "-c", str(config)],
        env={**os.environ, "POD_NAME": "nats-0"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_nats_server_accepts_the_configuration(documents: Documents, tmp_path: Path) -> None:
    verdict = nats_server_verdict(nats_conf(documents), tmp_path)
    assert verdict.returncode == 0, verdict.stderr


def test_nats_server_refuses_a_misspelt_setting(documents: Documents, tmp_path: Path) -> None:
    broken = nats_conf(documents).replace("max_file_store", "max_files_store")
    verdict = nats_server_verdict(broken, tmp_path)
    assert verdict.returncode != 0 and "max_files_store" in verdict.stderr


def test_the_replica_set_script_parses(documents: Documents, tmp_path: Path) -> None:
    # mongosh runs it; node parses the same JavaScript (its globals rs, db ... exist only there).
    node = shutil.which("node")
    assert node, "node is part of the environment (make env: npm ci)"
    script = tmp_path / "replica-set.js"
    script.write_text(config_data(documents, "ConfigMap", "mongo-replica-set")["replica-set.js"])
    result = subprocess.run(
        [node, "--check", str(script)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    script.write_text(script.read_text().replace("hosts.map(", "hosts.map(("))
    broken = subprocess.run([node, "--check", str(script)], capture_output=True, timeout=30)
    assert broken.returncode != 0


# A broken manifest is caught: each breakage below is one a reviewer might miss.


def _container(documents: Documents, name: str) -> dict[str, Any]:
    container: dict[str, Any] = pod_spec(named(documents, "Deployment", name))["containers"][0]
    return container


def _env(documents: Documents, deployment: str, name: str) -> dict[str, Any]:
    return next(e for e in _container(documents, deployment)["env"] if e["name"] == name)


BREAKAGES: dict[str, tuple[str, Callable[[Documents], None]]] = {
    "misspelt field": (
        "schema",
        lambda d: _container(d, "orders").update(readinesProbe={}),
    ),
    "readiness on /healthz": (
        "probes",
        lambda d: _container(d, "tickets")["readinessProbe"]["httpGet"].update(path="/healthz"),
    ),
    "probe on another port": (
        "probes",
        lambda d: _container(d, "billing")["livenessProbe"]["httpGet"].update(port=4001),
    ),
    "no memory limit": (
        "probes",
        lambda d: _container(d, "people")["resources"]["limits"].pop("memory"),
    ),
    "budget selects nothing": (
        "budgets",
        lambda d: named(d, "PodDisruptionBudget", "orders")["spec"]["selector"][
            "matchLabels"
        ].update({"app.kubernetes.io/name": "order"}),
    ),
    "autoscaler targets another name": (
        "budgets",
        lambda d: named(d, "HorizontalPodAutoscaler", "gateway")["spec"]["scaleTargetRef"].update(
            name="gateways"
        ),
    ),
    "service selects no pods": (
        "services",
        lambda d: named(d, "Service", "tickets")["spec"]["selector"].update(
            {"app.kubernetes.io/name": "ticket"}
        ),
    ),
    "a setting nobody reads": (
        "settings",
        lambda d: _env(d, "orders", "PORTAL_MONGO_DATABASE").update(name="PORTAL_MONGO_DB"),
    ),
    "a setting of another process": (
        "settings",
        lambda d: _container(d, "gateway")["env"].append(
            {"name": "PORTAL_STREAM_REPLICAS", "value": "3"}
        ),
    ),
    "an invalid value": (
        "settings",
        lambda d: _env(d, "people", "PORTAL_SMTP_PORT").update(value="smtp"),
    ),
    "key file not mounted": (
        "settings",
        lambda d: _env(d, "billing", "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE").update(
            value="/keys/principal.pub"
        ),
    ),
    "subgraph URL to no Service": (
        "wiring",
        lambda d: _env(d, "gateway", "PORTAL_TICKETS_URL").update(
            value="http://ticket:4003/graphql"
        ),
    ),
    "single-replica streams": (
        "wiring",
        lambda d: named(d, "ConfigMap", "portal-service-settings")["data"].update(
            PORTAL_STREAM_REPLICAS="1"
        ),
    ),
    "a route to a server that is not there": (
        "wiring",
        lambda d: named(d, "ConfigMap", "nats-config")["data"].update(
            {"nats.conf": nats_conf(d).replace("nats-2.nats-headless", "nats-3.nats-headless")}
        ),
    ),
    "a Secret nobody generates": (
        "references",
        lambda d: pod_spec(named(d, "Deployment", "tickets"))["volumes"][0]["secret"].update(
            secretName="portal-principal-pub-key"
        ),
    ),
    "MongoDB's data on the pod's own disk": (
        "wiring",
        lambda d: named(d, "StatefulSet", "mongo")["spec"].pop("volumeClaimTemplates"),
    ),
    "private key to a subgraph": (
        "keys",
        lambda d: pod_spec(named(d, "Deployment", "orders"))["volumes"].append(
            {"name": "extra", "secret": {"secretName": "portal-principal-private-key"}}
        ),
    ),
    "root file system writable": (
        "security",
        lambda d: _container(d, "gateway")["securityContext"].update(readOnlyRootFilesystem=False),
    ),
    "another user than the image's": (
        "security",
        lambda d: pod_spec(named(d, "Deployment", "people"))["securityContext"].update(
            runAsUser=1000
        ),
    ),
    "a subgraph open to other namespaces": (
        "network",
        lambda d: named(d, "NetworkPolicy", "subgraphs-from-gateway")["spec"]["ingress"][0][
            "from"
        ].append({"namespaceSelector": {}}),
    ),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_manifest_is_caught(documents: Documents, breakage: str) -> None:
    check, breaking = BREAKAGES[breakage]
    broken = copy.deepcopy(documents)
    breaking(broken)
    assert CHECKS[check](broken) != []
