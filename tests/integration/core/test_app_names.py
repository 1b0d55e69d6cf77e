"""The admin's app names (each AppConfig.verbose_name) come out in the user's language on the
index and in the sidebar (issue 16 §2).

Needs the compiled catalogues (`make messages`, a prerequisite of `make test`)."""
from __future__ import annotations


import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import override

from tests.integration.core.test_language import _compiled_catalogues, staff_client  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

OURS = ("claims", "core", "exchange", "fx", "policies", "reinsurance", "reporting", "reserving", "segments", "tariff")
# the names pinned, so a catalogue that lost one fails here and not only in a reader's eyes
NAMES = {
    "ru": {"claims": "Убытки", "core": "Основное: журнал аудита и отчётные периоды", "exchange": "Обмен портфелем",
           "fx": "Курсы валют", "policies": "Полисы и премии", "reinsurance": "Перестрахование",
           "reporting": "Отчётность, платёжеспособность и панели показателей", "reserving": "Резервирование",
           "segments": "Сегменты", "tariff": "Тариф и дия"},
    "fa": {"claims": "خسارت‌ها", "core": "هسته: دفتر ممیزی و دوره‌های گزارشگری", "exchange": "تبادل پرتفوی",
           "fx": "نرخ‌های ارز", "policies": "بیمه‌نامه‌ها و حق‌بیمه", "reinsurance": "بیمه اتکایی",
           "reporting": "گزارشگری، توانگری مالی و داشبوردها", "reserving": "ذخیره‌گیری",
           "segments": "بخش‌ها", "tariff": "تعرفه و دیه"},
}


def test_every_app_of_ours_names_itself_through_the_catalogue():
    for label in OURS:
        assert isinstance(apps.get_app_config(label).verbose_name, Promise), label  # gettext_lazy, read per request


@pytest.mark.parametrize("language", ["ru", "fa"])
def test_the_index_and_the_sidebar_show_the_app_names_in_the_language(staff_client, language):
    with override("en"):  # not the thread's language, which an earlier test's page may have left
        english = {label: str(apps.get_app_config(label).verbose_name) for label in OURS}
    assert english["policies"] == "Policies and premium" and english["core"] == "Core: audit trail and reporting periods"
    with override(language):
        shown = {label: str(apps.get_app_config(label).verbose_name) for label in OURS}
    assert shown == NAMES[language]
    # the apps with a model list (exchange has its import page only, on the index's tool links)
    listed = sorted({model._meta.app_label for model in admin.site._registry} & set(OURS))
    assert listed == [label for label in OURS if label != "exchange"]
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (reverse("admin:index"), reverse("admin:policies_policy_changelist")):  # the index; a list's sidebar
        page = staff_client.get(url).content.decode()
        for label in listed:
            assert f">{escape(shown[label])}<" in page, (url, label)
            assert f">{escape(english[label])}<" not in page, (url, label)
