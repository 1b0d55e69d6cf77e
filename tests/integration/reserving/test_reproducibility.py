"""A rerun of an approved run sees the same inputs and gives the same numbers, even after
back-dated postings and master-data edits made since — the cut-off and the history tables
make it so."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from policies.models import Policy, PremiumTransaction
from reserving import selectors, services
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
V = date(2024, 12, 31)


@pytest.fixture
def approved_run(django_capture_on_commit_callbacks):
    services.ensure_roles()
    actuary = User.objects.create_user("act")
    actuary.groups.add(Group.objects.get(name="actuary"))
    approver = User.objects.create_user("appr")
    approver.groups.add(Group.objects.get(name="approver"))
    make_book(seed=31, policies=150, recorded_at=timezone.now() - timedelta(days=10))
    run = services.run_create(valuation_date=V, actor=actuary)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=actuary)
    for c in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=c, actor=actuary)
    services.run_submit(run=run, actor=actuary)
    services.run_approve(run=run, actor=approver)
    run.refresh_from_db()
    return run, actuary


def _change_the_book_after_the_cut_off():
    """Back-dated postings into the valued quarter and edits of policies and claims."""
    now = timezone.now()
    claim = Claim.objects.filter(report_date__lte=date(2024, 6, 30), policy__currency="RUB").first()
    ClaimTransaction.objects.create(transaction_id="late-reserve", claim=claim, kind="reserve", effect_kind="reserve",
                                    cost_type="indemnity", amount=Decimal("250000.00"),
                                    accounting_date=date(2024, 11, 30), recorded_at=now)
    ClaimTransaction.objects.create(transaction_id="late-payment", claim=claim, kind="payment", effect_kind="payment",
                                    cost_type="indemnity", amount=Decimal("1000.00"),
                                    accounting_date=date(2024, 12, 15), recorded_at=now)
    pol = Policy.objects.filter(currency="RUB", inception_date__lte=date(2024, 10, 1), expiry_date__gte=V).first()
    PremiumTransaction.objects.create(transaction_id="late-endorsement", policy=pol, kind="endorsement",
                                      effect_kind="endorsement", accounting_date=date(2024, 12, 1),
                                      effective_date=date(2024, 12, 1), gross_premium=Decimal("7777.00"),
                                      commission=Decimal("777.00"), recorded_at=now)
    pol.expiry_date = pol.expiry_date + timedelta(days=90)
    pol.save()
    other = Policy.objects.filter(segment="clinic_claims_made").first()
    other.segment = "individual_occurrence"
    other.save()
    for c in Claim.objects.filter(policy__currency="RUB")[:10]:
        c.occurrence_date = c.occurrence_date - timedelta(days=120)
        c.save()


def test_rerun_of_an_approved_run_is_identical_after_back_dated_changes(approved_run, django_capture_on_commit_callbacks):
    run, actuary = approved_run
    _change_the_book_after_the_cut_off()
    # the changes are real: a run as of now sees different inputs
    fresh = services.run_create(valuation_date=V, actor=actuary)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=fresh, actor=actuary)
    fresh.refresh_from_db()
    assert fresh.input_fingerprint != run.input_fingerprint
    assert selectors.run_amounts(run=fresh) != selectors.run_amounts(run=run)

    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.run_rerun(run=run, actor=actuary)
    rerun.refresh_from_db()
    assert rerun.rerun_of == run and rerun.cut_off == run.cut_off and rerun.parameters == run.parameters
    assert rerun.status == "computed"
    assert rerun.input_fingerprint == run.input_fingerprint
    assert selectors.run_amounts(run=rerun) == selectors.run_amounts(run=run)
    assert rerun.identical is True
    for a, b in zip(run.segment_results.order_by("segment", "currency"), rerun.segment_results.order_by("segment", "currency")):
        assert a.triangles == b.triangles and a.factors == b.factors and a.bootstrap == b.bootstrap


def test_rerun_keeps_its_regime_version_while_a_new_run_takes_the_new_one(approved_run, django_capture_on_commit_callbacks):
    run, actuary = approved_run
    # a later regime version must not leak into the rerun, but a new run uses it and fingerprints differently
    services.regime_version_create(code="ru", effective_from=date(2000, 1, 1), parameters={"tail": 1.2}, actor=actuary)
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.run_rerun(run=run, actor=actuary)
    rerun.refresh_from_db()
    assert rerun.regime_version == run.regime_version and rerun.identical is True
    other = services.run_create(valuation_date=V, cut_off=run.cut_off, actor=actuary)
    assert other.regime_version == 5   # after the four seeded versions
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=other, actor=actuary)
    other.refresh_from_db()
    assert other.input_fingerprint != run.input_fingerprint


def test_fingerprint_is_stable_and_ignores_nothing_that_matters(approved_run):
    from reserving import compute

    run, _ = approved_run
    params = services.run_parameters(run)
    inputs = compute.collect_inputs(valuation_date=V, cut_off=run.cut_off, params=params)
    kw = dict(valuation_date=V, cut_off=run.cut_off, regime_code=run.regime_code, regime_version=run.regime_version,
              selections=run.selections)
    assert compute.fingerprint(inputs=inputs, parameters=params, **kw) == run.input_fingerprint
    assert compute.fingerprint(inputs=inputs, parameters={**params, "tail": 1.01}, **kw) != run.input_fingerprint
    per_segment = {}
    for key in inputs:
        per_segment.update(compute.collect_inputs(valuation_date=V, cut_off=run.cut_off, params=params,
                                                  segment=key[0], currency=key[1]))
    assert compute.fingerprint(inputs=per_segment, parameters=params, **kw) == run.input_fingerprint
