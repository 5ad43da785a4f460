"""The people subgraph: every area's queries and mutations, merged into one federation schema.

The areas: `directory_schema` (tenants, organisations, users), `auth_schema` (sessions,
passwords, first login), `onboarding_schema` (invitations), `profile_schema` (the caller's own
account), `employee_schema` (the employee register), `partner_client_schema` (partner systems'
API clients). Their object types are in `types.py` or
beside their resolvers, their input types in `inputs.py`.
"""

from __future__ import annotations

import strawberry
from portal_kit.document_cache import DocumentCache
from portal_kit.graphql import Execution, masking_extension
from strawberry.tools import merge_types

from portal_people.entrypoints.auth_schema import AuthMutation, AuthQuery
from portal_people.entrypoints.directory_schema import DirectoryMutation, DirectoryQuery
from portal_people.entrypoints.employee_schema import EmployeeMutation, EmployeeQuery
from portal_people.entrypoints.first_login import FirstLoginGate
from portal_people.entrypoints.input_guard import InvalidTextGuard
from portal_people.entrypoints.notification_schema import NotificationMutation, NotificationQuery
from portal_people.entrypoints.onboarding_schema import OnboardingMutation, OnboardingQuery
from portal_people.entrypoints.partner_client_schema import (
    PartnerClientMutation,
    PartnerClientQuery,
)
from portal_people.entrypoints.product_access_schema import (
    ProductAccessMutation,
    ProductAccessQuery,
)
from portal_people.entrypoints.profile_schema import ProfileMutation

Query = merge_types(
    "Query",
    (
        DirectoryQuery,
        AuthQuery,
        OnboardingQuery,
        EmployeeQuery,
        NotificationQuery,
        ProductAccessQuery,
        PartnerClientQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        DirectoryMutation,
        AuthMutation,
        OnboardingMutation,
        ProfileMutation,
        EmployeeMutation,
        NotificationMutation,
        ProductAccessMutation,
        PartnerClientMutation,
    ),
)

schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[masking_extension, DocumentCache, InvalidTextGuard, FirstLoginGate],
    execution_context_class=Execution,
)
