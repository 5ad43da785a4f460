"""The manifests' NATS cluster on this machine: three nats-servers with the configuration of the
`nats-config` ConfigMap (deploy/kubernetes/base/nats.yaml), its ports, paths and route host names
moved to 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from portal_kit.testing.nats_server import find_nats_server, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "deploy" / "kubernetes" / "base"
SERVERS = 3


def configmap(path: Path, name: str) -> dict[str, str]:
    for document in yaml.safe_load_all(path.read_text()):
        if document["kind"] == "ConfigMap" and document["metadata"]["name"] == name:
            data: dict[str, str] = document["data"]
            return data
    raise LookupError(f"no ConfigMap {name} in {path}")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"nats.conf should say {old!r} once"
    return text.replace(old, new)


class Cluster:
    """The manifests' three NATS servers on 127.0.0.1."""

    def __init__(self, directory: Path) -> None:
        binary = find_nats_server()
        assert binary, "nats-server is needed by every NATS test"
        template = configmap(BASE / "nats.yaml", "nats-config")["nats.conf"]
        self.client_ports = [free_port() for _ in range(SERVERS)]
        routes = [free_port() for _ in range(SERVERS)]
        self.processes: list[subprocess.Popen[bytes]] = []
        for index in range(SERVERS):
            store = directory / f"nats-{index}"
            store.mkdir()
            config = template
            for other in range(SERVERS):
                config = replace_once(
                    config,
                    f"nats://nats-{other}.nats-headless:6222",
                    f"nats://127.0.0.1:{routes[other]}",
                )
            config = replace_once(config, "port: 4222", f"port: {self.client_ports[index]}")
            config = replace_once(config, "http_port: 8222", f"http_port: {free_port()}")
            config = replace_once(config, "store_dir: /data", f"store_dir: {store}")
            config = replace_once(config, "/var/run/nats/nats.pid", f"{store}/nats.pid")
            config = replace_once(
                config, "  port: 6222", f"  host: 127.0.0.1\n  port: {routes[index]}"
            )
            path = directory / f"nats-{index}.conf"
            path.write_text(config)
            self.processes.append(
                subprocess.Popen(
                    [binary, "-a", "127.0.0.1", "-c", str(path)],
                    # As the StatefulSet's POD_NAME: the server's name.
                    env={"POD_NAME": f"nats-{index}"},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        try:
            for port in self.client_ports:
                wait_for_port(port)
        except RuntimeError:
            self.close()  # no server left running by a cluster that did not come up
            raise

    def url(self, index: int) -> str:
        return f"nats://127.0.0.1:{self.client_ports[index]}"

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(20)
