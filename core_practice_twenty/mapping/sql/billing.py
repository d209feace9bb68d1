"""Invoices (their lines and payments folded in as summaries) and insurance claims, as compiled plans.

Billing stays in the practice system; Twenty keeps a reference copy the front desk can read next to the patient:
number, status, amounts and dates, the lines as a JSON list and a payment summary. Payment references (card and
HICAPS transaction numbers) are not copied: payment processing stays out of Twenty. A line or payment is part of its
invoice's record (counted staged with it, or held back naming the invoice), a payment without an invoice is held
back, a missing balance is total − paid.
A practice's own column the map keeps in the line or payment summary (`json_summary`) is written into each line
or payment under its header.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal

from core_practice_twenty.mapping.default_map import POLICY_FIELDS
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.compile import (
    STAGED_ROWS,
    ObjectPlan,
    Route,
    StagedSelect,
    accepted,
    codes_of,
    currency_of,
    extras,
    first_missing,
    home_of,
    in_part,
    micros_text,
    missing,
    routed_members,
    routes,
    with_extras,
    zone_of,
)
from core_practice_twenty.mapping.sql.payload import NULL, Member, dependency, json_list, json_object, value
from core_practice_twenty.mapping.target_model import INSURANCE_CLAIMS, INVOICES, PEOPLE
from core_practice_twenty.mapping.transforms import as_region, boolean, canonical, parse_amount
from core_practice_twenty.model.regions import REGION_FACTS
from core_practice_twenty.validation.sql_values import sql_string

SOURCE = "invoices"
LINES = "invoice_lines"
PAYMENTS = "payments"
CLAIMS = "insurance_claims"


def summary_number(amount: Decimal | None) -> float | None:
    """An amount for a RAW_JSON summary: a plain number with cents, readable in Twenty's JSON view."""
    return float(amount) if amount is not None else None



def _json(read: Callable[[str], object]) -> Callable[[str], str]:
    """A reading whose value is written into the payload as JSON (a number, a boolean) rather than as text."""
    return lambda raw: json.dumps(read(raw))


def _quantity(raw: str) -> int | None:
    try:
        return int(raw) if raw.lstrip("-").isdigit() else None
    except ValueError:  # a digit Python counts but cannot read (`²`)
        return None


def _own(options: MappingOptions, source_object: str, cells: SqlCells) -> list[Member]:
    """The practice's own columns the map keeps in this summary, under their headers."""
    headers = (options.extra or {}).get("summary_columns", {}).get(source_object, [])
    return [Member(header, value(cells.extra(header))) for header in headers]


def _line_items(wave: str, options: MappingOptions, sample: bool) -> tuple[str, SqlCells]:
    """SQL (invoice, items): each invoice's lines in source order as `billing.line_items` writes them."""
    cells = SqlCells(LINES, options, alias="l")
    item = json_object([
        Member("lineId", value("l.line_id")),
        Member("itemCode", value(codes_of(cells, "item_code"))),
        Member("description", value(cells["description"])),
        Member("tooth", value(codes_of(cells, "tooth"))),
        Member("quantity", f"coalesce({cells.lookup('quantity', 'quantity', _json(_quantity))}, {NULL})"),
        Member("unitFee", f"coalesce({cells.lookup('number_unit_fee', 'unit_fee', _json(_amount))}, {NULL})"),
        Member("lineTotal", f"coalesce({cells.lookup('number_line_total', 'line_total', _json(_amount))}, {NULL})"),
        *_own(options, LINES, cells),
    ])
    sql = (f"select coalesce(l.invoice_id, 'None') as invoice, '[' || string_agg({item}, ',' order by l.source_line) "
           f"|| ']' as items {accepted(LINES, wave, sample, 'l')} and {in_part('l.invoice_id')} group by 1")
    return sql, cells


def _amount(raw: str) -> float | None:
    return summary_number(parse_amount(raw))


