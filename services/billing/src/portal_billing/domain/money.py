"""Amounts of money and quantities as exact decimals, parsed from the strings clients send.

Money is a decimal string plus a currency everywhere outside the domain; inside it is a
`Decimal`, never a float, rounded half up to the currency's minor unit (øre, cents; ISK has
none). Stored amounts also carry their value in minor units (an integer) so MongoDB can sum and
sort them.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

from portal_kit.domain import DomainError
from portal_kit.messages import Messages

_ = Messages("portal_billing")

CENT = Decimal("0.01")
# Digits, at most one dot, no exponent, sign or grouping: "1250", "1250.5", "0.75".
_DECIMAL = re.compile(r"^(?P<whole>\d{1,15})(?:\.(?P<fraction>\d{1,15}))?$")
# ISO 4217 minor units of the currencies the platform bills in.
MINOR_UNITS = {"NOK": 2, "SEK": 2, "DKK": 2, "EUR": 2, "ISK": 0, "GBP": 2, "USD": 2}
CURRENCIES = frozenset(MINOR_UNITS)


def parse_decimal(
    text: str, *, field: str, places: int, maximum: Decimal, positive: bool = False
) -> Decimal:
    """A non-negative decimal (`positive`: above zero) with at most `places` decimals."""
    cleaned = text.strip()
    if not cleaned:
        raise DomainError(_("this is required"), field=field, code="REQUIRED")
    if cleaned.startswith("-") and _DECIMAL.match(cleaned[1:]):
        raise DomainError(_("must not be negative"), field=field)
    match = _DECIMAL.match(cleaned)
    if match is None:
        raise DomainError(
            _("not a number; write digits with a dot for decimals, like 1250.50"), field=field
        )
    if len(match.group("fraction") or "") > places:
        raise DomainError(_("at most {places} decimals", places=places), field=field)
    value = Decimal(cleaned)
    if positive and value <= 0:
        raise DomainError(_("must be more than zero"), field=field)
    if value > maximum:
        raise DomainError(
            _("at most {maximum}", maximum=format(maximum, "f")), field=field, code="TOO_LARGE"
        )
    return value


def places_of(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def round_money(value: Decimal, currency: str = "NOK") -> Decimal:
    """Half up to the currency's minor unit."""
    with localcontext() as context:
        context.prec = 50
        return value.quantize(Decimal(1).scaleb(-places_of(currency)), rounding=ROUND_HALF_UP)


def round_to_cents(value: Decimal) -> Decimal:
    return round_money(value, "NOK")


def format_amount(value: Decimal, currency: str = "NOK") -> str:
    """The currency's decimals, no exponent: "1250.00" (ISK: "1250")."""
    return format(round_money(value, currency), "f")


def to_minor(value: Decimal, currency: str) -> int:
    """The amount in minor units (øre): what MongoDB sums and sorts."""
    return int(round_money(value, currency).scaleb(places_of(currency)))


def format_quantity(value: Decimal) -> str:
    """As few decimals as needed, no exponent: "2", "1.5"."""
    return format(value.normalize(), "f")


def check_currency(text: str, *, field: str = "currency") -> str:
    cleaned = text.strip().upper()
    if not cleaned:
        raise DomainError(_("this is required"), field=field, code="REQUIRED")
    if cleaned not in CURRENCIES:
        raise DomainError(
            _("unknown currency; one of: {codes}", codes=", ".join(sorted(CURRENCIES))),
            field=field,
            code="UNKNOWN_CODE",
        )
    return cleaned


def parse_money(text: str, currency: str, *, field: str, maximum: Decimal) -> Decimal:
    """An amount above zero with at most the currency's decimals."""
    return parse_decimal(
        text, field=field, places=places_of(currency), maximum=maximum, positive=True
    )
