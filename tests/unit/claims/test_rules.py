"""Pure claim rules: cover dates, the insurer's share, and the ledger state machine (no database)."""
from datetime import date
from decimal import Decimal

import pytest

from claims import rules
from claims.rules import ClaimLedgerState, LedgerRow, PolicyLimitState, claim_dates_check, insurer_share
from core.errors import DomainError

D = Decimal
JAN1, DEC31 = date(2024, 1, 1), date(2024, 12, 31)
REPORTED = date(2024, 3, 1)


# --- cover dates ----------------------------------------------------------------------
def test_occurrence_cover_accepts_harm_in_window_reported_later():
    claim_dates_check("occurrence", JAN1, DEC31, None, date(2024, 12, 31), date(2027, 5, 1))


def test_occurrence_outside_cover_window_is_refused():
    with pytest.raises(rules.ClaimDatesOutsideCover) as exc:
        claim_dates_check("occurrence", JAN1, DEC31, None, date(2025, 1, 1), date(2025, 1, 2))
    assert exc.value.field == "occurrence_date"


def test_claims_made_occurrence_before_retro_date_is_refused():
    with pytest.raises(rules.ClaimDatesOutsideCover) as exc:
        claim_dates_check("claims_made", JAN1, DEC31, date(2022, 1, 1), date(2021, 12, 31), date(2024, 2, 1))
    assert exc.value.field == "occurrence_date"


def test_claims_made_report_outside_window_is_refused():
    with pytest.raises(rules.ClaimDatesOutsideCover) as exc:
        claim_dates_check("claims_made", JAN1, DEC31, date(2022, 1, 1), date(2023, 6, 1), date(2025, 1, 1))
    assert exc.value.field == "report_date"


def test_claims_made_covers_earlier_harm_reported_in_window():
    claim_dates_check("claims_made", JAN1, DEC31, date(2022, 1, 1), date(2022, 1, 1), DEC31)


def test_report_before_occurrence_is_refused():
    with pytest.raises(rules.ClaimDatesOutsideCover) as exc:
        claim_dates_check("occurrence", JAN1, DEC31, None, date(2024, 5, 2), date(2024, 5, 1))
    assert exc.value.field == "report_date"


# --- insurer's share --------------------------------------------------------------------
def test_share_with_deductible_amount_only():
    assert insurer_share(D("300000"), D("50000"), None, None) == D("250000")


def test_share_with_deductible_percent_only():
    assert insurer_share(D("300000"), None, D("10"), None) == D("270000")


@pytest.mark.parametrize("loss, expected", [(D("300000"), D("250000")),   # 10% = 30,000 < 50,000
                                            (D("800000"), D("720000"))])  # 10% = 80,000 > 50,000
def test_share_with_both_deductibles_takes_the_larger(loss, expected):
    assert insurer_share(loss, D("50000"), D("10"), None) == expected


def test_loss_below_deductible_gives_zero():
    assert insurer_share(D("40000"), D("50000"), None, D("1000000")) == D("0")


def test_remaining_limit_caps_the_share():
    assert insurer_share(D("1500000"), None, None, D("1000000")) == D("1000000")
    assert insurer_share(D("1500000"), D("100000"), None, D("0")) == D("0")


def test_negative_loss_is_refused():
    with pytest.raises(DomainError):
        insurer_share(D("-1"))


# --- ledger state machine ---------------------------------------------------------------
def ledger(limit_per_claim=None, aggregate_limit=None, expenses_within_limits=False, **kw):
    limits = PolicyLimitState(limit_per_claim=limit_per_claim, aggregate_limit=aggregate_limit,
                              expenses_within_limits=expenses_within_limits, **kw)
    return ClaimLedgerState(claim_number="C-1", report_date=REPORTED, limits=limits)


def row(tid, kind, cost_type="indemnity", amount=None, day=date(2024, 4, 1), **kw):
    return LedgerRow(tid, kind, day, cost_type, None if amount is None else D(amount), **kw)


def test_figures_follow_reserve_payment_recovery():
    s = ledger()
    for r in [row("1", "reserve", amount="1000"), row("2", "payment", amount="300"),
              row("3", "recovery", amount="100"), row("4", "reserve", "expense", "50")]:
        s.apply(r)
    assert s.outstanding("indemnity") == D("700")
    assert s.paid("indemnity") == D("200")
    assert s.incurred == D("700") + D("200") + D("50")


def test_row_dated_before_report_date_is_refused():
    with pytest.raises(rules.PostingBeforeReport):
        ledger().apply(row("1", "reserve", amount="100", day=date(2024, 2, 29)))


def test_payment_beyond_outstanding_is_refused_with_the_figures():
    s = ledger()
    s.apply(row("1", "reserve", amount="3000"))
    with pytest.raises(rules.PaymentExceedsReserve) as exc:
        s.apply(row("2", "payment", amount="5000"))
    assert "5,000.00" in exc.value.message and "3,000.00" in exc.value.message
    assert s.paid("indemnity") == D("0")


