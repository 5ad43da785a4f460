"""The partner configuration is generated from people's tenant list: the operator's command asks
a running people service (signed with the gateway's key, as a platform administrator) and writes
one partner user per tenant it lists, and a refusal by people writes nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from portal_gateway.testing.serving import serving
from portal_kit.partners.__main__ import main as partners_command
from portal_kit.principal import generate_key_pair
from portal_kit.testing.harness import RunningService
from portal_people.app import create_app as create_people_app
from portal_people.settings import PeopleSettings
from portal_people.testing import seed_tenant


def partner_subjects(include: Path) -> list[str]:
    text = include.read_text()
    users = json.loads(text[text.index("{") :])["users"]
    return sorted(u["permissions"]["subscribe"]["allow"][0] for u in users if "permissions" in u)


async def test_the_include_has_a_partner_for_every_tenant_people_lists(
    settings_for: Any,
    signer: Any,
    principal_keys: tuple[bytes, bytes],
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    app = create_people_app(settings_for(PeopleSettings))
    key_file = tmp_path / "gateway.pem"
    key_file.write_bytes(principal_keys[0])
    include, secrets = tmp_path / "partners.conf", tmp_path / "secrets"
    async with serving(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            service = RunningService(app, client, signer)
            await seed_tenant(service, "jm")
            await seed_tenant(service, "avonova")
        command = ["config", "--people-url", f"{url}/graphql", "--secrets", str(secrets)]
        command += ["--output", str(include)]
        monkeypatch.setenv("PORTAL_PRINCIPAL_PRIVATE_KEY_FILE", str(key_file))
        assert await asyncio.to_thread(partners_command, command) == 0
        assert partner_subjects(include) == ["portal.avonova.>", "portal.jm.>"]

        # A key people does not trust: refused, and nothing is written.
        stranger = tmp_path / "stranger.pem"
        stranger.write_bytes(generate_key_pair()[0])
        monkeypatch.setenv("PORTAL_PRINCIPAL_PRIVATE_KEY_FILE", str(stranger))
        other = tmp_path / "other.conf"
        command[command.index(str(include))] = str(other)
        assert await asyncio.to_thread(partners_command, command) == 2
        assert not other.exists()
