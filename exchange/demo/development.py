"""How the demo book develops, for calibration against shared/calibration.md: annual paid and
case-incurred development by accident year as % of incurred at lag 10, and loss ratios of
ultimate over earned premium. Uses each claim's full future (the generator knows it), so every
accident year of the book contributes all ten lags."""
from __future__ import annotations

import numpy as np
import pandas as pd

from exchange.demo import params as P
from exchange.demo.book import DemoBook, claim_paid, claim_ultimates
from exchange.demo.calendar import day_number, year_of
from exchange.demo.claims import RECOVERY, RESERVE

# shared/calibration.md, CAS Schedule P medmal, 34 insurers: % of case incurred at lag 10
CAS = pd.DataFrame({
    "lag": range(1, 11),
    "paid_1998_2007": [1.4, 9.5, 23.1, 39.6, 54.7, 70.1, 79.2, 84.4, 89.8, 93.1],
    "incurred_1998_2007": [28, 52, 78, 94, 100, 105, 103, 101, 101, 100],
    "paid_1988_1997": [4.0, 23.5, 46.2, 63.1, 75.1, 82.7, 87.4, 90.5, 92.7, 94.0],
    "incurred_1988_1997": [75, 107, 114, 114, 112, 109, 105, 103, 102, 100],
})
LAGS = 10


def _complete_years(book: DemoBook) -> np.ndarray:
    first = book.start_date.year + (0 if (book.start_date.month, book.start_date.day) == (1, 1) else 1)
    last = book.end_date.year - (0 if (book.end_date.month, book.end_date.day) == (12, 31) else 1)
    return np.arange(first, last + 1)


def development(book: DemoBook, *, segment: str | None = "individual_occurrence") -> pd.DataFrame:
    """lag | paid_pct | incurred_pct: cumulative at each year end after the accident year, as %
    of incurred at lag 10, summed over the book's full accident years. Each claim's amounts are
    divided by its severity reference (RUB 1m, a share of the year's diyeh) so that RUB and IRR
    claims add up on one scale."""
    claims, ledger = book.claims, book.claim_ledger
    years = _complete_years(book)
    ay = year_of(claims["occurrence"].to_numpy())
    keep_claim = np.isin(ay, years)
    if segment is not None:
        keep_claim &= claims["segment"].to_numpy() == P.SEGMENTS.index(segment)
    c = ledger["claim"].to_numpy()
    rows = keep_claim[c]
    # RUB and IRR amounts are put on one scale (the claim's severity reference) so they can be summed
    scale = claims["reference"].to_numpy()[c][rows].astype(float)
    lag = year_of(ledger["date"].to_numpy())[rows] - ay[c][rows] + 1
    paid = claim_paid(ledger)[rows] / scale
    effect, amount = ledger["effect"].to_numpy()[rows], ledger["amount"].to_numpy()[rows]
    incurred = (np.where(effect == RESERVE, amount, 0) - np.where(effect == RECOVERY, amount, 0)) / scale
    lag = np.clip(lag, 1, LAGS + 1)
    paid_by_lag = np.bincount(lag, weights=paid, minlength=LAGS + 2)[1:LAGS + 1].cumsum()
    inc_by_lag = np.bincount(lag, weights=incurred, minlength=LAGS + 2)[1:LAGS + 1].cumsum()
    base = inc_by_lag[-1] if inc_by_lag[-1] else np.nan
    return pd.DataFrame({"lag": np.arange(1, LAGS + 1), "paid_pct": 100 * paid_by_lag / base,
                         "incurred_pct": 100 * inc_by_lag / base})


def earned_premium(book: DemoBook, years) -> pd.DataFrame:
    """Gross earned premium per segment × currency × calendar year: every premium row pro rata
    over its own window (effective date to expiry)."""
    led = book.premium_ledger
    pol = book.policies
    p = led["policy"].to_numpy()
    eff, exp_, gross = led["eff"].to_numpy(), led["expiry"].to_numpy(), led["gross"].to_numpy().astype(float)
    days = exp_ - eff + 1
    out = []
    for y in years:
        y0, y1 = day_number(pd.Timestamp(int(y), 1, 1).date()), day_number(pd.Timestamp(int(y), 12, 31).date())
        overlap = np.clip(np.minimum(exp_, y1) - np.maximum(eff, y0) + 1, 0, None)
        out.append(pd.DataFrame({"segment": pol["segment"].to_numpy()[p], "currency": pol["currency"].to_numpy()[p],
                                 "year": y, "earned": gross * overlap / days}))
    frame = pd.concat(out, ignore_index=True)
    return frame.groupby(["segment", "currency", "year"], as_index=False)["earned"].sum()


def loss_ratios(book: DemoBook) -> pd.DataFrame:
    """Ultimate over earned premium per segment × currency × year: accident year for occurrence
    cover, report year for claims-made cover (its claims are priced in the year they are reported)."""
    years = _complete_years(book)
    claims = book.claims
    ultimate = claim_ultimates(book.claim_ledger, len(claims)).astype(float)
    seg = claims["segment"].to_numpy()
    year = np.where(seg == 0, year_of(claims["occurrence"].to_numpy()), year_of(claims["report"].to_numpy()))
    losses = pd.DataFrame({"segment": seg, "currency": claims["currency"].to_numpy(), "year": year,
                           "ultimate": ultimate})
    losses = losses[losses["year"].isin(years)].groupby(["segment", "currency", "year"], as_index=False)["ultimate"].sum()
    out = earned_premium(book, years).merge(losses, how="left", on=["segment", "currency", "year"]).fillna(
        {"ultimate": 0.0})
    out["loss_ratio"] = out["ultimate"] / out["earned"]
    out["segment"] = np.array(P.SEGMENTS)[out["segment"].to_numpy()]
    out["currency"] = np.array(P.CURRENCIES)[out["currency"].to_numpy()]
    return out
