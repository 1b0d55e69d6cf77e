"""Small generated books for the reserve-run tests: policies and claims created through the ORM
(so django-simple-history records them) and ledger rows bulk-inserted, with a seeded RNG."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from policies.models import Insured, Policy, PremiumTransaction
from reserving import services
from tests.factories import user_with_roles

SEGMENTS = [("individual_occurrence", "RUB"), ("clinic_claims_made", "RUB"), ("individual_occurrence", "IRR")]


def _d(x: date) -> date:
    return x


def money(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


def make_book(*, seed: int = 1, policies: int = 60, first: date = date(2021, 1, 1), last: date = date(2024, 12, 31),
              recorded_at: datetime | None = None, cancellations: bool = True, segments=SEGMENTS) -> dict:
    """A book with originals, endorsements, cancellations (some short-rate), reversals, claims with
    reserve changes, payments, recoveries, closes. Returns counters for assertions."""
    rng = random.Random(seed)
    rec = recorded_at or timezone.now() - timedelta(days=1)
    insured = Insured.objects.create(name=f"book-{seed}")
    span = (last - first).days
    prem, ctx = [], []
    n_claims = 0
    for i in range(policies):
        segment, currency = segments[i % len(segments)]
        inception = first + timedelta(days=rng.randrange(span - 30))
        expiry = inception + timedelta(days=rng.choice([364, 365, 180, 90]))
        issue = inception - timedelta(days=rng.choice([0, 5, 30]))
        pol = Policy.objects.create(
            policy_number=f"S{seed}-P{i:04d}", insured=insured, profession="nurse", segment=segment,
            basis="occurrence", currency=currency, inception_date=inception, expiry_date=expiry, issue_date=issue)
        gross = rng.uniform(1000, 50000) * (1000 if currency == "IRR" else 1)
        comm = gross * rng.choice([0.0, 0.1, 0.15])
        tid = f"{pol.policy_number}-P1"
        prem.append(PremiumTransaction(transaction_id=tid, policy=pol, kind="original", effect_kind="original",
                                       accounting_date=issue, effective_date=inception, gross_premium=money(gross),
                                       commission=money(comm), recorded_at=rec))
        window = (expiry - inception).days + 1
        if rng.random() < 0.2:
            eff = inception + timedelta(days=rng.randrange(window))
            g = gross * 0.1
            prem.append(PremiumTransaction(transaction_id=f"{tid}-E", policy=pol, kind="endorsement", effect_kind="endorsement",
                                           accounting_date=max(eff - timedelta(days=3), issue), effective_date=eff,
                                           gross_premium=money(g), commission=money(g * 0.1), recorded_at=rec))
        if cancellations and rng.random() < 0.15:
            eff = inception + timedelta(days=rng.randrange(window))
            days_back = (expiry - eff).days + 1
            ret = -gross * days_back / window * rng.choice([1.0, 0.8])
            prem.append(PremiumTransaction(transaction_id=f"{tid}-C", policy=pol, kind="cancellation", effect_kind="cancellation",
                                           accounting_date=eff, effective_date=eff, gross_premium=money(ret),
                                           commission=money(ret * comm / gross), recorded_at=rec))
            if rng.random() < 0.3:
                prem.append(PremiumTransaction(transaction_id=f"{tid}-CR", policy=pol, kind="reversal", effect_kind="cancellation",
                                               accounting_date=eff + timedelta(days=10), effective_date=eff,
                                               gross_premium=money(-ret), commission=money(-ret * comm / gross),
                                               recorded_at=rec, reverses_id=None, note=f"{tid}-C"))
        # claims
        for k in range(rng.choice([0, 0, 1, 1, 2])):
            occ = inception + timedelta(days=rng.randrange(window))
            rep = occ + timedelta(days=rng.randrange(400))
            if rep > last:
                continue
            claim = Claim.objects.create(claim_number=f"{pol.policy_number}-C{k}", policy=pol, occurrence_date=occ, report_date=rep)
            n_claims += 1
            scale = 1000 if currency == "IRR" else 1
            case = rng.uniform(5000, 200000) * scale
            day = rep
            n = 0

            def row(kind, effect, cost, amount, when):
                nonlocal n
                n += 1
                ctx.append(ClaimTransaction(transaction_id=f"{claim.claim_number}-T{n}", claim=claim, kind=kind, effect_kind=effect,
                                            cost_type=cost, amount=None if amount is None else money(amount),
                                            accounting_date=when, recorded_at=rec))
            row("reserve", "reserve", "indemnity", case, day)
            out = round(case, 2)
            exp = rng.uniform(100, 2000) * scale
            row("reserve", "reserve", "expense", exp, day)
            paid_total = 0.0
            for _ in range(rng.randrange(4)):
                day = day + timedelta(days=rng.randrange(30, 200))
                if day > last:
                    break
                if rng.random() < 0.3:
                    change = out * rng.uniform(-0.3, 0.5)
                    row("reserve", "reserve", "indemnity", change, day)
                    out = round(out + round(change, 2), 2)
                else:
                    pay = round(out * rng.uniform(0.1, 0.6), 2)
                    row("payment", "payment", "indemnity", pay, day)
                    out = round(out - pay, 2)
                    paid_total += pay
            if paid_total > 0 and rng.random() < 0.2:
                row("recovery", "recovery", "indemnity", paid_total * 0.1, day)
    # The ledger is append-only (on PostgreSQL a trigger refuses UPDATE): a reversal names its row
    # when it is inserted. Rows go in in their order, a batch up to each reversal, so the row it
    # reverses (written before it) has its id (bulk_create gives ids on both backends).
    written: dict[str, PremiumTransaction] = {}
    batch: list[PremiumTransaction] = []
    for row in prem:
        if row.kind == "reversal" and row.note:
            written.update((r.transaction_id, r) for r in PremiumTransaction.objects.bulk_create(batch))
            batch = []
            row.reverses = written[row.note]
        batch.append(row)
    PremiumTransaction.objects.bulk_create(batch)
    ClaimTransaction.objects.bulk_create(ctx)
    return {"premium_rows": len(prem), "claim_rows": len(ctx), "claims": n_claims}


def submitted_run(actuary, capture, valuation_date: date, **kw):
    """A run created, computed (on-commit tasks executed through `capture`, pytest-django's
    django_capture_on_commit_callbacks), its warnings acknowledged and submitted by `actuary`."""
    from reserving import services

    run = services.run_create(valuation_date=valuation_date, actor=actuary, **kw)
    with capture(execute=True):
        services.run_compute(run=run, actor=actuary)
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        services.run_check_acknowledge(check=check, actor=actuary)
    return services.run_submit(run=run, actor=actuary)


# Run parameters of the version-1 method (quarterly origins, chain ladder on incurred) for tests
# about quarterly patterns and the thin-age rule on them.
QUARTERLY_CHAIN_LADDER = {"grain": "OQDQ", "ibnr_method": "chainladder"}


def approved_run(people, capture, valuation_date: date, **kw):
    """As submitted_run by people["actuary"], then approved by people["approver"]."""
    from reserving import services
    from reserving.models import ReserveRun

    run = services.run_approve(run=submitted_run(people["actuary"], capture, valuation_date, **kw),
                               actor=people["approver"])
    run.refresh_from_db()
    assert run.status == ReserveRun.Status.APPROVED
    return run


@pytest.fixture
def eager_celery():
    """Tasks run in-process even when CELERY_BROKER_URL is set (CI): these tests are about the
    run lifecycle, not the broker; test_tasks.py covers the real worker."""
    from config.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def actuary():
    """A logged-in client of an actuary (`.user`) with the reserving permissions the admin needs."""
    services.ensure_roles()
    client = Client()
    client.user = user_with_roles("wb-actuary", "actuary", is_staff=True)
    client.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reserving"))
    client.force_login(client.user)
    return client


@pytest.fixture
def people():
    """A staff actuary and a superuser approver with their roles: the pair `approved_run` needs."""
    from django.contrib.auth.models import Group, User

    services.ensure_roles()
    actuary = User.objects.create_user("actuary-p", is_staff=True)
    actuary.groups.add(Group.objects.get(name="actuary"))
    approver = User.objects.create_user("approver-p", is_staff=True, is_superuser=True)
    approver.groups.add(Group.objects.get(name="approver"))
    return {"actuary": actuary, "approver": approver}
