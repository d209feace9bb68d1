"""Invoices (with their lines and payments folded in) and insurance claims → the custom invoice and insuranceClaim.

Billing stays in the practice system; Twenty keeps a reference copy the front desk can read next
to the patient: number, status, amounts and dates, the lines as a JSON list and a payment summary.
Payment references (card and HICAPS transaction numbers) are not copied: payment processing stays
out of Twenty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from decimal import Decimal

from core_practice_twenty.mapping.objects.common import (
    Available,
    Cells,
    MappingResult,
    Row,
    Warnings,
    apply_extra_columns,
    first_missing,
    natural_key,
    zone_for,
)
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import INSURANCE_CLAIMS, INVOICES, PEOPLE
from core_practice_twenty.mapping.transforms import (
    boolean,
    canonical,
    clean,
    currency_code,
    money,
    money_value,
    parse_amount,
    status_value,
)
from core_practice_twenty.model.staged import make_staged_record, ref

SOURCE = "invoices"
LINES = "invoice_lines"
PAYMENTS = "payments"
CLAIMS = "insurance_claims"


def _number(amount: Decimal | None) -> float | None:
    """An amount for a RAW_JSON summary: a plain number with cents, readable in Twenty's JSON view."""
    return float(amount) if amount is not None else None


def line_items(lines: Sequence[Row], options: MappingOptions) -> list[dict]:
    """An invoice's lines, in source order, as the RAW_JSON list Twenty shows."""
    items = []
    for row in sorted(lines, key=lambda r: int(r.get("source_line") or 0)):
        cells = Cells(row, LINES, options)
        quantity = cells["quantity"]
        items.append({
            "lineId": str(row["line_id"]),
            "itemCode": cells.codes("item_code"),
            "description": cells["description"],
            "tooth": cells.codes("tooth"),
            "quantity": int(quantity) if quantity and quantity.lstrip("-").isdigit() else None,
            "unitFee": _number(parse_amount(cells["unit_fee"])),
            "lineTotal": _number(parse_amount(cells["line_total"])),
        })
    return items


def payment_summary(payments: Sequence[Row], options: MappingOptions) -> dict | None:
    """An invoice's payments: count, net total, reversals, methods, last payment, and each payment (no references)."""
    if not payments:
        return None
    items = []
    total = Decimal(0)
    for row in sorted(payments, key=lambda r: (Cells(r, PAYMENTS, options).local_time("paid_at") or "",
                                               natural_key(str(r["payment_id"])))):
        cells = Cells(row, PAYMENTS, options)
        amount = parse_amount(cells["amount"]) or Decimal(0)
        total += amount
        items.append({
            "paymentId": str(row["payment_id"]),
            "paidAt": cells.local_time("paid_at"),
            "amount": _number(amount),
            "method": canonical(PAYMENTS, "method", cells["method"]) or cells["method"],
            "isReversal": bool(boolean(cells["is_reversal"])),
        })
    methods = Counter(i["method"] for i in items if i["method"])
    return {
        "count": len(items),
        "netPaid": _number(total),
        "reversals": sum(1 for i in items if i["isReversal"]),
        "methods": dict(sorted(methods.items())),
        "lastPaidAt": max((i["paidAt"] for i in items if i["paidAt"]), default=None),
        "items": items,
    }


