"""The admin speaks English, Russian and Persian (issue 16 §2): LocaleMiddleware takes the
language from the set_language cookie first, then the browser's Accept-Language; Persian pages
are right to left; model names, data-check texts and code names come out in each language.

Needs the compiled catalogues (`make messages`, a prerequisite of `make test`)."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _compiled_catalogues():
    for language in ("ru", "fa"):
        if not (Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo").exists():
            pytest.fail(f"locale/{language}/LC_MESSAGES/django.mo missing: run `make messages`")


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_superuser("polyglot", password="pw-polyglot-1")
    client = Client()
    client.force_login(user)
    return client


def test_the_login_page_follows_accept_language():
    ru = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="ru" dir="ltr">' in ru
    assert "Имя пользователя" in ru  # Django's own admin catalogue comes with it
    fa = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="fa-IR,fa;q=0.9").content.decode()
    assert '<html lang="fa" dir="rtl">' in fa
    assert "admin/css/rtl.css" in fa


def test_english_is_the_default():
    page = Client().get("/admin/login/").content.decode()
    assert '<html lang="en" dir="ltr">' in page


def test_the_cookie_wins_over_accept_language():
    client = Client()
    client.cookies[COOKIE] = "fa"
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="fa" dir="rtl">' in page


def test_the_switcher_sets_the_cookie_and_the_next_page_follows_it(staff_client):
    index = staff_client.get("/admin/").content.decode()
    assert 'id="medmal-language"' in index and 'action="/i18n/setlang/"' in index
    for name in ("English", "Русский", "فارسی"):
        assert name in index
    answer = staff_client.post("/i18n/setlang/", {"language": "fa", "next": "/admin/"})
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert staff_client.cookies[COOKIE].value == "fa"
    page = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert "سامانه پشتیبانی بیمه مسئولیت پزشکی" in page  # our site header, in Persian
    staff_client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/"})
    page = staff_client.get("/admin/").content.decode()
    assert '<html lang="ru" dir="ltr">' in page
    assert "Работа на сегодня" in page and "Убытки" in page


def test_urls_carry_no_language_prefix():
    assert Client().get("/ru/admin/login/").status_code == 404
    assert Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ru").status_code == 200


def test_model_names_come_out_in_each_language():
    from claims.models import Claim
    from reserving.models import ReserveRun

    with translation.override("ru"):
        assert str(Claim._meta.verbose_name) == "убыток"
        assert str(ReserveRun._meta.get_field("valuation_date").verbose_name) == "отчётная дата"
        assert str(ReserveRun.Status.APPROVED.label) == "утверждено"
    with translation.override("fa"):
        assert str(Claim._meta.verbose_name) == "خسارت"
        assert str(ReserveRun._meta.get_field("valuation_date").verbose_name) == "تاریخ ارزیابی"
    with translation.override("en"):
        assert str(Claim._meta.verbose_name) == "claim"


def test_data_check_texts_and_code_names_come_out_in_each_language():
    from core.labels import data_check_name, method_name, segment_name
    from reserving.checks import check_text

    stored = "3 open claims have no case reserve at the valuation date"
    with translation.override("en"):
        assert check_text("open_claim_without_case_reserve", 3, stored) == stored
    with translation.override("ru"):
        assert check_text("open_claim_without_case_reserve", 3, stored) == "3 открытых убытка без резерва на отчётную дату"
        assert check_text("open_claim_without_case_reserve", 5, stored).startswith("5 открытых убытков")
        assert data_check_name("open_claim_without_case_reserve") == "открытые убытки без резерва"
        assert method_name("bf_paid") == "Борнхюттер–Фергюсон по оплаченным"
        assert segment_name("clinic_claims_made") == "клиники, на базе предъявления претензий"
    with translation.override("fa"):
        assert check_text("open_claim_without_case_reserve", 3, stored) == "3 پرونده باز در تاریخ ارزیابی ذخیره ندارند"
        assert data_check_name("open_claim_without_case_reserve") == "پرونده‌های باز بدون ذخیره"
    moved = "2 amounts moved by more than 25% since approved run 7"
    with translation.override("ru"):
        assert check_text("large_movement", 2, moved) == "2 суммы изменились более чем на 25% с утверждённого расчёта 7"
    assert check_text("some_new_check", 1, "as stored") == "as stored"


def test_charts_are_right_to_left_in_persian():
    from reporting import charts

    with translation.override("fa"):
        fig = charts.loss_ratios([2023, 2024], {"clinic_claims_made": [0.5, 0.7]}, "t")
        layout = fig.layout
        assert layout.yaxis.side == "right" and layout.legend.xanchor == "right"
        assert layout.title.xanchor == "right"
        assert fig.data[0].name == "درمانگاه‌ها، مبنای اعلام خسارت"
        assert layout.yaxis.title.text == "خسارت نهایی / حق‌بیمه عاید شده"
    with translation.override("en"):
        fig = charts.loss_ratios([2023, 2024], {"clinic_claims_made": [0.5, 0.7]}, "t")
        assert fig.layout.yaxis.side != "right"


@pytest.mark.parametrize("language", ["ru", "fa"])
def test_the_daily_pages_render_in_each_language(staff_client, language):
    """The clerk's and the actuary's pages answer in the language, with codes by their names."""
    from django.urls import reverse

    from tests.factories import ClaimFactory

    claim = ClaimFactory(initial_reserve={"indemnity": "1000.00"})
    policy = claim.policy
    staff_client.cookies[COOKIE] = language
    urls = [
        reverse("admin:index"),
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_change", args=[claim.pk]),
        reverse("admin:claims_claim_payment", args=[claim.pk]),
        reverse("admin:policies_policy_changelist"),
        reverse("admin:policies_policy_change", args=[policy.pk]),
        reverse("admin:reserving_reserverun_changelist"),
        reverse("admin:reserving_reserverun_add"),
        reverse("admin:tariff_quote"),
        reverse("admin:exchange_import"),
        reverse("reporting:index"),
    ]
    direction = "rtl" if language == "fa" else "ltr"
    for url in urls:
        answer = staff_client.get(url)
        assert answer.status_code == 200, url
        assert f'<html lang="{language}" dir="{direction}">' in answer.content.decode(), url
    listing = staff_client.get(reverse("admin:policies_policy_changelist")).content.decode()
    name = {"ru": "индивидуальные специалисты, на базе наступления события",
            "fa": "متخصصان انفرادی، مبنای وقوع حادثه"}[language]
    assert name in listing and 'title="individual_occurrence"' in listing