def _payment_summaries(wave: str, options: MappingOptions, sample: bool) -> tuple[str, SqlCells]:
    """SQL (invoice, summary): each invoice's payments as `billing.payment_summary` writes them."""
    cells = SqlCells(PAYMENTS, options, alias="p")
    paid_at = f"strftime({cells.parsed('paid_at')}, '%Y-%m-%dT%H:%M')"
    amount = cells.lookup("amount", "amount", lambda raw: str(parse_amount(raw) or Decimal(0)))
    amount_json = cells.lookup("amount_json", "amount",
                               _json(lambda raw: summary_number(parse_amount(raw) or Decimal(0))))
    method = cells.lookup("method", "method", lambda raw: canonical(PAYMENTS, "method", raw) or raw)
    reversal = cells.lookup("is_reversal", "is_reversal", _json(lambda raw: bool(boolean(raw))))
    payments = (f"select p.invoice_id, p.payment_id, {paid_at} as paid_at, coalesce({amount}, '0') as amount, "
                f"coalesce({amount_json}, '0.0') as amount_json, {method} as method, "
                f"coalesce({reversal}, 'false') as reversal {accepted(PAYMENTS, wave, sample, 'p')} "
                f"and {in_part('p.invoice_id')} "
                f"and p.invoice_id is not null")
    item = json_object([Member("paymentId", value("q.payment_id")), Member("paidAt", value("q.paid_at")),
                        Member("amount", "q.amount_json"), Member("method", value("q.method")),
                        Member("isReversal", "q.reversal")])
    methods = (f"(select '{{' || string_agg(to_json(m.method)::varchar || ':' || m.n::varchar, ',' order by m.method) "
               f"|| '}}' from (select q2.method, count(*) as n from ({payments}) q2 where q2.invoice_id = q.invoice_id "
               f"and q2.method is not null group by 1) m)")
    summary = json_object([
        Member("count", "count(*)::varchar"),
        Member("netPaid", value("sum(q.amount::decimal(38, 12))::double")),
        Member("reversals", "sum(case when q.reversal = 'true' then 1 else 0 end)::varchar"),
        Member("methods", f"coalesce(any_value({methods}), '{{}}')"),
        Member("lastPaidAt", value("max(q.paid_at)")),
        Member("items", f"'[' || string_agg({item}, ',' order by coalesce(q.paid_at, ''), length(q.payment_id), "
                        f"q.payment_id) || ']'"),
    ])
    return f"select q.invoice_id as invoice, {summary} as summary from ({payments}) q group by q.invoice_id", cells


def _folded(name: str, key_column: str, wave: str, sample: bool, invoice: str) -> str:
    """Hold-backs of lines or payments whose invoice was not staged: (object, key, line, reason)."""
    held = (f"(select h.reason from plan_held h where h.object = '{INVOICES.name_plural}' "
            f"and h.source_key = {invoice})")
    return (f"select {sql_string(name)}, x.\"{key_column}\", x.source_line, case when {held} is not null then "
            f"'dependency_held_back: invoices ' || {invoice} || ' (' || {held} || ')' else "
            f"'dependency_missing: invoices ' || {invoice} end {accepted(name, wave, sample, 'x')} and "
            f"{invoice} not in (select source_key from stg_twenty_invoices where wave = {sql_string(wave)})")


def _route(routed: list[Route], target: str) -> Route | None:
    return next((r for r in routed if target in r.targets), None)


