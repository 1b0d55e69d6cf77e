"""Tariff versions: a copy takes every table, the source ends the day before, and quotes
follow the version in force on their date."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from core.errors import DomainError
from core.models import AuditEvent
from tariff.engine import QuoteRequest
from tariff.models import TariffBaseRate, TariffVersion
from tariff.selectors import quote_price
from tariff.services import tariff_version_copy
from core.roles import system_actor
from tests.factories import user_with_roles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_tariff")]

REQUEST = QuoteRequest(profession="midwife", setting="hospital", cover=Decimal("440000000"))


@pytest.fixture
def new_version():
    source = TariffVersion.objects.get(code="IR-PARAMED-1399")
    copy = tariff_version_copy(source=source, code="IR-PARAMED-1400", effective_from=date(2021, 3, 21),
                               actor=user_with_roles("actuary", "actuary"))
    # the actuary then raises group 1's hospital rate in the new version only
    TariffBaseRate.objects.filter(version=copy, risk_group=1, setting="hospital").update(rate_permille=Decimal("1.6"))
    return copy


def test_copy_takes_every_table_and_closes_the_source(new_version):
    source = TariffVersion.objects.get(code="IR-PARAMED-1399")
    assert source.effective_to == date(2021, 3, 20)
    assert new_version.effective_to is None
    for table in ("professions", "base_rates", "setting_modifiers", "cover_shares", "no_claims_discounts",
                  "group_bands"):
        assert getattr(new_version, table).count() == getattr(source, table).count() > 0
    assert AuditEvent.objects.filter(verb="tariff.copy").count() == 1


def test_quotes_follow_the_version_in_force_on_their_date(new_version):
    old = quote_price(request=REQUEST, on=date(2021, 3, 20))
    new = quote_price(request=REQUEST, on=date(2021, 3, 21))
    assert (old.tariff_version, old.premium) == ("IR-PARAMED-1399", Decimal("660000"))
    assert (new.tariff_version, new.premium) == ("IR-PARAMED-1400", Decimal("704000"))


def test_a_named_version_out_of_force_on_the_date_is_refused(new_version):
    with pytest.raises(DomainError, match="not in force"):
        quote_price(request=REQUEST, on=date(2021, 6, 1), tariff_code="IR-PARAMED-1399")


def test_copy_must_start_after_its_source_and_have_a_new_code(new_version):
    source = TariffVersion.objects.get(code="IR-PARAMED-1399")
    with pytest.raises(DomainError):
        tariff_version_copy(source=source, code="IR-X", effective_from=date(2019, 1, 1), actor=system_actor())
    with pytest.raises(DomainError):
        tariff_version_copy(source=new_version, code="IR-PARAMED-1400", effective_from=date(2022, 3, 21), actor=system_actor())


def test_editing_a_version_in_the_admin_goes_through_the_service_with_an_audit_row(new_version):
    from django.contrib import admin
    from django.test import RequestFactory

    from core.errors import PermissionDenied

    actuary = user_with_roles("tariff-editor", "actuary")
    request = RequestFactory().post("/")
    request.user = actuary
    model_admin = admin.site._registry[TariffVersion]
    form = model_admin.get_form(request, new_version)(instance=new_version)
    form.cleaned_data, form.changed_data = {}, ["name"]
    new_version.name = "renamed by the actuary"
    before = AuditEvent.objects.filter(verb="tariff.edit").count()
    model_admin.save_model(request, new_version, form, change=True)
    new_version.refresh_from_db()
    assert new_version.name == "renamed by the actuary"
    event = AuditEvent.objects.filter(verb="tariff.edit").latest("id")
    assert AuditEvent.objects.filter(verb="tariff.edit").count() == before + 1 and event.actor == actuary
    assert event.new == {"changed": ["name"]}
    # a clerk is refused by the service itself, and nothing is saved
    request.user = user_with_roles("tariff-clerk", "clerk")
    new_version.name = "renamed by a clerk"
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, new_version, form, change=True)
    new_version.refresh_from_db()
    assert new_version.name == "renamed by the actuary"
