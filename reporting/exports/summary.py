"""Reserve summary CSV: one row per segment and currency, money as decimal strings."""
from __future__ import annotations

import io

from core.csvsafe import TextSafeWriter
from core.money import money_round
from reporting.exports.data import RESERVE_TYPES, ReportData

COLUMNS = ["run_id", "valuation_date", "regime", "segment", "currency", "accounting_group", *RESERVE_TYPES, "total", "ibnr_method", "input_fingerprint"]
NUMERIC = ("run_id", *RESERVE_TYPES, "total")  # every other column is text, escaped (core/csvsafe.py)


def write_summary_csv(data: ReportData) -> bytes:
    buf = io.StringIO()
    w = TextSafeWriter(buf, COLUMNS, numeric=NUMERIC)
    w.writeheader()
    for r in sorted(data.reserves, key=lambda x: (x.currency, x.segment)):
        amounts = [str(money_round(r.amount(t), r.currency)) for t in RESERVE_TYPES]
        w.writerow([data.run_id, data.valuation_date.isoformat(), data.regime, r.segment, r.currency, r.accounting_group,
                    *amounts, str(money_round(r.total, r.currency)), r.ibnr_method, data.input_fingerprint])
    return buf.getvalue().encode("utf-8")
