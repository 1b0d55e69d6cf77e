"""Writes a DemoBook as a book-exchange folder (design.md §5): what is known at the end date
goes into the four CSVs and book.json, its segments into segments.csv and official rates to the
reporting currency at each quarter end into fx_rates.csv (issue 17); `truth=True` adds
truth.csv with the true ultimates (per segment × currency × accident quarter × report quarter).

Columns are formatted as whole arrays and joined into lines; no value needs CSV quoting
(names, causes and codes contain no comma, quote or newline).
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from core.csvsafe import TextSafeWriter
from exchange.demo import params as P
from exchange.demo.book import DemoBook
from exchange.demo.calendar import NONE_DAY, as_datetime64, iso_dates
from exchange.demo.claims import CLAIM_KINDS, COST_TYPES
from exchange.demo.policies import PREMIUM_KINDS, PROFESSION_CODES
from segments.seed import SEED as SEGMENT_SEED

_TWO_DIGITS = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_HOURS = np.array([f"{i:02d}" for i in range(24)], dtype=object)

POLICY_COLUMNS = (
    "policy_number", "insured_name", "profession", "risk_group", "segment", "basis", "retro_date", "currency",
    "inception_date", "expiry_date", "issue_date", "limit_per_claim", "aggregate_limit", "deductible_amount",
    "deductible_percent", "gross_premium", "commission", "recorded_at", "insured_kind", "tariff_version",
)
PREMIUM_COLUMNS = ("transaction_id", "policy_number", "kind", "accounting_date", "effective_date", "gross_premium",
                   "commission", "recorded_at", "reverses")
CLAIM_COLUMNS = ("claim_number", "policy_number", "occurrence_date", "report_date", "cause", "litigated")
CLAIM_TX_COLUMNS = ("transaction_id", "claim_number", "accounting_date", "kind", "cost_type", "amount", "recorded_at",
                    "reverses")
# truth.csv: the true ultimate per segment × currency × accident quarter × report quarter (basis
# says which of the two quarters decides what is unpaid at a valuation date: book.DemoBook.truth)
TRUTH_COLUMNS = ("segment", "currency", "basis", "accident_quarter", "report_quarter", "ultimate")
SEGMENT_COLUMNS = ("code", "name_en", "name_ru", "name_fa", "line_of_business", "accounting_group")
FX_RATE_COLUMNS = ("date", "currency", "rate", "source")
TREATY_COLUMNS = ("code", "kind", "segment", "underwriting_year", "currency", "ceded_percent",
                  "ceding_commission_percent", "retention", "limit", "reinsurer")
FILES = ("segments.csv", "fx_rates.csv", "treaties.csv", "policies.csv", "premium_transactions.csv", "claims.csv",
         "claim_transactions.csv", "book.json")


def money_text(minor, currency) -> np.ndarray:
    """Amounts in minor units as decimal strings: RUB with two decimals, IRR whole rials.
    Negative values (none) stay for the caller to blank."""
    minor = np.asarray(minor, dtype=np.int64)
    kopecks = np.asarray(currency) == 0
    size = np.abs(minor)
    out = np.where(kopecks, size // 100, size).astype(str).astype(object)
    out[kopecks] = out[kopecks] + "." + _TWO_DIGITS[size[kopecks] % 100]
    negative = minor < 0
    out[negative] = "-" + out[negative]
    return out


def _optional_money(minor, currency) -> np.ndarray:
    out = money_text(np.maximum(minor, 0), currency)
    out[np.asarray(minor) < 0] = ""
    return out


def recorded_at_text(seconds) -> np.ndarray:
    """Seconds since the epoch in business time as ISO 8601 at +03:00 (Moscow)."""
    day, rest = np.divmod(np.asarray(seconds, dtype=np.int64), 86400)
    hh, rest = np.divmod(rest, 3600)
    mm, ss = np.divmod(rest, 60)
    dates = as_datetime64(day).astype(str).astype(object)
    return dates + "T" + _HOURS[hh] + ":" + _TWO_DIGITS[mm] + ":" + _TWO_DIGITS[ss] + "+03:00"


def _write_csv(path: Path, columns: tuple[str, ...], values: list) -> int:
    cols = [np.asarray(v, dtype=object).astype(str) if not isinstance(v, np.ndarray) or v.dtype != object else v
            for v in values]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(columns) + "\n")
        if len(cols[0]):
            fh.write("\n".join(map(",".join, zip(*cols))))
            fh.write("\n")
    return len(cols[0])


def _write_small_csv(path: Path, columns: tuple[str, ...], rows: list[tuple], numeric=()) -> int:
    """Through the product's CSV writer: the segments' names hold commas, and a text cell gets
    the spreadsheet-formula escape as export_book writes it (exchange/README.md)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = TextSafeWriter(fh, columns, numeric=numeric)
        w.writeheader()
        for row in rows:
            w.writerow(row)
    return len(rows)


