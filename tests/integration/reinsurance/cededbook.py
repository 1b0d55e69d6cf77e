"""A small RUB book with both treaty types, whose reinsurers' shares are computed by hand
(issue 17 §2–3). Valuation date 2025-12-31; the last 12 months are 2025.

individual_occurrence (quota share QS-IND-2025: 30%, ceding commission 25%, underwriting year 2025)
  P1  2025-07-01 … 2026-06-30, gross 365 000, no commission: UPR at V = 365 000 × 181/365 = 181 000
      C1  occurred 2025-08-10: reserve 200 000, paid 50 000 → paid 50 000, case 150 000
          ceded 30%: paid 15 000, case 45 000
  P2  2024-07-01 … 2025-06-30 (underwriting year 2024, no treaty), gross 100 000: UPR 0
      C2  occurred 2025-03-01: reserve 80 000, paid 30 000 → case 50 000, ceded nothing
      C6  occurred 2024-09-20, reported 2024-10-01: reserve 40 000 (2024), paid 10 000 (2025)
          → case 30 000; its 2025 incurred is 0 (a payment out of the case reserve)
  gross RBNS 150 000 + 50 000 + 30 000 = 230 000; ceded RBNS 45 000; ceded UPR 54 300;
  ceded premium 109 500, ceding commission 27 375

clinic_claims_made (excess of loss XL-CLN-2025: RUB 4m xs 1m, i.e. retention 1m, limit 5m)
  P3  2025-01-01 … 2025-12-31, gross 500 000: UPR 0
      C3  incurred 1 800 000 (paid 1 200 000, case 600 000): layer 800 000;
          ceded paid = layer of the paid 200 000, ceded case 600 000
      C4  incurred 2 500 000 (case): ceded case 1 500 000
      C5  incurred 400 000 (case): under the retention, ceded nothing
  gross RBNS 600 000 + 2 500 000 + 400 000 = 3 500 000; ceded RBNS 2 100 000; ceded paid 200 000

k: gross incurred of 2025 = 200 000 + 80 000 + 0 + 1 800 000 + 2 500 000 + 400 000 = 4 980 000;
   ceded 60 000 + 800 000 + 1 500 000 = 2 360 000; net 2 620 000; k = 2 620 000 / 4 980 000 = 0.5261
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from policies.models import Insured, Policy, PremiumTransaction
from reinsurance.models import Treaty

V = date(2025, 12, 31)


def make_ceded_book() -> None:
    rec = timezone.now() - timedelta(days=1)
    Treaty.objects.create(code="QS-IND-2025", kind="quota_share", segment="individual_occurrence",
                          underwriting_year=2025, ceded_percent=Decimal("30"), ceding_commission_percent=Decimal("25"))
    Treaty.objects.create(code="XL-CLN-2025", kind="excess_of_loss", segment="clinic_claims_made",
                          underwriting_year=2025, currency="RUB", retention=Decimal("1000000"),
                          limit=Decimal("5000000"))
    insured = Insured.objects.create(name="ceded-book")
    prem, ctx = [], []

    def policy(number, segment, inception, expiry, gross, basis="occurrence"):
        p = Policy.objects.create(policy_number=number, insured=insured, profession="surgeon", segment=segment,
                                  basis=basis, retro_date=date(2020, 1, 1) if basis == "claims_made" else None,
                                  currency="RUB", inception_date=inception, expiry_date=expiry, issue_date=inception)
        prem.append(PremiumTransaction(transaction_id=f"{number}-P1", policy=p, kind="original", effect_kind="original",
                                       accounting_date=inception, effective_date=inception,
                                       gross_premium=Decimal(gross), commission=Decimal(0), recorded_at=rec))
        return p

    def claim(number, pol, occurred, reported, rows):
        c = Claim.objects.create(claim_number=number, policy=pol, occurrence_date=occurred, report_date=reported)
        for i, (kind, amount, when) in enumerate(rows, 1):
            ctx.append(ClaimTransaction(transaction_id=f"{number}-T{i}", claim=c, kind=kind, effect_kind=kind,
                                        cost_type="indemnity", amount=Decimal(amount), accounting_date=when,
                                        recorded_at=rec))

    p1 = policy("P1", "individual_occurrence", date(2025, 7, 1), date(2026, 6, 30), "365000")
    p2 = policy("P2", "individual_occurrence", date(2024, 7, 1), date(2025, 6, 30), "100000")
    p3 = policy("P3", "clinic_claims_made", date(2025, 1, 1), date(2025, 12, 31), "500000", basis="claims_made")
    claim("C1", p1, date(2025, 8, 10), date(2025, 8, 20),
          [("reserve", "200000", date(2025, 8, 20)), ("payment", "50000", date(2025, 10, 15))])
    claim("C2", p2, date(2025, 3, 1), date(2025, 3, 5),
          [("reserve", "80000", date(2025, 3, 5)), ("payment", "30000", date(2025, 5, 1))])
    claim("C6", p2, date(2024, 9, 20), date(2024, 10, 1),
          [("reserve", "40000", date(2024, 10, 1)), ("payment", "10000", date(2025, 2, 1))])
    claim("C3", p3, date(2025, 2, 1), date(2025, 2, 10),
          [("reserve", "1800000", date(2025, 2, 10)), ("payment", "1200000", date(2025, 9, 30))])
    claim("C4", p3, date(2025, 4, 1), date(2025, 4, 15), [("reserve", "2500000", date(2025, 4, 15))])
    claim("C5", p3, date(2025, 5, 1), date(2025, 5, 20), [("reserve", "400000", date(2025, 5, 20))])
    PremiumTransaction.objects.bulk_create(prem)
    ClaimTransaction.objects.bulk_create(ctx)
