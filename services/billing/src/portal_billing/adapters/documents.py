"""An issued invoice as documents: a PDF in the payer's language (fpdf2) and an EHF / Peppol BIS
Billing 3.0 UBL 2.1 invoice (lxml). Both are made from the invoice and the tenant's
configuration alone; the tests validate the UBL against the official UBL 2.1 schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF
from lxml import etree
from portal_kit.messages import Messages, translate

from portal_billing.domain.configuration import BillingConfiguration
from portal_billing.domain.invoice import Invoice
from portal_billing.domain.money import format_amount, format_quantity

_ = Messages("portal_billing")

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    None: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# Peppol's electronic address schemes for organisation numbers, per country.
ENDPOINT_SCHEMES = {"NO": "0192", "SE": "0007", "DK": "0184", "FI": "0212"}
PDF_LABELS = {
    "invoice": _.label("invoice document", "Invoice"),
    "number": _.label("invoice document", "Invoice number"),
    "issue_date": _.label("invoice document", "Invoice date"),
    "due_date": _.label("invoice document", "Due date"),
    "reference": _.label("invoice document", "Payment reference (KID)"),
    "marking": _.label("invoice document", "Invoice marked with"),
    "payer": _.label("invoice document", "Payer"),
    "description": _.label("invoice document", "Description"),
    "quantity": _.label("invoice document", "Quantity"),
    "price": _.label("invoice document", "Unit price"),
    "vat": _.label("invoice document", "VAT"),
    "amount": _.label("invoice document", "Amount"),
    "net": _.label("invoice document", "Total excluding VAT"),
    "total": _.label("invoice document", "Total"),
    "account": _.label("invoice document", "Bank account"),
    "organisation_number": _.label("invoice document", "Organisation number"),
}


def _latin(text: str) -> str:
    """The PDF's core fonts have Latin-1: æ, ø, å, ä, ö stay; anything else becomes '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _date(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def invoice_pdf(invoice: Invoice, configuration: BillingConfiguration) -> bytes:
    locale = configuration.locale_for(invoice.language)

    def label(key: str) -> str:
        return _latin(translate(PDF_LABELS[key], locale))

    seller = configuration.seller
    pdf = FPDF(format="A4")
    pdf.set_title(f"{translate(PDF_LABELS['invoice'], locale)} {invoice.number}")
    pdf.set_creator("portal billing")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(
        0, 10, _latin(f"{label('invoice')} {invoice.number or ''}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 10)
    for text in (
        seller.name,
        f"{seller.street}, {seller.postal_code} {seller.city}",
        f"{label('organisation_number')}: {seller.organisation_number}",
    ):
        pdf.cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        (label("payer"), invoice.payer.name or invoice.payer_organisation_id),
        (label("number"), invoice.number or ""),
        (label("issue_date"), _date(invoice.issue_date)),
        (label("due_date"), _date(invoice.due_date)),
        (label("reference"), invoice.payment_reference or ""),
        (label("account"), seller.bank_account),
    ]
    if invoice.invoice_marking:
        rows.append((label("marking"), invoice.invoice_marking))
    for name, value in rows:
        pdf.cell(55, 6, name)
        pdf.cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    currency = invoice.currency
    widths = (80, 20, 30, 20, 40)
    pdf.set_font("Helvetica", "B", 10)
    for width, key in zip(
        widths, ("description", "quantity", "price", "vat", "amount"), strict=True
    ):
        pdf.cell(width, 7, label(key), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in invoice.lines:
        values = (
            line.description[:45],
            format_quantity(line.quantity),
            format_amount(line.unit_price, currency),
            f"{format_quantity(line.vat_rate)} %",
            format_amount(line.net(currency), currency),
        )
        for width, value in zip(widths, values, strict=True):
            pdf.cell(width, 6, _latin(value))
        pdf.ln()
    pdf.ln(2)
    for name, amount in (
        (label("net"), invoice.net_total),
        (label("vat"), invoice.vat_total),
        (label("total"), invoice.total),
    ):
        pdf.cell(150, 6, name, align="R")
        pdf.cell(
            40, 6, f"{format_amount(amount, currency)} {currency}", new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())


def _el(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _vat_id(country: str, number: str) -> str:
    return (
        f"NO{number}MVA"
        if country == "NO"
        else f"{country}{number}01"
        if country == "SE"
        else f"{country}{number}"
    )


def _party(
    parent: etree._Element,
    tag: str,
    *,
    name: str,
    country: str,
    number: str | None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    vat: bool = False,
) -> None:
    party = _el(_el(parent, tag), "cac:Party")
    if number:
        _el(party, "cbc:EndpointID", number, schemeID=ENDPOINT_SCHEMES.get(country, "0192"))
    _el(_el(party, "cac:PartyName"), "cbc:Name", name)
    address = _el(party, "cac:PostalAddress")
    if street:
        _el(address, "cbc:StreetName", street)
    if city:
        _el(address, "cbc:CityName", city)
    if postal_code:
        _el(address, "cbc:PostalZone", postal_code)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", country)
    if vat and number:
        scheme = _el(party, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", _vat_id(country, number))
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(party, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", name)
    if number:
        _el(legal, "cbc:CompanyID", number)


def _category(parent: etree._Element, tag: str, rate: Decimal) -> None:
    category = _el(parent, tag)
    _el(category, "cbc:ID", "S" if rate > 0 else "E")
    _el(category, "cbc:Percent", format_quantity(rate))
    if rate == 0 and tag == "cac:TaxCategory":
        _el(category, "cbc:TaxExemptionReason", "Exempt from VAT")
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _parties(root: etree._Element, invoice: Invoice, configuration: BillingConfiguration) -> None:
    seller = configuration.seller
    _party(
        root,
        "cac:AccountingSupplierParty",
        name=seller.name,
        country=seller.country,
        number=seller.organisation_number,
        street=seller.street,
        postal_code=seller.postal_code,
        city=seller.city,
        vat=seller.vat_registered,
    )
    _party(
        root,
        "cac:AccountingCustomerParty",
        name=invoice.payer.name or invoice.payer_organisation_id,
        country=configuration.country,
        number=invoice.payer.organisation_number,
    )


def invoice_ubl(invoice: Invoice, configuration: BillingConfiguration) -> bytes:
    """EHF / Peppol BIS Billing 3.0: the elements in the order the UBL 2.1 schema wants."""
    if invoice.number is None or invoice.issue_date is None or invoice.due_date is None:
        raise ValueError("only an issued invoice has a UBL document")
    currency = invoice.currency

    def amount(parent: etree._Element, tag: str, value: Decimal) -> None:
        _el(parent, tag, format_amount(value, currency), currencyID=currency)

    seller = configuration.seller
    root = etree.Element(f"{{{NS[None]}}}Invoice", nsmap=NS)  # type: ignore[arg-type]
    _el(root, "cbc:CustomizationID", CUSTOMIZATION)
    _el(root, "cbc:ProfileID", PROFILE)
    _el(root, "cbc:ID", invoice.number)
    _el(root, "cbc:IssueDate", invoice.issue_date.isoformat())
    _el(root, "cbc:DueDate", invoice.due_date.isoformat())
    _el(root, "cbc:InvoiceTypeCode", "380")
    _el(root, "cbc:DocumentCurrencyCode", currency)
    _el(root, "cbc:BuyerReference", invoice.invoice_marking or invoice.payer_organisation_id)
    _parties(root, invoice, configuration)
    means = _el(root, "cac:PaymentMeans")
    _el(means, "cbc:PaymentMeansCode", "30")
    if invoice.payment_reference:
        _el(means, "cbc:PaymentID", invoice.payment_reference)
    _el(_el(means, "cac:PayeeFinancialAccount"), "cbc:ID", seller.bank_account)
    terms = _el(root, "cac:PaymentTerms")
    _el(terms, "cbc:Note", f"{configuration.payment_terms_days} days")
    tax = _el(root, "cac:TaxTotal")
    amount(tax, "cbc:TaxAmount", invoice.vat_total)
    for subtotal in invoice.vat_subtotals:
        part = _el(tax, "cac:TaxSubtotal")
        amount(part, "cbc:TaxableAmount", subtotal.net)
        amount(part, "cbc:TaxAmount", subtotal.vat)
        _category(part, "cac:TaxCategory", subtotal.rate)
    totals = _el(root, "cac:LegalMonetaryTotal")
    amount(totals, "cbc:LineExtensionAmount", invoice.net_total)
    amount(totals, "cbc:TaxExclusiveAmount", invoice.net_total)
    amount(totals, "cbc:TaxInclusiveAmount", invoice.total)
    amount(totals, "cbc:PayableAmount", invoice.total)
    for index, line in enumerate(invoice.lines, start=1):
        element = _el(root, "cac:InvoiceLine")
        _el(element, "cbc:ID", str(index))
        _el(element, "cbc:InvoicedQuantity", format_quantity(line.quantity), unitCode="EA")
        amount(element, "cbc:LineExtensionAmount", line.net(currency))
        if line.order_number:
            _el(_el(element, "cac:OrderLineReference"), "cbc:LineID", line.order_number)
        item = _el(element, "cac:Item")
        _el(item, "cbc:Name", line.description[:100])
        _category(item, "cac:ClassifiedTaxCategory", line.vat_rate)
        price = _el(element, "cac:Price")
        _el(price, "cbc:PriceAmount", format(line.unit_price, "f"), currencyID=currency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


def credit_note_ubl(invoice: Invoice, index: int, configuration: BillingConfiguration) -> bytes:
    """The invoice's `index`-th credit note (from 1) as a Peppol BIS Billing 3.0 UBL 2.1
    CreditNote referring to the invoice; its amount split over the invoice's VAT rates."""
    if invoice.number is None or not 1 <= index <= len(invoice.credit_notes):
        raise ValueError("no such credit note")
    note = invoice.credit_notes[index - 1]
    currency = invoice.currency
    parts = invoice.credit_breakdown(note)
    net = sum((p.net for p in parts), Decimal(0))

    def amount(parent: etree._Element, tag: str, value: Decimal) -> None:
        _el(parent, tag, format_amount(value, currency), currencyID=currency)

    nsmap = {**NS, None: CREDIT_NOTE_NS}
    root = etree.Element(f"{{{CREDIT_NOTE_NS}}}CreditNote", nsmap=nsmap)  # type: ignore[arg-type]
    _el(root, "cbc:CustomizationID", CUSTOMIZATION)
    _el(root, "cbc:ProfileID", PROFILE)
    _el(root, "cbc:ID", note.number)
    _el(root, "cbc:IssueDate", note.issued_on.isoformat())
    _el(root, "cbc:CreditNoteTypeCode", "381")
    _el(root, "cbc:Note", note.reason)
    _el(root, "cbc:DocumentCurrencyCode", currency)
    _el(root, "cbc:BuyerReference", invoice.invoice_marking or invoice.payer_organisation_id)
    reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
    _el(reference, "cbc:ID", invoice.number)
    _parties(root, invoice, configuration)
    tax = _el(root, "cac:TaxTotal")
    amount(tax, "cbc:TaxAmount", note.amount - net)
    for part in parts:
        subtotal = _el(tax, "cac:TaxSubtotal")
        amount(subtotal, "cbc:TaxableAmount", part.net)
        amount(subtotal, "cbc:TaxAmount", part.vat)
        _category(subtotal, "cac:TaxCategory", part.rate)
    totals = _el(root, "cac:LegalMonetaryTotal")
    amount(totals, "cbc:LineExtensionAmount", net)
    amount(totals, "cbc:TaxExclusiveAmount", net)
    amount(totals, "cbc:TaxInclusiveAmount", note.amount)
    amount(totals, "cbc:PayableAmount", note.amount)
    for number, part in enumerate(parts, start=1):
        line = _el(root, "cac:CreditNoteLine")
        _el(line, "cbc:ID", str(number))
        _el(line, "cbc:CreditedQuantity", "1", unitCode="EA")
        amount(line, "cbc:LineExtensionAmount", part.net)
        item = _el(line, "cac:Item")
        _el(item, "cbc:Name", f"{note.reason[:80]} ({invoice.number})")
        _category(item, "cac:ClassifiedTaxCategory", part.rate)
        amount(_el(line, "cac:Price"), "cbc:PriceAmount", part.net)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


class InvoiceDocuments:
    """The `Documents` port: PDF and UBL of an issued invoice."""

    def pdf(self, invoice: Invoice, configuration: BillingConfiguration) -> bytes:
        return invoice_pdf(invoice, configuration)

    def ubl(self, invoice: Invoice, configuration: BillingConfiguration) -> bytes:
        return invoice_ubl(invoice, configuration)

    def credit_note(
        self, invoice: Invoice, index: int, configuration: BillingConfiguration
    ) -> bytes:
        return credit_note_ubl(invoice, index, configuration)