def quarter_ends(start: date, end: date) -> list[date]:
    """Every quarter's last day from the quarter of `start` to the one of `end` (the last one
    clipped to `end`, so that a book ending mid-quarter has a rate on its end date too)."""
    out, year, quarter = [], start.year, (start.month - 1) // 3 + 1
    while True:
        nxt = date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
        day = min(nxt - timedelta(days=1), end)
        out.append(day)
        if day >= end:
            return out
        year, quarter = nxt.year, (nxt.month - 1) // 3 + 1


def fx_rates(book: DemoBook, reporting_currency: str = "RUB") -> list[tuple[str, str, str, str]]:
    """(date, currency, rate, source) rows: each demo currency but the reporting one, at every
    quarter end of the book; none when the reporting currency is not a demo currency."""
    if reporting_currency not in P.RUB_PER_UNIT:
        return []
    quantum = Decimal(1).scaleb(-P.FX_RATE_PLACES)
    rows = []
    for q, day in enumerate(quarter_ends(book.start_date, book.end_date)):
        rub = {c: Decimal(P.RUB_PER_UNIT[c]) * Decimal(P.RUB_PER_UNIT_DRIFT[c]) ** q for c in P.CURRENCIES}
        for currency in P.CURRENCIES:
            if currency == reporting_currency:
                continue
            rate = (rub[currency] / rub[reporting_currency]).quantize(quantum).normalize()
            rows.append((day.isoformat(), currency, format(rate, "f"), P.FX_RATE_SOURCE))
    return rows


def treaties(book: DemoBook) -> list[tuple]:
    """A quota share on one segment and an excess of loss on the other, for every underwriting
    year with a policy incepting in the book (params.TREATY_*)."""
    qs, xl = P.TREATY_QUOTA_SHARE, P.TREATY_EXCESS_OF_LOSS
    rows = []
    for year in range(book.start_date.year, book.end_date.year + 1):
        rows.append((f"{qs['prefix']}-{year}", "quota_share", qs["segment"], str(year), "", qs["ceded_percent"],
                     qs["ceding_commission_percent"], "", "", qs["reinsurer"]))
        rows.append((f"{xl['prefix']}-{year}", "excess_of_loss", xl["segment"], str(year), xl["currency"], "", "",
                     xl["retention"], xl["limit"], xl["reinsurer"]))
    return rows


