"""The people service speaks its users' languages: every refusal and displayed code is marked
and translated in every locale."""

from __future__ import annotations

import pytest
from portal_kit.domain import DomainError
from portal_kit.graphql import user_errors
from portal_kit.messages import code_label, locale_var
from portal_kit.testing.catalogues import missing_translations, unmarked_messages
from portal_people.domain.throttle import LoginThrottled
from portal_people.domain.user import check_username
from portal_people.entrypoints.types import ORGANISATION_KIND_LABELS, ROLE_LABELS


def test_every_people_message_exists_in_every_locale() -> None:
    assert missing_translations("portal_people") == []
    assert unmarked_messages("portal_people") == []


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("nb", "for mange mislykkede forsøk; prøv igjen om 30 sekunder"),
        ("fi", "liian monta epäonnistunutta yritystä; yritä uudelleen 30 sekunnin kuluttua"),
        ("en", "too many failed attempts; try again in 30 seconds"),
    ],
)
def test_a_refusal_with_a_parameter_reads_in_the_callers_language(locale: str, text: str) -> None:
    token = locale_var.set(locale)
    try:
        [error] = user_errors(LoginThrottled(30))
    finally:
        locale_var.reset(token)
    assert (error.field, error.code, error.message) == ("password", "LOGIN_THROTTLED", text)


def test_a_domain_refusal_keeps_its_english_text() -> None:
    with pytest.raises(DomainError) as refused:
        check_username("x")
    assert refused.value.message == "a user name is 3-64 letters, digits or . @ + / - _"


def test_platform_codes_have_labels_and_a_tenants_own_role_reads_as_words() -> None:
    assert code_label(ORGANISATION_KIND_LABELS, "contractor", "sv") == "Entreprenör"
    assert code_label(ROLE_LABELS, "admin", "da") == "Administrator"
    assert code_label(ROLE_LABELS, "user", "nb") == "Bruker"
    assert code_label(ROLE_LABELS, "account_manager", "nb") == "Account manager"
