"""GL journal of the period's reserve movements: at each reporting date the opening balance is
reversed and the closing one booked (shared/reports.md), as balanced debit/credit pairs per
segment, currency and reserve type on a configurable chart of accounts. The reinsurers' shares
(issue 17 §3) are booked on their own accounts (340 РНП, 341 РЗУ, 342 РПНУ, 343 РРУУ) as
`ceded_<reserve type>`: an asset, so their movements run the other way round."""
from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from core.csvsafe import TextSafeWriter
from core.money import money_round
from reporting.exports.data import RESERVE_TYPES, ReportData, SegmentReserves


@dataclass(frozen=True)
class Accounts:
    reserve: str    # the liability account of the reserve
    release: str    # income: decrease / release of the reserve
    charge: str     # expense: increase / formation of the reserve
    verified: bool = False


# Pre-2025 defaults (shared/reports.md): 71403 income on release is confirmed; the reserve
# liability accounts and 71404 for formation are inferred. Editable in the admin.
DEFAULT_CHART: dict[str, Accounts] = {
    "upr": Accounts("331", "71403", "71404"),
    "premium_deficiency": Accounts("331", "71403", "71404"),
    "rbns": Accounts("332", "71403", "71404"),
    "ibnr": Accounts("333", "71403", "71404"),
    "ulae": Accounts("334", "71403", "71404"),
}

# The reinsurers' shares (shared/reports.md, confirmed accounts): an asset; its release is an
# expense (71404) and its formation income (71403), as the seeded ceded side of the chart says.
DEFAULT_CEDED_CHART: dict[str, Accounts] = {
    "upr": Accounts("340", "71404", "71403"),
    "premium_deficiency": Accounts("340", "71404", "71403"),
    "rbns": Accounts("341", "71404", "71403"),
    "ibnr": Accounts("342", "71404", "71403"),
    "ulae": Accounts("343", "71404", "71403"),
}

COLUMNS = ["entry_id", "line", "posting_date", "run_id", "segment", "currency", "reserve_type", "movement",
           "account", "debit", "credit", "description"]
NUMERIC = ("run_id", "line", "debit", "credit")  # every other column is text, escaped (core/csvsafe.py)


def journal_lines(data: ReportData, chart: dict[str, Accounts] | None = None,
                  ceded_chart: dict[str, Accounts] | None = None) -> list[list[str]]:
    chart = chart or DEFAULT_CHART
    ceded_chart = ceded_chart or DEFAULT_CEDED_CHART
    opening = {(r.segment, r.currency): r for r in data.opening}
    closing = {(r.segment, r.currency): r for r in data.reserves}
    lines: list[list[str]] = []
    n = 0
    for key in sorted(set(opening) | set(closing), key=lambda k: (k[1], k[0])):
        segment, currency = key
        for reserve_type in RESERVE_TYPES:
            acc = chart[reserve_type]
            steps: list[tuple[str, str, str, Decimal, str]] = []
            if key in opening:
                amt = money_round(opening[key].amount(reserve_type), currency)
                if amt:
                    steps.append(("reverse_opening", acc.reserve, acc.release, amt,
                                  f"Reverse opening {reserve_type} at {data.opening_date}"))
            if key in closing:
                amt = money_round(closing[key].amount(reserve_type), currency)
                if amt:
                    steps.append(("book_closing", acc.charge, acc.reserve, amt,
                                  f"Book closing {reserve_type} at {data.valuation_date}"))
            # the reinsurers' share: reverse the opening asset (Dr release, Cr asset), book the closing
            # one (Dr asset, Cr formation income)
            cacc = ceded_chart[reserve_type]
            if key in opening:
                amt = money_round(opening[key].ceded(reserve_type), currency)
                if amt:
                    steps.append(("reverse_opening", cacc.release, cacc.reserve, amt,
                                  f"Reverse opening reinsurers' share of {reserve_type} at {data.opening_date}",
                                  f"ceded_{reserve_type}"))
            if key in closing:
                amt = money_round(closing[key].ceded(reserve_type), currency)
                if amt:
                    steps.append(("book_closing", cacc.reserve, cacc.charge, amt,
                                  f"Book closing reinsurers' share of {reserve_type} at {data.valuation_date}",
                                  f"ceded_{reserve_type}"))
            for movement, debit, credit, amount, text, *label in steps:
                n += 1
                entry = f"{data.run_id}-{n:04d}"
                common = [data.valuation_date.isoformat(), str(data.run_id), segment, currency,
                          label[0] if label else reserve_type, movement]
                lines.append([entry, "1", *common, debit, str(amount), "", text])
                lines.append([entry, "2", *common, credit, "", str(amount), text])
    return lines


def write_gl_csv(data: ReportData, chart: dict[str, Accounts] | None = None,
                 ceded_chart: dict[str, Accounts] | None = None) -> bytes:
    buf = io.StringIO()
    w = TextSafeWriter(buf, COLUMNS, numeric=NUMERIC)
    w.writeheader()
    for line in journal_lines(data, chart, ceded_chart):
        w.writerow(line)
    return buf.getvalue().encode("utf-8")


def net_movement(data: ReportData, segment: str, currency: str, reserve_type: str) -> Decimal:
    """Closing − opening of one reserve: what the journal moves through profit and loss."""
    def amt(rows: list[SegmentReserves]):
        for r in rows:
            if (r.segment, r.currency) == (segment, currency):
                return money_round(r.amount(reserve_type), currency)
        return Decimal("0")
    return amt(data.reserves) - amt(data.opening)