def map_invoices(invoices: Sequence[Row], lines: Sequence[Row] = (), payments: Sequence[Row] = (),
                 warnings: Warnings | None = None, options: MappingOptions | None = None,
                 available: Available | None = None, timezones: Mapping[str, tzinfo] | None = None,
                 patient_practice: Mapping[str, str] | None = None) -> MappingResult:
    """Accepted invoices + their lines + their payments → invoice records.

    Lines and payments are folded into their invoice (`invoice_lines.staged` counts folded rows). A
    line or payment whose invoice is not staged is held back naming the invoice; a payment without
    an invoice has nothing to attach to in Twenty and is held back as `payment_without_invoice`. An
    invoice whose patient was not staged is held back naming the patient. A missing balance is
    total − paid.
    """
    options = options or MappingOptions()
    region = options.region
    result = MappingResult(target=INVOICES.name_plural, source_object=SOURCE)
    for name, rows in ((SOURCE, invoices), (LINES, lines), (PAYMENTS, payments)):
        result.count(f"{name}.rows", len(rows))
    lines_of: dict[str, list[Row]] = {}
    for row in lines:
        lines_of.setdefault(str(row["invoice_id"]), []).append(row)
    payments_of: dict[str, list[Row]] = {}
    for row in payments:
        invoice = clean(row.get("invoice_id"))
        if invoice is None:
            result.hold(PAYMENTS, str(row["payment_id"]), Cells(row, PAYMENTS, options).line,
                        "payment_without_invoice")
            continue
        payments_of.setdefault(invoice, []).append(row)

    staged_invoices: set[str] = set()
    held_invoices: dict[str, str] = {}
    for row in invoices:
        cells = Cells(row, SOURCE, options)
        key = str(row["invoice_id"])
        patient = cells["patient_id"]
        missing = first_missing(available, [(PEOPLE.name_plural, patient)])
        if missing:
            held_invoices[key] = missing
            result.hold(SOURCE, key, cells.line, missing)
            continue
        currency = currency_code(cells["currency"], region)
        total = parse_amount(cells["total"])
        paid = parse_amount(cells["amount_paid"])
        balance = parse_amount(cells["balance"])
        if balance is None and total is not None:
            balance = total - (paid or Decimal(0))
        payload: dict = {
            INVOICES.source_key_field: key,
            "name": cells["invoice_no"] or key,
            "invoiceNumber": cells["invoice_no"],
            "invoiceStatus": status_value("invoices.status", SOURCE, "status", cells["status"]),
            "total": money_value(total, region, currency) if total is not None else None,
            "amountPaid": money_value(paid, region, currency) if paid is not None else None,
            "outstandingBalance": money_value(balance, region, currency) if balance is not None else None,
            "invoiceDate": cells.date("invoice_date"),
            "dueDate": cells.date("due_date"),
            "lineItems": line_items(lines_of.get(key, []), options),
            "payments": payment_summary(payments_of.get(key, []), options),
            "patientId": ref(PEOPLE.name_plural, patient),
        }
        home = cells["practice_id"] or (patient_practice or {}).get(patient or "")
        cells.stamp(payload, "created_at", zone_for(timezones, home, options))
        apply_extra_columns(payload, cells, INVOICES.name_plural)
        result.stage(SOURCE, make_staged_record(source_key=key, source_line=cells.line, payload=payload))
        staged_invoices.add(key)

    for name, grouped, key_column in ((LINES, lines_of, "line_id"), (PAYMENTS, payments_of, "payment_id")):
        for invoice, rows in grouped.items():
            for row in rows:
                line = Cells(row, name, options).line
                if invoice in staged_invoices:
                    result.count(f"{name}.staged")
                elif invoice in held_invoices:
                    result.hold(name, str(row[key_column]), line,
                                f"dependency_held_back: invoices {invoice} ({held_invoices[invoice]})")
                else:
                    result.hold(name, str(row[key_column]), line, f"dependency_missing: invoices {invoice}")
    return result


def map_insurance_claims(rows: Sequence[Row], warnings: Warnings | None = None,
                         options: MappingOptions | None = None, available: Available | None = None,
                         timezones: Mapping[str, tzinfo] | None = None,
                         patient_practice: Mapping[str, str] | None = None) -> MappingResult:
    """Accepted claim rows → insuranceClaim records related to the patient and (when given) the invoice.

    A claim whose patient or named invoice was not staged is held back with the dependency named.
    """
    options = options or MappingOptions()
    region = options.region
    result = MappingResult(target=INSURANCE_CLAIMS.name_plural, source_object=CLAIMS)
    result.count(f"{CLAIMS}.rows", len(rows))
    for row in rows:
        cells = Cells(row, CLAIMS, options)
        key = str(row["claim_id"])
        patient, invoice = cells["patient_id"], cells["invoice_id"]
        missing = first_missing(available, [(PEOPLE.name_plural, patient), (INVOICES.name_plural, invoice)])
        if missing:
            result.hold(CLAIMS, key, cells.line, missing)
            continue
        payload: dict = {
            INSURANCE_CLAIMS.source_key_field: key,
            "name": key,
            "claimStatus": status_value("insurance_claims.status", CLAIMS, "status", cells["status"]),
            "claimDate": cells.date("claim_date"),
            "providerName": cells["provider_name"],
            "serviceCode": cells.codes("service_code"),
            "payer": cells["payer"],
            "amountClaimed": money(cells["amount_claimed"], region),
            "amountPaid": money(cells["amount_paid"], region),
            "patientId": ref(PEOPLE.name_plural, patient),
            "invoiceId": ref(INVOICES.name_plural, invoice) if invoice else None,
        }
        home = cells["practice_id"] or (patient_practice or {}).get(patient or "")
        cells.stamp(payload, "created_at", zone_for(timezones, home, options))
        apply_extra_columns(payload, cells, INSURANCE_CLAIMS.name_plural)
        result.stage(CLAIMS, make_staged_record(source_key=key, source_line=cells.line, payload=payload))
    return result
