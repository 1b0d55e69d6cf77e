"""Reserve summary CSV: one row per segment and currency, money as decimal strings."""
from __future__ import annotations

import io
from decimal import Decimal

from core.csvsafe import TextSafeWriter
from core.money import money_round
from reporting.exports.data import RESERVE_TYPES, ReportData

CEDED = tuple(f"ceded_{t}" for t in RESERVE_TYPES)
# the reinsurers' share and the net total come after the gross columns (issue 17), so a reader of
# the earlier layout finds every column where it was
COLUMNS = ["run_id", "valuation_date", "regime", "segment", "currency", "accounting_group", *RESERVE_TYPES, "total",
           "ibnr_method", "input_fingerprint", *CEDED, "ceded_total", "net_total"]
NUMERIC = ("run_id", *RESERVE_TYPES, "total", *CEDED, "ceded_total", "net_total")  # the rest is text (core/csvsafe.py)


def write_summary_csv(data: ReportData) -> bytes:
    buf = io.StringIO()
    w = TextSafeWriter(buf, COLUMNS, numeric=NUMERIC)
    w.writeheader()
    for r in sorted(data.reserves, key=lambda x: (x.currency, x.segment)):
        amounts = [money_round(r.amount(t), r.currency) for t in RESERVE_TYPES]
        ceded = [money_round(r.ceded(t), r.currency) for t in RESERVE_TYPES]
        total, ceded_total = sum(amounts, Decimal(0)), sum(ceded, Decimal(0))
        w.writerow([data.run_id, data.valuation_date.isoformat(), data.regime, r.segment, r.currency, r.accounting_group,
                    *map(str, amounts), str(money_round(r.total, r.currency)), r.ibnr_method, data.input_fingerprint,
                    *map(str, ceded), str(ceded_total), str(total - ceded_total)])
    return buf.getvalue().encode("utf-8")
