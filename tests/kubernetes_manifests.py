"""The Kubernetes manifests of deploy/kubernetes as the tests read them: the production overlay
prepared as an operator would, rendered like `kubectl kustomize` for the features the manifests
use, and what a pod of it gets (environment, mounted files, settings)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from portal_billing.settings import BillingSettings
from portal_gateway.settings import GatewaySettings
from portal_orders.settings import OrdersSettings
from portal_people.settings import PeopleSettings
from portal_tickets.settings import TicketsSettings
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
KUBERNETES_VERSION = "1.32"
NAMESPACE = "portal"

# The processes built from deploy/Dockerfile, by image name, and the settings each one reads.
SETTINGS: dict[str, type[BaseSettings]] = {
    "portal-gateway": GatewaySettings,
    "portal-people": PeopleSettings,
    "portal-orders": OrdersSettings,
    "portal-tickets": TicketsSettings,
    "portal-billing": BillingSettings,
}
# What a Kustomization may say for the renderer below; anything else is refused, not ignored.
KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "images",
    "generatorOptions",
    "secretGenerator",
    "configMapGenerator",
}
CLUSTER_SCOPED = {"Namespace"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}

Documents = list[dict[str, Any]]


# ------------------------------------------------------------------------------ rendering


def render(directory: Path) -> Documents:
    """The objects `kubectl kustomize directory` builds, for the features these manifests use
    (resources, namespace, images, generators without name hashes)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    if unknown:
        raise ValueError(f"{directory}: the test's renderer does not implement {sorted(unknown)}")
    if not kustomization.get("generatorOptions", {}).get("disableNameSuffixHash", False) and (
        kustomization.get("secretGenerator") or kustomization.get("configMapGenerator")
    ):
        raise ValueError(f"{directory}: generated names with hashes are not implemented")
    documents: Documents = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            documents.extend(render(path))
        else:
            documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d is not None)
    for generator in kustomization.get("secretGenerator", []):
        data = {k: base64.b64encode(v).decode() for k, v in _generated(directory, generator)}
        documents.append(_object("v1", "Secret", generator["name"], data=data, type="Opaque"))
    for generator in kustomization.get("configMapGenerator", []):
        data = {k: v.decode() for k, v in _generated(directory, generator)}
        documents.append(_object("v1", "ConfigMap", generator["name"], data=data))
    if "namespace" in kustomization:
        for document in documents:
            if document["kind"] not in CLUSTER_SCOPED:
                document["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for container in all_containers(documents):
            name, _, _ = container["image"].partition(":")
            if name == image["name"]:
                new_name = image.get("newName", name)
                container["image"] = (
                    f"{new_name}:{image['newTag']}" if "newTag" in image else new_name
                )
    return documents


def _object(api_version: str, kind: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, **fields}


def _generated(directory: Path, generator: Mapping[str, Any]) -> Iterator[tuple[str, bytes]]:
    for entry in generator.get("files", []):
        key, _, path = entry.rpartition("=")
        yield key or Path(path).name, (directory / path).read_bytes()
    for entry in generator.get("envs", []):
        for line in (directory / entry).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                yield key.strip(), value.encode()
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        yield key, value.encode()


def prepare_overlay(directory: Path) -> Path:
    """A copy of deploy/kubernetes in `directory` with the production overlay prepared as an
    operator would (prepare.sh: keys, people's secrets, the supergraph); its path."""
    shutil.copytree(KUBERNETES, directory / "deploy" / "kubernetes")
    shutil.copy(ROOT / "deploy" / "supergraph.graphql", directory / "deploy")
    production = directory / "deploy" / "kubernetes" / "production"
    subprocess.run(
        ["sh", str(production / "prepare.sh")],
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=60,
    )
    return production


# ------------------------------------------------------------------------------ reading


def objects(documents: Documents, kind: str) -> Documents:
    return [d for d in documents if d["kind"] == kind]


def named(documents: Documents, kind: str, name: str) -> dict[str, Any]:
    found = [d for d in objects(documents, kind) if d["metadata"]["name"] == name]
    if len(found) != 1:
        raise LookupError(f"{len(found)} {kind} objects named {name}")
    return found[0]


def label(document: Mapping[str, Any]) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


def pod_spec(workload: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
    return labels


def all_containers(documents: Documents) -> Iterator[dict[str, Any]]:
    for workload in documents:
        if workload["kind"] in WORKLOADS:
            spec = pod_spec(workload)
            yield from spec.get("initContainers", [])
            yield from spec["containers"]


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def image_name(container: Mapping[str, Any]) -> str:
    return str(container["image"]).rsplit("/", 1)[-1].partition(":")[0]


def config_data(documents: Documents, kind: str, name: str) -> dict[str, str]:
    data: dict[str, str] = named(documents, kind, name).get("data", {})
    if kind == "Secret":
        return {k: base64.b64decode(v).decode() for k, v in data.items()}
    return data


def environment(documents: Documents, container: Mapping[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom, then env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_data(documents, "ConfigMap", source["configMapRef"]["name"]))
        if "secretRef" in source:
            env.update(config_data(documents, "Secret", source["secretRef"]["name"]))
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "secretKeyRef" in variable.get("valueFrom", {}):
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = config_data(documents, "Secret", ref["name"])[ref["key"]]
        elif "configMapKeyRef" in variable.get("valueFrom", {}):
            ref = variable["valueFrom"]["configMapKeyRef"]
            env[variable["name"]] = config_data(documents, "ConfigMap", ref["name"])[ref["key"]]
    return env


def python_processes(documents: Documents) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, container) of every process built from deploy/Dockerfile."""
    for workload in documents:
        if workload["kind"] in WORKLOADS:
            for container in pod_spec(workload)["containers"]:
                if image_name(container) in SETTINGS:
                    yield workload, container


def mounted_file(
    documents: Documents, workload: Mapping[str, Any], container: Mapping[str, Any], path: str
) -> tuple[str, str] | None:
    """(Secret or ConfigMap name, content) that `path` reads inside the container, if any."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        directory = mount["mountPath"].rstrip("/")
        if not path.startswith(directory + "/"):
            continue
        relative = path[len(directory) + 1 :]
        volume = volumes[mount["name"]]
        for kind, source in (("Secret", "secret"), ("ConfigMap", "configMap")):
            if source not in volume:
                continue
            name = volume[source].get("secretName") or volume[source].get("name")
            data = config_data(documents, kind, name)
            items = volume[source].get("items")
            paths = {i["path"]: i["key"] for i in items} if items else {k: k for k in data}
            if relative in paths and paths[relative] in data:
                return name, data[paths[relative]]
    return None


def settings_names(settings_class: type[BaseSettings]) -> set[str]:
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    return {(prefix + field).upper() for field in settings_class.model_fields}


def load(settings_class: type[BaseSettings], env: Mapping[str, str]) -> BaseSettings:
    """The settings the process would read from exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        return settings_class()


def nats_conf(documents: Documents) -> str:
    return config_data(documents, "ConfigMap", "nats-config")["nats.conf"]
