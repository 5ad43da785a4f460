"""A tenant's billing configuration: how its invoices are numbered, dated, paid and labelled,
which completed orders become billable lines, and how contractors' invoices are matched.

One versioned JSON document per tenant in `portal_billing/configuration/<tenant>.json`, parsed
and checked here (a bad document stops the service at start, naming the problem). A tenant
without a document does not bill: its staff's billing operations are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.dk import cvr
from stdnum.fi import ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from portal_billing.domain.money import CURRENCIES

# The seller's organisation number, checked by its country's check digits (python-stdnum).
REGISTRIES = {"NO": no_orgnr, "SE": se_orgnr, "DK": cvr, "FI": ytunnus}

LOCALES = ("nb", "sv", "da", "fi", "en")
# What the list shows: the stored status, with 'issued' split by the due date.
LIST_STATUSES = ("draft", "unpaid", "overdue", "paid", "credited")
PAYMENT_REFERENCES = ("kid", "invoice_number")
_FORMAT = re.compile(r"^[A-Za-z0-9_\-/ ]*(\{year\}|\{sequence\})[A-Za-z0-9_\-/ {}]*$")


class ConfigurationError(ValueError):
    """A configuration document that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class Seller:
    name: str
    organisation_number: str
    country: str
    street: str
    postal_code: str
    city: str
    bank_account: str
    vat_registered: bool = True


@dataclass(frozen=True)
class BillableType:
    """A completed order of this type becomes one line: `description` per locale, a price and
    its VAT rate (percent)."""

    order_type: str
    description: Mapping[str, str]
    unit_price: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class IncomingRules:
    """Contractors' invoices (Familjebostäder): the reference is `prefix` + the work order's
    number, nothing between; it matches a completed order of one of `order_types` (all when
    empty) assigned to the contractor."""

    reference_prefix: str
    order_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class BillingConfiguration:
    tenant: str
    version: int
    country: str
    currency: str
    locales: tuple[str, ...]
    default_locale: str
    number_format: str
    first_number: int
    payment_terms_days: int
    payment_reference: str
    vat_rates: tuple[Decimal, ...]
    default_vat_rate: Decimal
    seller: Seller
    status_labels: Mapping[str, Mapping[str, str]]
    billable: Mapping[str, BillableType] = field(default_factory=dict)
    incoming: IncomingRules | None = None

    def invoice_number(self, sequence: int, issue_date: date) -> str:
        """`sequence` is the counter's 1, 2, …: the first number is `first_number`."""
        if sequence < 1:
            raise ValueError("invoice sequences start at 1")
        return self.number_format.format(
            year=issue_date.year, sequence=self.first_number + sequence - 1
        )

    def label(self, status: str, locale: str) -> str:
        labels = self.status_labels.get(status, {})
        return labels.get(locale) or labels.get(self.default_locale) or labels.get("en") or status

    def locale_for(self, wanted: str | None) -> str:
        return wanted if wanted in self.locales else self.default_locale


def _decimal(value: Any, where: str) -> Decimal:
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationError(f"{where}: not a decimal") from None
    if not parsed.is_finite() or parsed < 0:
        raise ConfigurationError(f"{where}: not a decimal of zero or more")
    return parsed


def _labels(value: Any, where: str, locales: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise ConfigurationError(f"{where}: labels per locale expected")
    for locale in locales:
        if not isinstance(value.get(locale), str) or not value[locale].strip():
            raise ConfigurationError(f"{where}: no label in {locale}")
    return {str(k): str(v) for k, v in value.items()}


def parse_configuration(document: Mapping[str, Any]) -> BillingConfiguration:
    """The checked configuration, or `ConfigurationError` naming the first problem."""
    try:
        tenant = str(document["tenant"])
        locales = tuple(document["locales"])
        if not locales or any(locale not in LOCALES for locale in locales):
            raise ConfigurationError(f"{tenant}: locales must be among {LOCALES}")
        default_locale = str(document["default_locale"])
        if default_locale not in locales:
            raise ConfigurationError(f"{tenant}: default_locale is not one of its locales")
        currency = str(document["currency"])
        if currency not in CURRENCIES:
            raise ConfigurationError(f"{tenant}: unknown currency {currency}")
        number_format = str(document["number_format"])
        if "{sequence}" not in number_format or not _FORMAT.match(number_format):
            raise ConfigurationError(f"{tenant}: number_format needs {{sequence}}")
        first_number = int(document.get("first_number", 1))
        terms = int(document["payment_terms_days"])
        if first_number < 1 or not 0 <= terms <= 365:
            raise ConfigurationError(f"{tenant}: first_number or payment_terms_days out of range")
        reference = str(document.get("payment_reference", "invoice_number"))
        if reference not in PAYMENT_REFERENCES:
            raise ConfigurationError(f"{tenant}: payment_reference one of {PAYMENT_REFERENCES}")
        vat_rates = tuple(_decimal(r, f"{tenant}: vat_rates") for r in document["vat_rates"])
        default_vat = _decimal(document["default_vat_rate"], f"{tenant}: default_vat_rate")
        if default_vat not in vat_rates:
            raise ConfigurationError(f"{tenant}: default_vat_rate is not among vat_rates")
        seller = Seller(**document["seller"])
        registry = REGISTRIES.get(seller.country)
        if registry is None or not registry.is_valid(seller.organisation_number):
            raise ConfigurationError(f"{tenant}: the seller's organisation number is not valid")
        labels = {
            status: _labels(document["status_labels"].get(status), f"{tenant}: {status}", locales)
            for status in LIST_STATUSES
        }
        billable: dict[str, BillableType] = {}
        for code, entry in document.get("billable_order_types", {}).items():
            rate = _decimal(entry["vat_rate"], f"{tenant}: {code}.vat_rate")
            if rate not in vat_rates:
                raise ConfigurationError(f"{tenant}: {code}.vat_rate is not among vat_rates")
            billable[code] = BillableType(
                order_type=code,
                description=_labels(entry["description"], f"{tenant}: {code}", locales),
                unit_price=_decimal(entry["unit_price"], f"{tenant}: {code}.unit_price"),
                vat_rate=rate,
            )
        incoming = document.get("incoming")
        rules = (
            IncomingRules(
                reference_prefix=str(incoming["reference_prefix"]),
                order_types=tuple(incoming.get("order_types", ())),
            )
            if incoming
            else None
        )
        return BillingConfiguration(
            tenant=tenant,
            version=int(document["version"]),
            country=str(document["country"]),
            currency=currency,
            locales=locales,
            default_locale=default_locale,
            number_format=number_format,
            first_number=first_number,
            payment_terms_days=terms,
            payment_reference=reference,
            vat_rates=vat_rates,
            default_vat_rate=default_vat,
            seller=seller,
            status_labels=labels,
            billable=billable,
            incoming=rules,
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ConfigurationError):
            raise
        raise ConfigurationError(f"billing configuration: {error!r}") from error