def invoices_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                  field_map: FieldMap | None = None,
                  target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Invoices with their lines and payments → invoice records."""
    cells = SqlCells(SOURCE, options)
    patient = cells["patient_id"]
    home = home_of(patient)
    zone = zone_of(f"coalesce({cells['practice_id']}, {home})", context)
    lines, line_cells = _line_items(wave, options, context.sample)
    payments, payment_cells = _payment_summaries(wave, options, context.sample)
    joined = (f"left join ({lines}) li on li.invoice = r.invoice_id "
              f"left join ({payments}) ps on ps.invoice = r.invoice_id")
    rows = (f"select r.*, r.invoice_id as _key, {zone} as _zone, {missing(PEOPLE.name_plural, patient, wave)} as "
            f"_hold, li.items as _lines, ps.summary as _payments "
            f"{accepted(SOURCE, wave, context.sample, joins=joined)} and {in_part('r.invoice_id')}")
    routed = routes(field_map, SOURCE, options)
    members = routed_members(cells, routed, INVOICES.name_plural, "r._zone",
                             POLICY_FIELDS[(SOURCE, INVOICES.name_plural)])
    micros = {}
    for part in ("total", "amountPaid", "outstandingBalance"):
        route = _route(routed, f"{INVOICES.name_plural}.{part}.amountMicros")
        micros[part] = (f"({cells.lookup(f'micros_{route.column}', route.column, micros_text)})::bigint"
                        if route else "null::bigint")
    balance = (f"coalesce({micros['outstandingBalance']}, case when {micros['total']} is not null then "
               f"{micros['total']} - coalesce({micros['amountPaid']}, 0) end)")
    currency_route = _route(routed, f"{INVOICES.name_plural}.outstandingBalance.currencyCode")
    currency = (currency_of(cells, currency_route.column) if currency_route
                else sql_string(REGION_FACTS[as_region(options.region)].currency))
    outstanding = json_object([Member("amountMicros", value(balance)), Member("currencyCode", value(currency))])
    members += [
        Member("name", value(f"coalesce({cells['invoice_no']}, r._key)")),
        Member("lineItems", "coalesce(r._lines, '[]')"),
        Member("payments", f"coalesce(r._payments, {NULL})"),
        Member("outstandingBalance", f"case when ({balance}) is null then {NULL} else {outstanding} end"),
    ]
    members = with_extras(members, extras(cells, INVOICES.name_plural))
    invoice = StagedSelect(INVOICES.name_plural, (
        f"select r._key as source_key, r.source_line, {json_object(members)} as payload, "
        f"{json_list([dependency(PEOPLE.name_plural, patient)])} as depends_on, '[]' as notes "
        f"from plan_rows r where r._hold is null"))
    line_invoice = "coalesce(x.invoice_id, 'None')"
    staged_invoices = f"(select source_key from stg_twenty_invoices where wave = {sql_string(wave)})"
    holds = [
        f"select '{PAYMENTS}', x.payment_id, x.source_line, 'payment_without_invoice' "
        f"{accepted(PAYMENTS, wave, context.sample, 'x')} and x.invoice_id is null",
        _folded(LINES, "line_id", wave, context.sample, line_invoice),
        _folded(PAYMENTS, "payment_id", wave, context.sample, "x.invoice_id") + " and x.invoice_id is not null",
    ]
    counts = {
        f"{SOURCE}.staged": STAGED_ROWS,
        f"{LINES}.rows": f"select count(*) {accepted(LINES, wave, context.sample, 'x')}",
        f"{LINES}.staged": f"select count(*) {accepted(LINES, wave, context.sample, 'x')} and {line_invoice} in "
                           f"{staged_invoices}",
        f"{PAYMENTS}.rows": f"select count(*) {accepted(PAYMENTS, wave, context.sample, 'x')}",
        f"{PAYMENTS}.staged": f"select count(*) {accepted(PAYMENTS, wave, context.sample, 'x')} and x.invoice_id in "
                              f"{staged_invoices}",
    }
    return ObjectPlan(SOURCE, INVOICES.name_plural, rows, [invoice], [cells, line_cells, payment_cells], holds, counts)


def insurance_claims_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                          field_map: FieldMap | None = None,
                          target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Insurance claims → insuranceClaim records, linked to their invoice where they name one."""
    cells = SqlCells(CLAIMS, options)
    patient, invoice = cells["patient_id"], cells["invoice_id"]
    home = home_of(patient)
    zone = zone_of(f"coalesce({cells['practice_id']}, {home})", context)
    hold = first_missing(wave, (PEOPLE.name_plural, patient), (INVOICES.name_plural, invoice))
    rows = f"select r.*, r.claim_id as _key, {zone} as _zone, {hold} as _hold {accepted(CLAIMS, wave, context.sample)}"
    members = routed_members(cells, routes(field_map, CLAIMS, options), INSURANCE_CLAIMS.name_plural, "r._zone",
                             POLICY_FIELDS[(CLAIMS, INSURANCE_CLAIMS.name_plural)])
    members.append(Member("name", value("r._key")))
    members = with_extras(members, extras(cells, INSURANCE_CLAIMS.name_plural))
    deps = json_list([dependency(PEOPLE.name_plural, patient), dependency(INVOICES.name_plural, invoice)])
    claim = StagedSelect(INSURANCE_CLAIMS.name_plural, (
        f"select r._key as source_key, r.source_line, {json_object(members)} as payload, {deps} as depends_on, "
        f"'[]' as notes from plan_rows r where r._hold is null"))
    return ObjectPlan(CLAIMS, INSURANCE_CLAIMS.name_plural, rows, [claim], [cells],
                      counts={f"{CLAIMS}.staged": STAGED_ROWS})
