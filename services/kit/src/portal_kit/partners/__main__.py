"""`python -m portal_kit.partners`: partner credentials, the nats-server include, partner streams.

    config  --secrets DIR --output FILE (--tenant ID ... | --people-url URL)
            writes the include (public keys only) and keeps the nkeys in DIR; a partner's seed
            file is created on the first run that names its tenant and listed as new then
    streams (--tenant ID ... | --people-url URL) [--services people orders tickets billing]
            creates each tenant's partner stream on the server (PORTAL_NATS_URL, as the platform:
            PORTAL_NATS_NKEY_SEED_FILE), with the services' stream limits (PORTAL_STREAM_*)

`--people-url` asks people for every tenant, signed with PORTAL_PRINCIPAL_PRIVATE_KEY_FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from portal_kit.jetstream import StreamLimits, connect_nats
from portal_kit.partners.access import InvalidTenant, PartnerAccess
from portal_kit.partners.credentials import CredentialStore
from portal_kit.partners.server_config import render
from portal_kit.partners.streams import ensure_partner_stream
from portal_kit.partners.tenants import TenantListUnavailable, tenants_from_people
from portal_kit.principal import PrincipalSigner
from portal_kit.settings import ServiceSettings, load_settings

SERVICES = ["people", "orders", "tickets", "billing"]
GENERATOR = "python -m portal_kit.partners config"


class Refused(Exception):
    """What the operator must fix, in one line."""


def _tenants(arguments: argparse.Namespace) -> list[str]:
    if arguments.tenant:
        return sorted(set(arguments.tenant))
    key_file = os.environ.get("PORTAL_PRINCIPAL_PRIVATE_KEY_FILE")
    if not key_file:
        raise Refused("--people-url needs PORTAL_PRINCIPAL_PRIVATE_KEY_FILE (the gateway's key)")
    try:
        return tenants_from_people(
            arguments.people_url, PrincipalSigner(Path(key_file).read_bytes())
        )
    except (OSError, TenantListUnavailable) as error:
        raise Refused(str(error)) from error


def _accesses(prefix: str, tenants: list[str]) -> list[PartnerAccess]:
    try:
        return [PartnerAccess(prefix, tenant) for tenant in tenants]
    except InvalidTenant as error:
        raise Refused(f"not a tenant id: {error}") from error


def write_config(arguments: argparse.Namespace) -> None:
    store = CredentialStore(arguments.secrets)
    platform = store.platform()
    partners = [
        (access, store.partner(access.tenant))
        for access in _accesses(arguments.prefix, _tenants(arguments))
    ]
    output: Path = arguments.output
    output.write_text(render(platform, partners, generator=GENERATOR))
    print(f"wrote {output}: the platform and {len(partners)} partner(s)")
    for name, credential in [("platform", platform), *((a.user, c) for a, c in partners)]:
        state = "NEW, hand it over" if credential.created else "kept"
        print(f"  {name}: {credential.public_key} seed {credential.seed_file} ({state})")


async def create_streams(arguments: argparse.Namespace) -> None:
    settings = load_settings(ServiceSettings)
    accesses = _accesses(settings.event_prefix, _tenants(arguments))
    limits = StreamLimits.of(settings)
    client = await connect_nats(
        settings.nats_url, name="partner-streams", nkey_seed_file=settings.nats_nkey_seed_file
    )
    try:
        js = client.jetstream()
        for access in accesses:
            done = await ensure_partner_stream(js, access, arguments.services, limits)
            print(f"{access.stream}: {done}")
    finally:
        await client.close()


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m portal_kit.partners", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    for name in ("config", "streams"):
        command = commands.add_parser(name)
        tenants = command.add_mutually_exclusive_group(required=True)
        tenants.add_argument("--tenant", action="append", help="a tenant id (repeatable)")
        tenants.add_argument("--people-url", help="people's GraphQL URL, to list every tenant")
        if name == "config":
            command.add_argument("--secrets", type=Path, required=True)
            command.add_argument("--output", type=Path, required=True)
            command.add_argument("--prefix", default="portal")
        else:
            command.add_argument("--services", nargs="+", default=SERVICES)
    return main


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        if arguments.command == "config":
            write_config(arguments)
        else:
            asyncio.run(create_streams(arguments))
    except Refused as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
