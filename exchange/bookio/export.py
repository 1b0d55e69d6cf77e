"""Writing the book of record out in the exchange format, streamed a chunk at a time and in a
fixed order (policy_number, claim_number, then booking order), so that export → import →
export gives byte-identical files. Text cells are escaped against spreadsheet formulas
(core/csvsafe.py; the import reverses it), numeric columns are written as they are."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.utils import timezone

from core.csvsafe import TextSafeWriter
from core.money import money_round
from exchange import selectors
from exchange.bookio import format as fmt
from fx import selectors as fx_selectors
from reinsurance import selectors as treaty_selectors
from segments import selectors as segment_selectors


def _money(value, currency: str) -> str:
    if value is None:
        return ""
    v = money_round(value, currency)
    return str(abs(v) if v == 0 else v)


def _number(value) -> str:
    """A percentage or share without trailing zeros: 10.0000 → 10, 0.2500 → 0.25."""
    if value is None:
        return ""
    v = Decimal(value)
    if v == 0:
        return "0"
    return format(v.normalize(), "f")


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _timestamp(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def _bool(value) -> str:
    return "true" if value else "false"


def _int(value) -> str:
    return "" if value is None else str(value)


def _policy_cells(p: dict) -> tuple:
    cur = p["currency"]
    original = p["original"] or {}
    return (
        p["policy_number"], p["insured__name"], p["profession"], _int(p["risk_group"]), p["segment"], p["basis"],
        _date(p["retro_date"]), cur, _date(p["inception_date"]), _date(p["expiry_date"]), _date(p["issue_date"]),
        _money(p["limit_per_claim"], cur), _money(p["aggregate_limit"], cur), _money(p["deductible_amount"], cur),
        _number(p["deductible_percent"]), _money(original.get("gross_premium"), cur),
        _money(original.get("commission"), cur),
        original.get("transaction_id", ""), _timestamp(original.get("recorded_at")),
        _bool(p["expenses_within_limits"]), p["insured__kind"], p["tariff_version"], _bool(p["cover_in_diyeh"]),
        _int(p["diyeh_year"]), _bool(p["diyeh_increase_endorsement"]),
    )


def _premium_transaction_cells(r: dict) -> tuple:
    cur = r["policy__currency"]
    return (
        r["transaction_id"], r["policy__policy_number"], r["kind"], _date(r["accounting_date"]),
        _date(r["effective_date"]), _money(r["gross_premium"], cur), _money(r["commission"], cur),
        _timestamp(r["recorded_at"]), r["reverses__transaction_id"] or "", r["note"],
    )


def _claim_cells(c: dict) -> tuple:
    return (
        c["claim_number"], c["policy__policy_number"], _date(c["occurrence_date"]), _date(c["report_date"]),
        c["cause"], _bool(c["litigated"]), c["claimant"], _number(c["awarded_diyeh_share"]),
    )


def _claim_transaction_cells(r: dict) -> tuple:
    cur = r["claim__policy__currency"]
    return (
        r["transaction_id"], r["claim__claim_number"], _date(r["accounting_date"]), r["kind"], r["cost_type"],
        _money(r["amount"], cur), _timestamp(r["recorded_at"]), r["reverses__transaction_id"] or "",
        _bool(r["topup"]), r["note"],
    )


def _segment_cells(s: dict) -> tuple:
    return (s["code"], s["name_en"], s["name_ru"], s["name_fa"], s["line_of_business"], s["accounting_group"])


def _fx_rate_cells(r: dict) -> tuple:
    return (_date(r["rate_date"]), r["currency"], _number(r["rate"]), r["source"])


def _treaty_cells(t: dict) -> tuple:
    cur = t["currency"]
    return (t["code"], t["kind"], t["segment"], str(t["underwriting_year"]), cur, _number(t["ceded_percent"]),
            _number(t["ceding_commission_percent"]), _money(t["retention"], cur) if cur else "",
            _money(t["limit"], cur) if cur else "", t["reinsurer"])


# Per file of the format: its rows (exchange.selectors, in export order) and each row's cells,
# in the order of the spec's columns.
EXPORTS: tuple[tuple[fmt.FileSpec, Callable[[], Iterable[dict]], Callable[[dict], tuple]], ...] = (
    (fmt.SEGMENTS, segment_selectors.segments_for_export, _segment_cells),
    (fmt.FX_RATES, fx_selectors.rates_for_export, _fx_rate_cells),
    (fmt.TREATIES, treaty_selectors.treaties_for_export, _treaty_cells),
    (fmt.POLICIES, selectors.policies_for_export, _policy_cells),
    (fmt.PREMIUM_TRANSACTIONS, selectors.premium_transactions_for_export, _premium_transaction_cells),
    (fmt.CLAIMS, selectors.claims_for_export, _claim_cells),
    (fmt.CLAIM_TRANSACTIONS, selectors.claim_transactions_for_export, _claim_transaction_cells),
)


def file_write(handle: IO[str], spec: fmt.FileSpec, rows: Iterable[dict], cells: Callable[[dict], tuple]) -> int:
    """One file of the book: the spec's header, then a line a row; text cells escaped, the
    spec's numeric columns as they are. Returns the number of rows."""
    w = TextSafeWriter(handle, spec.columns, numeric=spec.numeric)
    w.writeheader()
    n = 0
    for row in rows:
        line = cells(row)
        if len(line) != len(spec.columns):
            raise ValueError(f"{spec.name}: {len(line)} cells for {len(spec.columns)} columns")
        w.writerow(line)
        n += 1
    return n


def book_json() -> str:
    end = selectors.book_end_date()
    return json.dumps({"end_date": end.isoformat() if end else None, "format_version": fmt.FORMAT_VERSION}) + "\n"


def book_write(directory: Path) -> dict[str, int]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for spec, rows, cells in EXPORTS:
        with open(directory / spec.name, "w", encoding="utf-8", newline="") as handle:
            counts[spec.name] = file_write(handle, spec, rows(), cells)
    (directory / fmt.BOOK_JSON).write_text(book_json(), encoding="utf-8")
    return counts
