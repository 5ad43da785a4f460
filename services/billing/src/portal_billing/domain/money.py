"""Amounts of money and quantities as exact decimals, parsed from the strings clients send.

Money is a decimal string plus a currency everywhere outside the domain; inside it is a
`Decimal`, never a float.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

from portal_kit.domain import DomainError

CENT = Decimal("0.01")
# Digits, at most one dot, no exponent, sign or grouping: "1250", "1250.5", "0.75".
_DECIMAL = re.compile(r"^(?P<whole>\d{1,15})(?:\.(?P<fraction>\d{1,15}))?$")
CURRENCIES = frozenset({"NOK", "SEK", "DKK", "EUR", "ISK", "GBP", "USD"})


def parse_decimal(
    text: str, *, field: str, places: int, maximum: Decimal, positive: bool = False
) -> Decimal:
    """A non-negative decimal (`positive`: above zero) with at most `places` decimals."""
    cleaned = text.strip()
    if not cleaned:
        raise DomainError("this is required", field=field, code="REQUIRED")
    if cleaned.startswith("-") and _DECIMAL.match(cleaned[1:]):
        raise DomainError("must not be negative", field=field)
    match = _DECIMAL.match(cleaned)
    if match is None:
        raise DomainError(
            "not a number; write digits with a dot for decimals, like 1250.50", field=field
        )
    if len(match.group("fraction") or "") > places:
        raise DomainError(f"at most {places} decimals", field=field)
    value = Decimal(cleaned)
    if positive and value <= 0:
        raise DomainError("must be more than zero", field=field)
    if value > maximum:
        raise DomainError(f"at most {maximum}", field=field, code="TOO_LARGE")
    return value


def round_to_cents(value: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 50
        return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_amount(value: Decimal) -> str:
    """Two decimals, no exponent: "1250.00"."""
    return format(round_to_cents(value), "f")


def format_quantity(value: Decimal) -> str:
    """As few decimals as needed, no exponent: "2", "1.5"."""
    return format(value.normalize(), "f")


def check_currency(text: str, *, field: str = "currency") -> str:
    cleaned = text.strip().upper()
    if not cleaned:
        raise DomainError("this is required", field=field, code="REQUIRED")
    if cleaned not in CURRENCIES:
        raise DomainError(
            f"unknown currency; one of: {', '.join(sorted(CURRENCIES))}",
            field=field,
            code="UNKNOWN_CODE",
        )
    return cleaned
