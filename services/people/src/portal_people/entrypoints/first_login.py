"""First login (Familjebostäder): until the user has confirmed the contact details and changed
the password, every other operation answers with one error code the SPA can route on.

The access token of such a user carries only the kit's FIRST_LOGIN_SCOPE (no memberships, no
staff flag), so other services show them nothing either; the gateway can answer the same code
for any subgraph by checking that scope.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from portal_kit.messages import translate
from strawberry.extensions import SchemaExtension

from portal_people.domain.messages import _

CODE = "FIRST_LOGIN_REQUIRED"
ALLOWED = frozenset(
    {"__typename", "me", "passwordPolicy", "completeFirstLogin", "logOut", "refreshSession"}
)


def _top_level_fields(operation: OperationDefinitionNode) -> list[str] | None:
    names: list[str] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None  # fragments at the top: refuse rather than look inside
        names.append(selection.name.value)
    return names


class FirstLoginGate(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if principal is not None and principal.first_login_pending:
            operation = None
            if context.graphql_document is not None:
                for definition in context.graphql_document.definitions:
                    if isinstance(definition, OperationDefinitionNode) and (
                        context.operation_name is None
                        or (definition.name and definition.name.value == context.operation_name)
                    ):
                        operation = definition
                        break
            fields = _top_level_fields(operation) if operation is not None else None
            if fields is None or not set(fields) <= ALLOWED:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            translate(
                                _("confirm your contact details and change your password first")
                            ),
                            extensions={"code": CODE},
                        )
                    ],
                )
        yield
