"""factory_boy factories for the book of record: users, insureds, policies (with their
original premium booked through the service) and claims (reported through the service)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from claims.models import Claim
from core.roles import system_actor
from policies.models import Insured, Policy


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")


def user_with_roles(username: str, *roles: str, **fields):
    """A staff user in the named role groups (core.roles.Role values)."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username, **fields)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


class InsuredFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insured

    name = factory.Sequence(lambda n: f"Nurse {n}")
    kind = Insured.Kind.PERSON


class PolicyFactory(factory.Factory):
    """Builds through policies.services.policy_create, so the original premium row exists."""

    class Meta:
        model = Policy

    policy_number = factory.Sequence(lambda n: f"P-{n:05d}")
    insured = factory.SubFactory(InsuredFactory)
    profession = "nurse"
    risk_group = 2
    segment = "individual_occurrence"
    basis = Policy.Basis.OCCURRENCE
    retro_date = None
    currency = "RUB"
    inception_date = date(2024, 1, 1)
    expiry_date = date(2024, 12, 31)
    issue_date = factory.LazyAttribute(lambda p: p.inception_date)
    limit_per_claim = Decimal("1000000.00")
    aggregate_limit = Decimal("3000000.00")
    deductible_amount = None
    deductible_percent = None
    gross_premium = Decimal("36600.00")
    commission = Decimal("3660.00")
    actor = factory.LazyFunction(system_actor)  # test set-up books as the system, as an import does

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from policies.services import policy_create

        return policy_create(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k not in ("gross_premium", "commission", "actor")}
        return model_class(**kwargs)


class ClaimsMadePolicyFactory(PolicyFactory):
    segment = "clinic_claims_made"
    basis = Policy.Basis.CLAIMS_MADE
    retro_date = date(2022, 1, 1)


class ClaimFactory(factory.Factory):
    """Reports through claims.services.claim_report; `initial_reserve` = {cost_type: amount}."""

    class Meta:
        model = Claim

    policy = factory.SubFactory(PolicyFactory)
    claim_number = factory.Sequence(lambda n: f"C-{n:05d}")
    occurrence_date = factory.LazyAttribute(lambda c: c.policy.inception_date)
    report_date = factory.LazyAttribute(lambda c: c.occurrence_date)
    cause = "wrong medication"
    litigated = False
    claimant = "A. Patient"
    initial_reserve = None
    actor = factory.LazyFunction(system_actor)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from claims.services import claim_report

        return claim_report(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k not in ("initial_reserve", "actor")}
        return model_class(**kwargs)
