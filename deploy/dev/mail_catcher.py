"""The mail catcher of `make dev`: a local SMTP server that keeps every message it receives as an
`.eml` file and lists them on a small web page.

    uv run python deploy/dev/mail_catcher.py [--smtp-port 1025] [--web-port 8025]
        [--directory .dev/mail]

`run_platform.py` starts it before the services and points the people service at it
(`PORTAL_SMTP_HOST`/`PORTAL_SMTP_PORT`); the page is at http://127.0.0.1:8025/ (each mail as
text and HTML, and its `.eml` file to open in a mail program). Nothing leaves the machine.
`docker compose` uses Mailpit for the same purpose.

The functions below the server are what `run_platform.py` uses: `mail_env` (the people
service's SMTP settings), `start_mail_catcher` (the catcher as one of the runner's children),
`send_demo_invitation` (JM's invitation of a new contractor contact, so the invitation mail and
its code can be read on the page after `make dev`) and `banner`.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

HOST = "127.0.0.1"
SMTP_PORT = 1025
WEB_PORT = 8025
REPO = Path(__file__).resolve().parents[2]
DIRECTORY = REPO / ".dev" / "mail"
_NAME = re.compile(r"^[0-9A-Za-z._-]+\.eml$")


# -- the store: one .eml file per message -----------------------------------------------------


class MailStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0

    def keep(self, content: bytes) -> Path:
        with self._lock:
            self._count += 1
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
            path = self.directory / f"{stamp}-{self._count:04d}.eml"
            path.write_bytes(content)
            return path

    def names(self) -> list[str]:
        return sorted((p.name for p in self.directory.glob("*.eml")), reverse=True)

    def read(self, name: str) -> EmailMessage | None:
        if not _NAME.match(name):
            return None
        path = self.directory / name
        if not path.is_file():
            return None
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        return parsed if isinstance(parsed, EmailMessage) else None

    def raw(self, name: str) -> bytes | None:
        if not _NAME.match(name) or not (self.directory / name).is_file():
            return None
        return (self.directory / name).read_bytes()


class Keeper:
    """aiosmtpd's handler: every message to the store."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.store.keep(envelope.original_content or envelope.content)
        return "250 OK: kept"


# -- the page -------------------------------------------------------------------------------


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return None if part is None else str(part.get_content())


def summary(name: str, message: EmailMessage) -> dict[str, str]:
    return {
        "name": name,
        "date": str(message.get("Date", "")),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
    }


STYLE = (
    "body{font-family:sans-serif;margin:2em} td,th{padding:4px 10px;text-align:left} "
    "tr:nth-child(even){background:#f3f3f3} "
    "pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}"
)


def list_page(store: MailStore) -> str:
    rows = []
    for name in store.names():
        message = store.read(name)
        if message is None:
            continue
        mail = {k: html.escape(v) for k, v in summary(name, message).items()}
        rows.append(
            f"<tr><td>{mail['name'][:15]}</td><td>{mail['to']}</td><td>{mail['from']}</td>"
            f"<td><a href='/mail/{mail['name']}'>{mail['subject'] or '(no subject)'}</a></td>"
            f"<td><a href='/raw/{mail['name']}'>.eml</a></td></tr>"
        )
    body = "\n".join(rows) or "<tr><td colspan=5>No mail yet.</td></tr>"
    where = html.escape(str(store.directory))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Mail caught by make dev</title><meta http-equiv="refresh" content="10">
<style>{STYLE}</style></head><body>
<h1>Mail caught by <code>make dev</code></h1>
<p>Every message the platform sent, newest first; the files are in <code>{where}</code>.</p>
<table><tr><th>received</th><th>to</th><th>from</th><th>subject</th><th>file</th></tr>
{body}</table></body></html>"""


def mail_page(name: str, message: EmailMessage) -> str:
    mail = {k: html.escape(v) for k, v in summary(name, message).items()}
    text = _part(message, "plain")
    rich = _part(message, "html")
    frame = (
        f"<h2>HTML</h2><iframe sandbox style='width:100%;height:480px;border:1px solid #ccc' "
        f"srcdoc='{html.escape(rich, quote=True)}'></iframe>"
        if rich
        else ""
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{mail["subject"]}</title>
<style>{STYLE}</style></head><body>
<p><a href="/">&larr; all mail</a> · <a href="/raw/{mail["name"]}">{mail["name"]}</a></p>
<h1>{mail["subject"]}</h1>
<p>From: {mail["from"]}<br>To: {mail["to"]}<br>Date: {mail["date"]}</p>
<h2>Text</h2><pre>{html.escape(text or "")}</pre>{frame}</body></html>"""


