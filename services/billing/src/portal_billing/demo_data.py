"""The manuals' invoices, for `python -m portal_billing.demo`.

Avonova (002_, 'Fakturaer'): the five invoices of the manual's list, with its numbers, invoice
dates, payers and totals. The numbers between them belong to other customers in the manual: the
demo issues them to our second customer (Nordlys Eiendom AS), paid, so the series stays gap-free
and Avonova's numbers come out as the manual's. The manual was taken in March 2018, when the last
two were not yet due ('Ubetalt'); so that they are unpaid and not overdue when the demo is
loaded, their due date is agreed later than the 20 days' terms (`due_in_days` from loading).

Familjebostäder (001_): one work order of our own (the manual shows none invoiced: 'Fakturerade
0'), done by Testfirma AB and invoiced by its invoice with the reference AO + number, so the
'Fakturerad' status shows the loop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoInvoice:
    number: str
    issue_date: str
    payer: str
    amount: str
    description: str
    due_in_days: int | None = None  # None: the tenant's payment terms


AVONOVA_STAFF = "kundeansvarlig"
AVONOVA_INVOICES = (
    DemoInvoice("2017-118350", "2017-12-31", "Testbedriften AS", "1500", "Helsekontroll"),
    DemoInvoice("2017-118352", "2017-12-19", "Bergen TEST", "3000", "Førstehjelpskurs"),
    DemoInvoice("2017-118359", "2017-12-31", "Bergen TEST", "3000", "Støttesamtaler"),
    DemoInvoice("2018-118371", "2018-02-28", "Bergen TEST", "1000", "Ergonomigjennomgang", 14),
    DemoInvoice("2018-118376", "2018-03-06", "Testbedriften AS", "5", "Gebyr", 20),
)
FILLER_PAYER = "Nordlys Eiendom AS"

FB_STAFF = "elsa.osterberg"
FB_CONTRACTOR = "1999/99999"
FB_CUSTOMER = "Familjebostäder AB"
FB_CONTRACTOR_NAME = "Testfirma AB"
FB_DESCRIPTION = "Droppande kran i tvättstugan"
FB_INVOICE_NUMBER = "TF-2019-0815"
FB_INVOICE_AMOUNT = "1875.00"
