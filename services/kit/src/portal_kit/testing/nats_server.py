"""A real nats-server with JetStream for tests: from PATH, or PORTAL_NATS_URL, or a container."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class NatsServer:
    """A nats-server process this test session owns; it can be stopped and started again on the
    same port and store, to simulate an outage."""

    def __init__(self, binary: str, *, config_file: Path | None = None) -> None:
        self.binary = binary
        # A configuration to start with (authorization, say); the flags below win over it.
        self.config_file = config_file
        self.port = free_port()
        self.store = Path(tempfile.mkdtemp(prefix="portal-nats-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = ["-c", str(self.config_file)] if self.config_file is not None else []
        listen = ["-a", "127.0.0.1", "-p", str(self.port)]
        self._process = subprocess.Popen(
            [self.binary, *config, *listen, "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.store, ignore_errors=True)


def find_nats_server() -> str | None:
    return shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )


def docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True