def test_payment_is_checked_per_cost_type():
    s = ledger()
    s.apply(row("1", "reserve", "indemnity", "3000"))
    with pytest.raises(rules.PaymentExceedsReserve):
        s.apply(row("2", "payment", "expense", "10"))


def test_indemnity_payment_beyond_per_claim_limit_is_refused():
    s = ledger(limit_per_claim=D("1000"))
    s.apply(row("1", "reserve", amount="5000"))
    s.apply(row("2", "payment", amount="600"))
    with pytest.raises(rules.LimitExceeded):
        s.apply(row("3", "payment", amount="401"))
    s.apply(row("4", "payment", amount="400"))


def test_indemnity_payment_beyond_remaining_aggregate_is_refused():
    s = ledger(aggregate_limit=D("1000"), aggregate_used=D("900"))  # other claims used 900
    s.apply(row("1", "reserve", amount="5000"))
    with pytest.raises(rules.LimitExceeded) as exc:
        s.apply(row("2", "payment", amount="101"))
    assert "aggregate" in exc.value.message


def test_expense_uses_limits_only_when_within_limits():
    outside = ledger(limit_per_claim=D("100"))
    outside.apply(row("1", "reserve", "expense", "500"))
    outside.apply(row("2", "payment", "expense", "500"))
    inside = ledger(limit_per_claim=D("100"), expenses_within_limits=True)
    inside.apply(row("1", "reserve", "expense", "500"))
    with pytest.raises(rules.LimitExceeded):
        inside.apply(row("2", "payment", "expense", "500"))


def test_recovery_beyond_paid_is_refused():
    s = ledger()
    s.apply(row("1", "reserve", amount="500"))
    s.apply(row("2", "payment", amount="200"))
    with pytest.raises(rules.RecoveryExceedsPaid):
        s.apply(row("3", "recovery", amount="200.01"))


def test_recovery_does_not_restore_a_used_limit():
    s = ledger(limit_per_claim=D("1000"))
    s.apply(row("1", "reserve", amount="2000"))
    s.apply(row("2", "payment", amount="1000"))
    s.apply(row("3", "recovery", amount="500"))
    with pytest.raises(rules.LimitExceeded):
        s.apply(row("4", "payment", amount="1"))


def test_reversed_payment_gives_the_limit_back():
    s = ledger(limit_per_claim=D("1000"))
    s.apply(row("1", "reserve", amount="2000"))
    s.apply(row("2", "payment", amount="1000"))
    s.apply(row("3", "reversal", amount="-1000", reverses="2"))
    assert s.outstanding("indemnity") == D("2000") and s.paid("indemnity") == D("0")
    s.apply(row("4", "payment", amount="1000"))


def test_reserve_decrease_below_zero_is_refused():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    with pytest.raises(DomainError):
        s.apply(row("2", "reserve", amount="-100.01"))


def test_reversal_of_unknown_row_is_refused():
    with pytest.raises(rules.ReversalRefused):
        ledger().apply(row("1", "reversal", amount="-1", reverses="nope"))


def test_row_is_reversed_only_once():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    s.apply(row("2", "reversal", amount="-100", reverses="1"))
    with pytest.raises(rules.ReversalRefused) as exc:
        s.apply(row("3", "reversal", amount="-100", reverses="1"))
    assert "already reversed" in exc.value.message


def test_reversal_of_a_reversal_is_refused():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    s.apply(row("2", "reversal", amount="-100", reverses="1"))
    with pytest.raises(rules.ReversalRefused):
        s.apply(row("3", "reversal", amount="100", reverses="2"))


def test_reversal_of_close_reopen_or_derived_rows_is_refused():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    s.apply(row("2", "reserve", amount="-100", derived=True))
    s.apply(row("3", "close", ""))
    s.apply(row("4", "reopen", ""))
    for target in ("2", "3", "4"):
        with pytest.raises(rules.ReversalRefused):
            s.apply(row(f"r{target}", "reversal", amount=None, reverses=target))


def test_close_needs_zero_outstanding_and_blocks_payments():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    with pytest.raises(rules.ClaimStatusRefused):
        s.apply(row("2", "close", ""))
    assert s.close_changes() == {"indemnity": D("-100")}
    s.apply(row("2", "reserve", amount="-100", derived=True))
    s.apply(row("3", "close", ""))
    with pytest.raises(rules.ClaimStatusRefused):
        s.apply(row("4", "reserve", amount="10"))
    s.apply(row("5", "reopen", ""))
    s.apply(row("6", "reserve", amount="10"))


def test_reversal_amount_must_negate_the_reversed_row():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    with pytest.raises(rules.ReversalRefused):
        s.apply(row("2", "reversal", amount="-90", reverses="1"))


def test_reversing_a_payment_below_recovered_amount_is_refused():
    s = ledger()
    s.apply(row("1", "reserve", amount="100"))
    s.apply(row("2", "payment", amount="100"))
    s.apply(row("3", "recovery", amount="60"))
    with pytest.raises(rules.ReversalRefused):
        s.apply(row("4", "reversal", amount="-100", reverses="2"))