def write_book(book: DemoBook, directory, *, truth: bool = False, reporting_currency: str = "RUB") -> dict[str, int]:
    """Write the folder; returns the number of data rows per file."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    end = book.end
    counts = {}
    # The two small reference files through the csv module: the segments' names hold commas.
    seed = {row[0]: row for row in SEGMENT_SEED}
    segments = [seed.get(code, (code, "", "", "", "", "")) for code in P.SEGMENTS]
    counts["segments.csv"] = _write_small_csv(out / "segments.csv", SEGMENT_COLUMNS, segments)
    counts["fx_rates.csv"] = _write_small_csv(out / "fx_rates.csv", FX_RATE_COLUMNS,
                                              fx_rates(book, reporting_currency), numeric=("rate",))
    counts["treaties.csv"] = _write_small_csv(out / "treaties.csv", TREATY_COLUMNS, treaties(book), numeric=(
        "underwriting_year", "ceded_percent", "ceding_commission_percent", "retention", "limit"))
    pol = book.policies
    cur = pol["currency"].to_numpy()
    seg = pol["segment"].to_numpy()
    ded_pct = pol["deductible_percent"].to_numpy()
    counts["policies.csv"] = _write_csv(out / "policies.csv", POLICY_COLUMNS, [
        pol["policy_number"].to_numpy(dtype=object),
        pol["insured_name"].to_numpy(dtype=object),
        PROFESSION_CODES[pol["profession"].to_numpy()],
        pol["risk_group"].to_numpy().astype(str).astype(object),
        np.array(P.SEGMENTS, dtype=object)[seg],
        np.array(P.SEGMENT_BASIS, dtype=object)[seg],
        iso_dates(np.where(seg == 1, pol["retro"].to_numpy(), NONE_DAY)),
        np.array(P.CURRENCIES, dtype=object)[cur],
        iso_dates(pol["inception"].to_numpy()),
        iso_dates(pol["expiry"].to_numpy()),
        iso_dates(pol["issue"].to_numpy()),
        money_text(pol["limit_per_claim"].to_numpy(), cur),
        money_text(pol["aggregate_limit"].to_numpy(), cur),
        _optional_money(pol["deductible_amount"].to_numpy(), cur),
        np.where(ded_pct >= 0, ded_pct.astype(str), "").astype(object),
        money_text(pol["gross_premium"].to_numpy(), cur),
        money_text(pol["commission"].to_numpy(), cur),
        # the original premium is recorded on its issue day
        recorded_at_text(pol["issue"].to_numpy() * 86400 + 9 * 3600 + (np.arange(len(pol)) * 7919) % (9 * 3600)),
        np.array(["person", "organisation"], dtype=object)[seg],
        np.full(len(pol), P.TARIFF_VERSION, dtype=object),
    ])

    prem = book.premium_ledger
    prem = prem[(prem["kind"].to_numpy() != 0) & (prem["acct"].to_numpy() <= end)]
    p = prem["policy"].to_numpy()
    pn = pol["policy_number"].to_numpy(dtype=object)[p]
    pcur = cur[p]
    reverses = prem["reverses"].to_numpy(dtype=object)
    counts["premium_transactions.csv"] = _write_csv(out / "premium_transactions.csv", PREMIUM_COLUMNS, [
        pn + "-" + prem["suffix"].to_numpy(dtype=object),
        pn,
        np.array(PREMIUM_KINDS, dtype=object)[prem["kind"].to_numpy()],
        iso_dates(prem["acct"].to_numpy()),
        iso_dates(prem["eff"].to_numpy()),
        money_text(prem["gross"].to_numpy(), pcur),
        money_text(prem["commission"].to_numpy(), pcur),
        # premium rows are recorded on their accounting day, at a time spread over the day
        recorded_at_text(prem["acct"].to_numpy() * 86400 + 9 * 3600
                         + (p * 7919 + prem["order"].to_numpy() * 613) % (9 * 3600)),
        np.where(reverses != "", pn + "-" + reverses, "").astype(object),
    ])

    claims = book.claims
    known = claims["report"].to_numpy() <= end
    cl = claims[known]
    counts["claims.csv"] = _write_csv(out / "claims.csv", CLAIM_COLUMNS, [
        cl["claim_number"].to_numpy(dtype=object),
        pol["policy_number"].to_numpy(dtype=object)[cl["policy"].to_numpy()],
        iso_dates(cl["occurrence"].to_numpy()),
        iso_dates(cl["report"].to_numpy()),
        cl["cause"].to_numpy(dtype=object),
        np.where(cl["litigated"].to_numpy(), "true", "false").astype(object),
    ])

    led = book.claim_ledger
    led = led[(led["date"].to_numpy() <= end) & ~led["derived"].to_numpy()]
    led = led.sort_values(["date", "claim", "seq"], kind="stable")
    c = led["claim"].to_numpy()
    cn = claims["claim_number"].to_numpy(dtype=object)[c]
    seq_text = np.array([f"{i:03d}" for i in range(int(led["seq"].max()) + 1 if len(led) else 1)], dtype=object)
    kind = led["kind"].to_numpy()
    amount = led["amount"].to_numpy()
    status_row = (kind == 3) | (kind == 4)
    amount_text = money_text(amount, claims["currency"].to_numpy()[c])
    amount_text[status_row] = ""
    rev = led["reverses_seq"].to_numpy()
    counts["claim_transactions.csv"] = _write_csv(out / "claim_transactions.csv", CLAIM_TX_COLUMNS, [
        cn + "-" + seq_text[led["seq"].to_numpy()],
        cn,
        iso_dates(led["date"].to_numpy()),
        np.array(CLAIM_KINDS, dtype=object)[kind],
        np.array(COST_TYPES, dtype=object)[led["cost"].to_numpy()],
        amount_text,
        recorded_at_text(led["recorded"].to_numpy()),
        np.where(rev > 0, cn + "-" + seq_text[rev], "").astype(object),
    ])

    (out / "book.json").write_text(json.dumps({"end_date": book.end_date.isoformat(),
                                               "format_version": P.FORMAT_VERSION}) + "\n", encoding="utf-8")
    if truth:
        t = book.truth()
        seg = t["segment"].to_numpy()
        counts["truth.csv"] = _write_csv(out / "truth.csv", TRUTH_COLUMNS, [
            np.array(P.SEGMENTS, dtype=object)[seg],
            np.array(P.CURRENCIES, dtype=object)[t["currency"].to_numpy()],
            np.array(P.SEGMENT_BASIS, dtype=object)[seg],
            t["accident_quarter"].to_numpy(dtype=object),
            t["report_quarter"].to_numpy(dtype=object),
            money_text(t["ultimate"].to_numpy(), t["currency"].to_numpy()),
        ])
    return counts
