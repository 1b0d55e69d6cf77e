"""The demo book as a whole: policies, premium ledger, claims and claim ledger with every
claim's full future, the true ultimates, and what of it is known at the end date.

Deterministic: one numpy Generator seeded from `seed` draws everything in a fixed order; no
clock is read (the default end date is params.DEFAULT_END_DATE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from exchange.demo import params as P
from exchange.demo.calendar import add_years, day_number, quarter_label_parts
from exchange.demo.claims import PAYMENT, RECOVERY, RESERVE, claims_generate
from exchange.demo.names import insured_names
from exchange.demo.policies import policies_generate


@dataclass
class DemoBook:
    """Internal tables: money in int64 minor units, dates as int64 day numbers.

    `claims` holds every claim occurring on or before the end date, reported or not;
    `claim_ledger` every row of their lives, future and derived (close release) rows included;
    `premium_ledger` every premium row, the originals included. The writer filters to what is
    known at the end date."""

    seed: int
    start_date: date
    end_date: date
    policies: pd.DataFrame
    premium_ledger: pd.DataFrame
    claims: pd.DataFrame
    claim_ledger: pd.DataFrame
    adequacy_phase: float = 0.0

    @property
    def end(self) -> int:
        return day_number(self.end_date)

    def truth(self) -> pd.DataFrame:
        """True ultimate incurred (indemnity + expense − recoveries) per segment × currency ×
        accident quarter × report quarter, in minor units, of every claim occurring by the end
        date on the book's policies, reported or not (claims-made claims to be reported after
        the end date, within policies already written, carry their report quarter after it).

        The true unpaid at a valuation date V ≤ end is then Σ (ultimate − paid at V) over
        accident quarter ≤ V's for occurrence cover, and over report quarter ≤ V's for
        claims-made cover: a claims-made claim not yet made at V is not an insured event yet;
        its cost belongs to the unexpired cover (UPR, premium deficiency), not to RBNS + IBNR."""
        per_claim = claim_ultimates(self.claim_ledger, len(self.claims))
        year, q = quarter_label_parts(self.claims["occurrence"].to_numpy())
        ryear, rq = quarter_label_parts(self.claims["report"].to_numpy())
        frame = pd.DataFrame(dict(segment=self.claims["segment"].to_numpy(), currency=self.claims["currency"].to_numpy(),
                                  year=year, q=q, ryear=ryear, rq=rq, ultimate=per_claim))
        out = frame.groupby(["segment", "currency", "year", "q", "ryear", "rq"], as_index=False)["ultimate"].sum()
        out["accident_quarter"] = out["year"].astype(str) + "Q" + out["q"].astype(str)
        out["report_quarter"] = out["ryear"].astype(str) + "Q" + out["rq"].astype(str)
        return out[["segment", "currency", "accident_quarter", "report_quarter", "ultimate"]]


def claim_ultimates(ledger: pd.DataFrame, n_claims: int) -> np.ndarray:
    """incurred = Σ reserve changes − Σ recoveries (payments move estimate into paid); after the
    final close nothing is outstanding, so the full ledger's incurred is the ultimate."""
    effect, amount = ledger["effect"].to_numpy(), ledger["amount"].to_numpy()
    change = np.where(effect == RESERVE, amount, 0) - np.where(effect == RECOVERY, amount, 0)
    return np.bincount(ledger["claim"].to_numpy(), weights=change, minlength=n_claims).round().astype(np.int64)


def claim_paid(ledger: pd.DataFrame) -> np.ndarray:
    effect, amount = ledger["effect"].to_numpy(), ledger["amount"].to_numpy()
    return np.where(effect == PAYMENT, amount, 0) - np.where(effect == RECOVERY, amount, 0)


def book_start(end_date: date, years: int) -> date:
    """The first day of a book of `years` years ending on `end_date`."""
    nxt = day_number(end_date + timedelta(days=1))
    return date(1970, 1, 1) + timedelta(days=int(add_years(np.array([nxt]), -years)[0]))


def adequacy_phase_of(seed: int) -> float:
    """The book's phase of the case-reserve adequacy cycle (0–1 in ADEQUACY_EPOCH_YEAR): a Weyl
    sequence over the seeds, so seeds 1..n sample the cycle evenly; it draws nothing from the
    book's generator, so it moves no other draw."""
    return float((int(seed) * P.ADEQUACY_PHASE_STEP) % 1.0)


def generate_book(*, policies: int, years: int, seed: int, end_date: date | None = None,
                  adequacy_phase: float | None = None) -> DemoBook:
    """`policies` is the number of policies over the whole book, renewals included.
    `adequacy_phase` pins the case-reserve adequacy cycle (0–1, for stress scenarios); by default
    it is the seed's (adequacy_phase_of)."""
    if policies < 1:
        raise ValueError("policies must be at least 1")
    if years < 1:
        raise ValueError("years must be at least 1")
    end_date = end_date or P.DEFAULT_END_DATE
    start_date = book_start(end_date, years)
    start, end = day_number(start_date), day_number(end_date)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    pol, insureds, premium = policies_generate(rng, policies=policies, years=years, start=start, end=end)
    phase = adequacy_phase_of(seed) if adequacy_phase is None else float(adequacy_phase)
    claims, ledger = claims_generate(rng, pol, end=end, adequacy_phase=phase)

    prefix = np.array(P.SEGMENT_PREFIX, dtype=object)[pol["segment"].to_numpy()]
    pol["policy_number"] = [f"{p}-{i + 1:07d}-{r:02d}" for p, i, r in
                            zip(prefix, pol["insured_id"].to_numpy(), pol["renewal_no"].to_numpy())]
    names = insured_names(insureds["segment"].to_numpy(), insureds["currency"].to_numpy(),
                          insureds["name_a"].to_numpy(), insureds["name_b"].to_numpy(),
                          insureds["insured_id"].to_numpy() + 1)
    pol["insured_name"] = names[pol["insured_id"].to_numpy()]
    claims["claim_number"] = [f"CLM-{i + 1:07d}" for i in range(len(claims))]
    return DemoBook(seed=int(seed), start_date=start_date, end_date=end_date, policies=pol,
                    premium_ledger=premium, claims=claims, claim_ledger=ledger, adequacy_phase=phase)
