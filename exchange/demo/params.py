"""Parameters of the synthetic demo book: professions, the demo tariff, claim frequency,
report and settlement delays, severities and reserving behaviour.

Everything here is ILLUSTRATIVE. The rates of risk groups 1 and 3 are the seed tariff's
(domain.md §2.1); groups 2 and 4 have no rate in the seed and get one of our own. Frequencies,
severities and delays were tuned so that the book's development looks like the CAS Schedule P
medmal table in shared/calibration.md (see exchange/demo/README.md), not measured from any
real portfolio.
"""
from __future__ import annotations

from datetime import date

FORMAT_VERSION = 1
# Never read the clock: without --end-date the book ends here.
DEFAULT_END_DATE = date(2025, 12, 31)
TARIFF_VERSION = "demo-illustrative-1"

SEGMENTS = ("individual_occurrence", "clinic_claims_made")
SEGMENT_PREFIX = ("IND", "CLN")
SEGMENT_BASIS = ("occurrence", "claims_made")
CURRENCIES = ("RUB", "IRR")
CURRENCY_DECIMALS = (2, 0)  # RUB in kopecks, IRR in whole rials
# Official rates for fx_rates.csv, one per quarter end of the book: roubles per unit of each
# currency at the book's first quarter end, then × RUB_PER_UNIT_DRIFT a quarter (the rial
# weakening). ILLUSTRATIVE, not the Bank of Russia's fixings.
RUB_PER_UNIT = {"RUB": "1", "IRR": "0.0021"}
RUB_PER_UNIT_DRIFT = {"RUB": "1", "IRR": "0.985"}
FX_RATE_PLACES = 10
FX_RATE_SOURCE = "illustrative (demo)"
# Treaties for treaties.csv, one a segment and underwriting year of the book (ILLUSTRATIVE terms):
# a 30% quota share with a 25% ceding commission on the individuals, and a per-claim excess of
# loss of RUB 4,000,000 xs 1,000,000 (retention 1m, limit 5m: the clinics' largest per-claim limit).
TREATY_QUOTA_SHARE = {"segment": "individual_occurrence", "prefix": "QS-IND", "ceded_percent": "30",
                      "ceding_commission_percent": "25", "reinsurer": "Demo Re (illustrative)"}
TREATY_EXCESS_OF_LOSS = {"segment": "clinic_claims_made", "prefix": "XL-CLN", "currency": "RUB",
                         "retention": "1000000.00", "limit": "5000000.00", "reinsurer": "Demo Re (illustrative)"}
MINOR_PER_UNIT = (100, 1)

# profession code, risk group, weight among individual professionals, weight among clinics
PROFESSIONS = (
    ("midwife", 1, 0.06, 0.03),
    ("dentist", 1, 0.05, 0.08),
    ("oral_hygienist", 1, 0.02, 0.03),
    ("anaesthesia_technician", 2, 0.05, 0.06),
    ("icu_nurse", 2, 0.07, 0.08),
    ("er_nurse", 2, 0.06, 0.07),
    ("dialysis_nurse", 2, 0.03, 0.06),
    ("physiotherapist", 2, 0.06, 0.05),
    ("or_technician", 3, 0.05, 0.07),
    ("or_nurse", 3, 0.07, 0.09),
    ("nurse", 3, 0.25, 0.24),
    ("lab_technician", 4, 0.08, 0.05),
    ("radiology_technician", 4, 0.05, 0.04),
    ("pharmacy_technician", 4, 0.04, 0.03),
    ("ecg_technician", 4, 0.02, 0.02),
)

# Demo tariff: rate per mille of the per-claim limit by risk group (index 1..4).
# Groups 1 and 3 from the seed; 2 and 4 are our own illustrative rates.
RATE_PER_MILLE = {1: 1.5, 2: 1.1, 3: 0.75, 4: 0.5}
RESIDENT_SHARE, RESIDENT_FACTOR = 0.08, 1.2          # seed: residents +20%
MIDWIFE_OWN_OFFICE_SHARE, MIDWIFE_OWN_OFFICE_RATE = 0.25, 3.0  # seed: 3‰
DEDUCTIBLE_FACTOR = 0.93                              # a deductible lowers the rate (illustrative)
# Clinic group discount by headcount (seed's group scale).
GROUP_DISCOUNT = ((10, 0.0), (51, 0.05), (101, 0.10), (201, 0.15), (301, 0.20), (401, 0.25), (10**9, 0.30))
COMMISSION_RATE = {("individual_occurrence", "RUB"): 0.15, ("individual_occurrence", "IRR"): 0.10,
                   ("clinic_claims_made", "RUB"): 0.12}
# One scale on every tariff premium so that the book's loss ratios land inside 60–110%.
TARIFF_SCALE = 1.0

# Book mix.
CLINIC_SHARE_OF_NEW = 0.12            # of new insureds
IRR_SHARE_OF_INDIVIDUALS = 0.40
RENEWAL_RATE = (0.85, 0.90)           # per segment
ENDORSEMENT_RATE = 0.06
ENDORSEMENT_REVERSED_RATE = 0.15      # of endorsements: posted, reversed, corrected
CANCELLATION_RATE = 0.04
SHORT_RATE_SHARE, SHORT_RATE_KEEP = 0.30, 0.10  # short-rate cancellations keep 10% of the pro-rata return
CLINIC_HEADCOUNT = (5, 120)           # uniform-ish range of staff insured per clinic policy