def handler_for(store: MailStore) -> type[BaseHTTPRequestHandler]:
    class Page(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            if path in ("/", "/index.html"):
                self._send(200, list_page(store).encode(), "text/html; charset=utf-8")
            elif path == "/readyz":
                self._send(200, b"ok", "text/plain")
            elif path == "/api/messages":
                listed = [summary(n, m) for n in store.names() if (m := store.read(n)) is not None]
                self._send(200, json.dumps(listed).encode(), "application/json")
            elif path.startswith("/mail/"):
                name = path.removeprefix("/mail/")
                message = store.read(name)
                if message is None:
                    self._send(404, b"no such mail", "text/plain")
                else:
                    self._send(200, mail_page(name, message).encode(), "text/html; charset=utf-8")
            elif path.startswith("/raw/"):
                raw = store.raw(path.removeprefix("/raw/"))
                if raw is None:
                    self._send(404, b"no such mail", "text/plain")
                else:
                    self._send(200, raw, "message/rfc822")
            else:
                self._send(404, b"not found", "text/plain")

    return Page


def serve(smtp_port: int, web_port: int, directory: Path) -> None:
    from aiosmtpd.controller import Controller  # a dev dependency, imported where it is used

    store = MailStore(directory)
    controller = Controller(Keeper(store), hostname=HOST, port=smtp_port)
    controller.start()
    web = ThreadingHTTPServer((HOST, web_port), handler_for(store))
    stopped = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    thread = threading.Thread(target=web.serve_forever, name="mail-page", daemon=True)
    thread.start()
    print(
        f"mail catcher: SMTP on {HOST}:{smtp_port}, page on http://{HOST}:{web_port}/, "
        f"files in {directory}",
        flush=True,
    )
    try:
        stopped.wait()
    finally:
        web.shutdown()
        controller.stop()


# -- what run_platform.py uses --------------------------------------------------------------


def page_url(web_port: int = WEB_PORT) -> str:
    return f"http://{HOST}:{web_port}/"


def mail_env(env: Mapping[str, str], smtp_port: int = SMTP_PORT) -> dict[str, str]:
    """A service's environment pointed at the catcher."""
    return {
        **env,
        "PORTAL_SMTP_HOST": HOST,
        "PORTAL_SMTP_PORT": str(smtp_port),
        "PORTAL_SMTP_START_TLS": "false",
    }


def start_mail_catcher(platform: Any, timeout: float) -> None:
    """The catcher as one of the runner's children (watched and stopped with the rest)."""
    child = platform.spawn(
        "mail",
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--smtp-port",
            str(SMTP_PORT),
            "--web-port",
            str(WEB_PORT),
            "--directory",
            str(DIRECTORY),
        ],
        dict(os.environ),
        page_url(),
        f"{page_url()}readyz",
    )
    platform.wait_ready(child, timeout)
    print(f"mail: catching on {HOST}:{SMTP_PORT}, page {page_url()}", flush=True)


def _graphql(url: str, query: str, variables: dict[str, Any], headers: dict[str, str]) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


DEMO_INVITEE = "ny.kontakt@emma.example"


def send_demo_invitation(gateway: str, password: str) -> str | None:
    """JM's staff invite a new contact of 'Emmas Testföretag': the invitation mail and its code
    arrive at the catcher. Returns a line for the banner, or None when it could not be sent."""
    url = f"{gateway}/graphql"
    try:
        login = _graphql(
            url,
            "mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }",
            {"i": {"login": "pm.testare", "password": password}},
            {"X-Portal-Tenant": "jm"},
        )
        token = login["data"]["logIn"]["accessToken"]
        bearer = {"Authorization": f"Bearer {token}"}
        organisations = _graphql(
            url, "{ organisations(first: 50) { edges { node { id name } } } }", {}, bearer
        )
        emma = next(
            edge["node"]["id"]
            for edge in organisations["data"]["organisations"]["edges"]
            if edge["node"]["name"].startswith("Emmas Testföretag")
        )
        invited = _graphql(
            url,
            """mutation($i: InviteUserInput!) { inviteUser(input: $i) {
                invitation { emailSent } userErrors { code } } }""",
            {
                "i": {
                    "email": DEMO_INVITEE,
                    "name": "Ny Kontakt",
                    "organisationId": emma,
                    "roles": ["user"],
                    "locale": "nb",
                }
            },
            bearer,
        )
    except (urllib.error.URLError, OSError, KeyError, TypeError, StopIteration, ValueError):
        return None
    payload = (invited.get("data") or {}).get("inviteUser") or {}
    if payload.get("userErrors"):
        # Already invited in an earlier run (the database outlives nothing, but say so anyway).
        return f"JM invitation to {DEMO_INVITEE}: {payload['userErrors'][0]['code']}"
    sent = (payload.get("invitation") or {}).get("emailSent")
    state = "sent" if sent else "queued"
    return f"JM invited {DEMO_INVITEE} (as pm.testare); the mail with its code: {state}"


def banner(note: str | None) -> str:
    lines = [
        f"  mail      {page_url()} (every mail the platform sent; files in "
        f"{DIRECTORY.relative_to(REPO)}/, SMTP {HOST}:{SMTP_PORT})"
    ]
    if note:
        lines.append(f"            {note}")
    return "\n".join(lines) + "\n"


def wait_for_mail(timeout: float, web_port: int = WEB_PORT, to: str | None = None) -> bool:
    """Whether the catcher holds a mail (to `to`) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{page_url(web_port)}api/messages", timeout=2) as r:
                listed = json.loads(r.read())
            if any(to is None or to in m["to"] for m in listed):
                return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Catch the platform's mail (make dev).")
    parser.add_argument("--smtp-port", type=int, default=SMTP_PORT)
    parser.add_argument("--web-port", type=int, default=WEB_PORT)
    parser.add_argument("--directory", type=Path, default=DIRECTORY)
    args = parser.parse_args(argv)
    serve(args.smtp_port, args.web_port, args.directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
