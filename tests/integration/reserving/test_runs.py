"""Reserve-run lifecycle: create, check, compute per segment, submit, approve/reject, selections,
immutability of approved runs and period close."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import timezone as dt_tz
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from core.errors import DomainError, PeriodClosed, PermissionDenied
from core.models import ReportingPeriod
from core.services import period_ensure_open
from reserving import selectors, services
from reserving.models import ReserveRun, RunDataCheck, RunEvent, RunSegmentResult
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture
from core.roles import system_actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
V = date(2024, 12, 31)


@pytest.fixture
def people():
    services.ensure_roles()
    actuary = User.objects.create_user("actuary1")
    actuary.groups.add(Group.objects.get(name="actuary"))
    approver = User.objects.create_user("approver1")
    approver.groups.add(Group.objects.get(name="approver"))
    both = User.objects.create_user("both1")
    both.groups.add(Group.objects.get(name="actuary"), Group.objects.get(name="approver"))
    return {"actuary": actuary, "approver": approver, "both": both}


@pytest.fixture
def book():
    return make_book(seed=21, policies=150, recorded_at=timezone.now() - timedelta(days=30))


def computed_run(people, django_capture_on_commit_callbacks, **kw) -> ReserveRun:
    run = services.run_create(valuation_date=kw.pop("valuation_date", V), actor=people["actuary"], **kw)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=people["actuary"])
    return run


def test_run_computes_every_segment_and_currency_with_progress(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    assert run.status == ReserveRun.Status.COMPUTED
    assert run.segments_total == 3 and run.segments_done == 3
    assert len(run.input_fingerprint) == 64
    scope = selectors.Scope(valuation_date=V, cut_off=run.cut_off)
    upr, rbns = selectors.upr_by_segment(scope=scope), selectors.rbns_by_segment(scope=scope)
    for r in run.segment_results.all():
        assert r.upr == upr[(r.segment, r.currency)]
        assert r.rbns == rbns.get((r.segment, r.currency), 0)
        assert r.origins.exists()
        assert r.ibnr >= 0
        assert r.triangles["incurred"]["values"]
        # per-origin IBNR adds up to the segment's (before the zero floor)
        assert sum(o.ibnr for o in r.origins.all()) == pytest.approx(r.ibnr, abs=Decimal("0.01") * r.origins.count()) or r.ibnr == 0
    verbs = list(run.events.values_list("verb", flat=True))
    assert verbs[:3] == ["create", "check", "compute"] and "computed" in verbs


def test_ulae_follows_the_regime(people, book, django_capture_on_commit_callbacks):
    ru = computed_run(people, django_capture_on_commit_callbacks, regime="ru")
    r51 = computed_run(people, django_capture_on_commit_callbacks, regime="ru-51n")
    p = services.run_parameters(ru)
    for r in ru.segment_results.all():
        expected = Decimal(str(p["ulae_r"])) * (r.ibnr + Decimal(str(p["ulae_a"])) * r.rbns)
        assert abs(r.ulae - expected) <= Decimal("1")
    for r in r51.segment_results.all():
        assert abs(r.ulae - Decimal("0.03") * r.rbns) <= Decimal("1")


def test_short_history_falls_back_to_the_regime_rule(people, django_capture_on_commit_callbacks):
    make_book(seed=5, policies=60, first=date(2024, 1, 1), last=date(2024, 12, 31), recorded_at=timezone.now() - timedelta(days=3))
    ru = computed_run(people, django_capture_on_commit_callbacks, regime="ru")
    assert {r.ibnr_method for r in ru.segment_results.all()} == {"elr"}
    r51 = computed_run(people, django_capture_on_commit_callbacks, regime="ru-51n")
    scope = selectors.Scope(valuation_date=V, cut_off=r51.cut_off)
    recent = selectors.written_base_premium(scope=scope, since=date(2023, 12, 31))
    for r in r51.segment_results.all():
        assert r.ibnr_method == "premium_share"
        assert abs(r.ibnr - Decimal("0.10") * recent[(r.segment, r.currency)]) <= Decimal("1")


def test_long_history_uses_chain_ladder_on_incurred(people, book, django_capture_on_commit_callbacks):
    # the version-1 method, as a run parameter: chain ladder on the quarterly incurred triangle
    run = computed_run(people, django_capture_on_commit_callbacks, parameters={"grain": "OQDQ", "ibnr_method": "chainladder"})
    methods = {r.ibnr_method for r in run.segment_results.all()}
    assert methods == {"chainladder"}
    r = run.segment_results.first()
    assert r.factors["ldf"] and "link_ratios" in r.factors
    assert {o.method for o in r.origins.all()} == {"incurred_cl"} and r.provenance["grain"] == "OQDQ"


def test_long_history_books_the_default_rule_per_origin_with_its_provenance(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    assert {r.ibnr_method for r in run.segment_results.all()} == {"default"}
    grain_note = run.data_checks.get(code="origin_grain")
    assert grain_note.severity == "note" and grain_note.row_count == 3
    for r in run.segment_results.all():
        origins = list(r.origins.order_by("origin"))
        # a thin book: annual origins, every origin with the method that gave its ultimate
        assert r.provenance["grain"] == "OYDY" and all(len(o.origin) == 4 for o in origins)
        assert r.provenance["methods_by_origin"] == {o.origin: o.method for o in origins}
        assert r.provenance["engine"].startswith("engine-") and r.provenance["floor"] == "segment"
        for o in origins:
            assert Decimal(o.ultimates[o.method]) == o.ultimate
            assert abs(o.ibnr - (o.ultimate - o.paid - o.case)) <= 1  # each rounded once, to the currency
        # the youngest year is the least mature, the oldest the most
        assert origins[-1].maturity < origins[0].maturity


def test_valuation_date_must_be_a_quarter_end(people):
    with pytest.raises(DomainError):
        services.run_create(valuation_date=date(2024, 12, 30), actor=people["actuary"])


def test_submit_needs_acknowledged_warnings(people, book, django_capture_on_commit_callbacks):
    from policies.models import Insured, Policy
    Policy.objects.create(policy_number="NOPREM-1", insured=Insured.objects.first(), profession="nurse",
                          segment="individual_occurrence", currency="RUB", inception_date=date(2024, 3, 1),
                          expiry_date=date(2025, 2, 28), issue_date=date(2024, 3, 1))
    run = services.run_create(valuation_date=V, actor=people["actuary"])
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    warnings = list(run.data_checks.filter(severity="warning"))
    nopremium = run.data_checks.get(code="policy_without_premium")
    assert {"policy_number": "NOPREM-1", "inception_date": "2024-03-01"} in nopremium.rows
    with pytest.raises(DomainError, match="acknowledge"):
        services.run_submit(run=run, actor=people["actuary"])
    for w in warnings:
        services.run_check_acknowledge(check=w, actor=people["actuary"])
    assert services.run_submit(run=run, actor=people["actuary"]).status == "submitted"


def test_data_errors_block_computing_and_are_stored(people, book, django_capture_on_commit_callbacks):
    claim = Claim.objects.filter(report_date__gt=date(2023, 1, 1), report_date__lt=date(2024, 6, 1)).first()
    ClaimTransaction.objects.create(transaction_id="bad-1", claim=claim, kind="payment", effect_kind="payment",
                                    cost_type="indemnity", amount=Decimal("99999999"),
                                    accounting_date=claim.report_date - timedelta(days=3),
                                    recorded_at=timezone.now() - timedelta(days=1))
    run = services.run_create(valuation_date=V, actor=people["actuary"])
    with pytest.raises(DomainError, match="errors"):
        services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    codes = set(run.data_checks.filter(severity="error").values_list("code", flat=True))
    assert {"claim_row_before_report", "outstanding_below_zero"} <= codes
    assert run.status == "draft" and not run.segment_results.exists()
    err = run.data_checks.get(code="claim_row_before_report")
    assert err.rows[0]["transaction_id"] == "bad-1"
    with pytest.raises(DomainError):
        services.run_check_acknowledge(check=err, actor=people["actuary"])


def test_approver_must_not_be_the_preparer(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    services.run_submit(run=run, actor=people["actuary"])
    with pytest.raises(PermissionDenied):
        services.run_approve(run=run, actor=people["actuary"])  # no approver role
    run2 = services.run_create(valuation_date=V, actor=people["both"])
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run2, actor=people["both"])
    for c in run2.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=c, actor=people["both"])
    services.run_submit(run=run2, actor=people["both"])
    with pytest.raises(PermissionDenied, match="preparer"):
        services.run_approve(run=run2, actor=people["both"])
    approved = services.run_approve(run=run, actor=people["approver"])
    assert approved.status == "approved" and approved.approver == people["approver"]
    assert RunEvent.objects.filter(run=run, verb="approve").exists()


def test_an_approved_run_is_immutable(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    services.run_submit(run=run, actor=people["actuary"])
    services.run_approve(run=run, actor=people["approver"])
    seg = run.segment_results.first()
    for call in (lambda: services.run_compute(run=run, actor=people["actuary"]),
                 lambda: services.run_selection_set(run=run, segment=seg.segment, currency=seg.currency,
                                                    selection={"tail": 1.1}, actor=people["actuary"]),
                 lambda: services.run_reject(run=run, actor=people["approver"], reason="x"),
                 lambda: services.run_checks(run=run, actor=system_actor())):
        with pytest.raises(DomainError, match="approved"):
            call()


def test_reject_needs_a_reason_and_the_run_can_be_recomputed(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    services.run_submit(run=run, actor=people["actuary"])
    with pytest.raises(DomainError):
        services.run_reject(run=run, actor=people["approver"], reason="  ")
    run = services.run_reject(run=run, actor=people["approver"], reason="tail too light")
    assert run.status == "rejected" and run.reject_reason == "tail too light"
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    assert run.status == "computed"


def test_selection_changes_ibnr_and_preview_matches_the_saved_result(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    seg = run.segment_results.get(segment="individual_occurrence", currency="RUB")
    selection = {"tail": 1.25, "note": "benchmark tail"}
    preview = services.run_selection_preview(run=run, segment=seg.segment, currency=seg.currency, selection=selection)
    assert Decimal(preview["ibnr"]) > seg.ibnr
    assert RunSegmentResult.objects.get(pk=seg.pk).ibnr == seg.ibnr  # preview saved nothing
    run = services.run_selection_set(run=run, segment=seg.segment, currency=seg.currency, selection=selection,
                                     actor=people["actuary"])
    assert run.status == "draft" and run.selections["individual_occurrence|RUB"]["note"] == "benchmark tail"
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=people["actuary"])
    new = RunSegmentResult.objects.get(run=run, segment=seg.segment, currency=seg.currency)
    assert str(new.ibnr) == preview["ibnr"]


def test_borrowed_and_pooled_patterns_and_other_methods(people, book, django_capture_on_commit_callbacks):
    run = computed_run(people, django_capture_on_commit_callbacks)
    for selection in ({"pattern_from": "clinic_claims_made|RUB", "note": "thin"}, {"pattern_from": "pooled"},
                      {"method": "bf", "apriori": 0.9}, {"method": "capecod"}, {"method": "elr", "apriori": 0.6},
                      {"ldfs": {"12": 1.5, "24": 1.2}, "note": "selected"},
                      {"overrides": {"2024": "benktander"}}, {"grain": "OQDQ", "method": "chainladder"}):
        out = services.run_selection_preview(run=run, segment="individual_occurrence", currency="RUB", selection=selection)
        assert Decimal(out["ibnr"]) >= 0, selection
    with pytest.raises(DomainError):
        services.run_selection_preview(run=run, segment="individual_occurrence", currency="RUB", selection={"tail": 0.5})
    with pytest.raises(DomainError):
        services.run_selection_preview(run=run, segment="individual_occurrence", currency="RUB", selection={"method": "magic"})
    # quarterly ages on the annual triangle: refused naming the field, and nothing saved
    with pytest.raises(DomainError) as err:
        services.run_selection_set(run=run, segment="individual_occurrence", currency="RUB",
                                   selection={"ldfs": {"3": 1.5}}, actor=people["actuary"])
    assert err.value.field == "ldfs"
    run.refresh_from_db()
    assert run.selections == {} and run.status == "computed"


def test_period_close_needs_the_official_regimes_approved_run(people, book, django_capture_on_commit_callbacks, settings):
    settings.OFFICIAL_REGIME = "ru"
    other = computed_run(people, django_capture_on_commit_callbacks, regime="ru-51n")
    services.run_submit(run=other, actor=people["actuary"])
    services.run_approve(run=other, actor=people["approver"])
    with pytest.raises(DomainError, match="no approved ru run"):
        services.period_close(label="2024Q4", actor=people["approver"])
    run = computed_run(people, django_capture_on_commit_callbacks, regime="ru")
    services.run_submit(run=run, actor=people["actuary"])
    services.run_approve(run=run, actor=people["approver"])
    with pytest.raises(PermissionDenied):
        services.period_close(label="2024Q4", actor=people["actuary"])
    period = services.period_close(label="2024Q4", actor=people["approver"])
    assert period.status == ReportingPeriod.Status.CLOSED
    with pytest.raises(PeriodClosed):
        period_ensure_open(date(2024, 11, 15))


def test_large_movement_since_the_last_approved_run_is_a_warning(people, book, django_capture_on_commit_callbacks):
    first = computed_run(people, django_capture_on_commit_callbacks, valuation_date=date(2024, 9, 30))
    services.run_submit(run=first, actor=people["actuary"])
    services.run_approve(run=first, actor=people["approver"])
    claim = Claim.objects.filter(report_date__lte=date(2024, 9, 1), policy__currency="RUB").first()
    ClaimTransaction.objects.create(transaction_id="big-1", claim=claim, kind="reserve", effect_kind="reserve",
                                    cost_type="indemnity", amount=Decimal("900000000"),
                                    accounting_date=date(2024, 11, 1), recorded_at=timezone.now())
    run = services.run_create(valuation_date=V, actor=people["actuary"], parameters={"large_movement_threshold": 0.5})
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=people["actuary"])
    moved = run.data_checks.get(code="large_movement")
    assert moved.severity == RunDataCheck.Severity.WARNING
    assert any(r["segment"] == claim.policy.segment and r["currency"] == "RUB" and r["amount"] == "rbns" for r in moved.rows)


def test_unknown_regime_parameter_is_refused(people):
    with pytest.raises(DomainError, match="unknown regime parameter"):
        services.run_create(valuation_date=V, actor=people["actuary"], parameters={"ibnr_magic": 1})
    with pytest.raises(DomainError):
        services.regime_version_create(code="ru", effective_from=date(2025, 1, 1), parameters={"tail": "big"},
                                       actor=people["actuary"])
    reg = services.regime_version_create(code="ru", effective_from=date(2025, 1, 1), parameters={"tail": 1.05},
                                         actor=people["actuary"])
    assert reg.version == 5   # after the four seeded versions
    assert services.regime_effective(code="ru", valuation_date=date(2025, 3, 31)).version == 5
    assert services.regime_effective(code="ru", valuation_date=V).version == 4



def test_a_failing_segment_fails_the_run_which_can_be_retried(people, book, django_capture_on_commit_callbacks):
    from unittest import mock

    from reserving import compute

    real = compute.segment_outcome
    calls = {"n": 0}

    def flaky(**kw):
        calls["n"] += 1
        if kw["inputs"].segment == "clinic_claims_made":
            raise RuntimeError("worker ran out of memory")
        return real(**kw)

    run = services.run_create(valuation_date=V, actor=people["actuary"])
    with mock.patch.object(compute, "segment_outcome", side_effect=flaky):
        with django_capture_on_commit_callbacks(execute=True):
            services.run_compute(run=run, actor=people["actuary"])
    run.refresh_from_db()
    assert run.status == "failed" and "out of memory" in run.error
    assert not run.segment_results.filter(segment="clinic_claims_made").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.run_retry(run=run, actor=people["actuary"])
    run.refresh_from_db()
    assert run.status == "computed" and run.segment_results.count() == 3 == run.segments_done


def test_seeded_regimes_in_the_database_hold_every_engine_default():
    from reserving.engine.rules import REGIME_VERSIONS
    from reserving.models import Regime

    services.regimes_ensure_seeded()
    for code, versions in REGIME_VERSIONS.items():
        for engine_regime in versions:
            stored = Regime.objects.get(code=code, version=engine_regime.version)
            assert stored.parameters == dict(engine_regime.parameters), (code, engine_regime.version)