# Limits. RUB per-claim limits in roubles; IRR limits are a share of the year's full diyeh.
RUB_LIMITS = ((500_000, 0.25), (1_000_000, 0.40), (2_000_000, 0.25), (3_000_000, 0.10))
RUB_CLINIC_LIMITS = ((1_000_000, 0.3), (3_000_000, 0.5), (5_000_000, 0.2))
AGGREGATE_MULTIPLE = ((1, 0.2), (2, 0.5), (3, 0.3))
CLINIC_AGGREGATE_MULTIPLE = ((3, 0.5), (5, 0.5))
DIYEH_2020_RIALS = 4_400_000_000      # seed: 440,000,000 toman for 1399 (haram-months rate)
DIYEH_GROWTH = 0.30                   # illustrative yearly rise of the official diyeh amount
COVER_SHARES = ((1.0, 1.0, 0.6), (0.75, 1.2, 0.25), (0.25, 1.4, 0.15))  # share, rate factor, weight
DEDUCTIBLE_SHARE = 0.20
DEDUCTIBLE_PERCENTS = (5, 10)
RUB_DEDUCTIBLE_AMOUNTS = (10_000, 25_000)
IRR_DEDUCTIBLE_OF_LIMIT = 0.01

# Claim frequency per insured professional-year by risk group.
FREQUENCY = {1: 0.030, 2: 0.022, 3: 0.015, 4: 0.010}
CLINIC_FREQUENCY_PER_HEAD = 1.0
CLINIC_RATE_FACTOR = 0.5              # clinic staff rated at half: their high limits are rarely reached
# Claims-made maturity: first-year claims-made cover sees fewer reports.
CM_MATURITY_BASE, CM_MATURITY_STEP = 0.45, 0.25
CM_OCCURRENCE_LAG_DAYS = 300          # mean occurrence-to-report lag of claims-made claims
CM_PRIOR_ACTS_SHARE = 0.5             # new clinics with a retro date before inception

# Report delay of occurrence claims (years): a mixture of lognormals — obvious injuries are
# reported within months, the rest when the harm shows, with a tail beyond five years.
REPORT_FAST_SHARE = 0.30
REPORT_FAST_MEDIAN, REPORT_FAST_SIGMA = 0.15, 0.8
REPORT_DELAY_MEDIAN, REPORT_DELAY_SIGMA = 1.6, 0.8
# Settlement delay after report (years, lognormal) by litigated flag.
SETTLE_MEDIAN = (2.0, 3.4)
SETTLE_SIGMA = (0.75, 0.65)
LITIGATED_SHARE = 0.30

# Severity relative to the currency's reference amount (RUB 1,000,000; IRR a share of the year's diyeh).
IRR_REFERENCE_OF_DIYEH = 0.6
NO_INDEMNITY_SHARE = 0.30             # closed without indemnity before deductibles bite
SEVERITY_MEDIAN = 0.030
SEVERITY_SIGMA = 1.25
LITIGATED_SEVERITY = 1.8
EXPENSE_MEDIAN = 0.006
EXPENSE_SIGMA = 0.8
LITIGATED_EXPENSE = 3.0
NO_EXPENSE_SHARE = 0.10

# Case reserving: the first estimate is the ultimate times a lognormal error (median below 1:
# reported claims look smaller than they turn out); at the two reviews before settlement the
# estimate is (first error)^power × a prudence factor: defence counsel's reserves overshoot once
# litigation starts, then come down at settlement.
INITIAL_ESTIMATE_MEDIAN = 0.60
INITIAL_ESTIMATE_SIGMA = 0.70
REVIEW_ESTIMATE = ((0.7, 1.0), (0.3, 1.4))
# Reserving strength goes in cycles along the calendar: every indemnity estimate set in a year is
# scaled by exp(AMPLITUDE × sin(2π (phase + (year − EPOCH) / CYCLE))). In strong years incurred
# overshoots (about 109% at lags 4–6, CAS 1988–1997: 114%) and comes down; in weak years it
# creeps up to 100% from below (shared/calibration.md: "model revisions both ways").
ADEQUACY_CYCLE_YEARS, ADEQUACY_AMPLITUDE = 10.0, 0.20
ADEQUACY_EPOCH_YEAR = 2000
# Each book's phase (its seed's, decisions.md D-26): frac(seed × golden ratio), so consecutive
# seeds meet their end date at evenly spread points of the cycle and pooling over seeds averages
# the cycle instead of repeating one point of it. generate_book(adequacy_phase=…) pins it.
ADEQUACY_PHASE_STEP = 0.6180339887498949
NO_INDEMNITY_RESERVE_MEDIAN = 0.02    # reserve held on a claim that will close without payment
PARTIAL_PAYMENT_SHARE = 0.30
RECOVERY_SHARE = 0.05
REOPEN_SHARE = 0.03
REOPEN_INDEMNITY_SHARE = 0.4
PAYMENT_REVERSAL_SHARE = 0.03
RESERVE_REVERSAL_SHARE = 0.02
LATE_RECORDING_SHARE = 0.10           # rows recorded a few days after their accounting date
