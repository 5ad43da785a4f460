"""The mail catcher of `make dev` (deploy/dev/mail_catcher.py), as its own process: a mail sent
to its SMTP port is kept as an `.eml` file and listed on its page, where its text (an invitation
code, say) can be read; the runner points every service at it."""

from __future__ import annotations

import importlib.util
import json
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType

import pytest
from portal_kit.testing.nats_server import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "dev" / "mail_catcher.py"


@pytest.fixture
def catcher_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mail_catcher", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_a_mail_is_kept_as_eml_and_readable_on_the_page(tmp_path, catcher_module):
    smtp_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            "--smtp-port",
            str(smtp_port),
            "--web-port",
            str(web_port),
            "--directory",
            str(tmp_path / "mail"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert get(f"http://127.0.0.1:{web_port}/readyz") == "ok"
                break
            except OSError:
                assert time.monotonic() < deadline, process.stdout and process.stdout.read()
                time.sleep(0.1)
        message = EmailMessage()
        message["From"] = "JM <no-reply@portal.example>"
        message["To"] = "ny.kontakt@emma.example"
        message["Subject"] = "Invitasjon til JM"
        message.set_content("Invitasjonskode: abc123 <ikke html>")
        message.add_alternative("<p>Invitasjonskode: <b>abc123</b></p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(message)

        (kept,) = list((tmp_path / "mail").glob("*.eml"))
        assert b"Invitasjonskode: abc123" in kept.read_bytes()
        page = get(f"http://127.0.0.1:{web_port}/")
        assert "Invitasjon til JM" in page and kept.name in page
        listed = json.loads(get(f"http://127.0.0.1:{web_port}/api/messages"))
        assert [m["to"] for m in listed] == ["ny.kontakt@emma.example"]
        shown = get(f"http://127.0.0.1:{web_port}/mail/{kept.name}")
        assert "Invitasjonskode: abc123 &lt;ikke html&gt;" in shown  # text escaped
        assert "<b>abc123</b>" not in shown  # the HTML only inside a sandboxed frame
        assert get(f"http://127.0.0.1:{web_port}/raw/{kept.name}").startswith("From:")
        with pytest.raises(urllib.error.HTTPError):
            get(f"http://127.0.0.1:{web_port}/mail/..%2F..%2Fetc%2Fpasswd")
    finally:
        process.terminate()
        process.wait(10)


def test_the_services_are_pointed_at_the_catcher(catcher_module):
    env = catcher_module.mail_env({"PATH": "/bin"})
    assert env["PORTAL_SMTP_HOST"] == "127.0.0.1"
    assert env["PORTAL_SMTP_PORT"] == "1025"
    assert env["PATH"] == "/bin"
    assert "http://127.0.0.1:8025/" in catcher_module.banner("JM invited someone")
