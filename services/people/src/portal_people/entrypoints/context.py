"""What every resolver of the people service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from portal_kit.runtime import ServiceRuntime
from starlette.requests import Request

from portal_people.service_layer.directory import Directory


@dataclass
class PeopleContext:
    principal: Principal
    directory: Directory
    request: Request | None = None


def make_context(runtime: ServiceRuntime, principal: Principal, request: Request) -> PeopleContext:
    return PeopleContext(
        principal=principal,
        directory=Directory(runtime.database, principal, runtime.wake_relay),
        request=request,
    )


Info = strawberry.Info[PeopleContext, Any]
