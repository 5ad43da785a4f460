"""Contact details as people type them: e-mail addresses and phone numbers, checked and normalised.

Phones are read the way a person of the tenant's country writes them (0721234567 in Sweden) and
stored in E.164 (+46721234567), so every service and the SMS gateway see one form.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from portal_kit.domain import DomainError

from portal_people.domain.messages import _

MAX_EMAIL = 254
MAX_PHONE = 40


def check_email(email: str, *, field: str = "email") -> str:
    cleaned = email.strip()
    if not cleaned:
        raise DomainError(_("an e-mail address is required"), field=field, code="REQUIRED")
    if len(cleaned) > MAX_EMAIL:
        raise DomainError(_("not a valid e-mail address"), field=field, code="INVALID_EMAIL")
    try:
        checked = validate_email(cleaned, check_deliverability=False)
    except (EmailNotValidError, UnicodeError, ValueError):
        raise DomainError(
            _("not a valid e-mail address"), field=field, code="INVALID_EMAIL"
        ) from None
    return str(checked.normalized)


def check_phone(phone: str | None, country: str, *, field: str) -> str | None:
    """E.164 form of a phone number of the tenant's country (or any, written with +); blank
    clears it."""
    if phone is None or not phone.strip():
        return None
    cleaned = phone.strip()
    if len(cleaned) > MAX_PHONE:
        raise DomainError(_("not a valid phone number"), field=field, code="INVALID_PHONE")
    try:
        parsed = phonenumbers.parse(cleaned, country)
    except phonenumbers.NumberParseException:
        raise DomainError(
            _("not a valid phone number"), field=field, code="INVALID_PHONE"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise DomainError(_("not a valid phone number"), field=field, code="INVALID_PHONE")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
