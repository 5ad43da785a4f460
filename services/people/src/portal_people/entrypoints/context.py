"""What every resolver of the people service gets: the caller and its use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from portal_kit.principal import Principal
from starlette.requests import Request

from portal_people.adapters.tokens import TokenIssuer
from portal_people.service_layer.directory import Directory


@dataclass
class PeopleContext:
    principal: Principal
    directory: Directory
    tokens: TokenIssuer
    request: Request | None = None


Info = strawberry.Info[PeopleContext, Any]
