"""The a-priori loss ratios by underwriting year, edited under the workbench's summary of
ultimates (issue 13 §2): the form shows the years the segment's origins cover with what is kept;
a Save records every changed year with its source in one transaction (one audit row per year);
a bad row saves nothing and is marked on the page shown again; a clerk or an auditor gets no
form and a 403, nothing saved."""
from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, AuditVerb
from reserving import services
from reserving.models import AprioriLossRatio
from tests.factories import user_with_roles
from tests.integration.reserving.runbook import actuary, eager_celery  # noqa: F401 - fixtures
from tests.integration.reserving.test_workbench_page import run  # noqa: F401 - the computed small run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
SEGMENT, CURRENCY = "clinic_claims_made", "RUB"
YEARS = [2021, 2022, 2023, 2024]  # the small book's annual origins of the segment


class AprioriTable(HTMLParser):
    """The rows of the a-priori table: year → {"kept": text, "errors": [text], control name → value}."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: dict[int, dict] = {}
        self.action = None
        self._row = self._cell = None
        self._in_table = self._in_error = self._in_option = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "apriori-form":
            self.action = a.get("action")
        elif tag == "table" and "wb-apriori" in (a.get("class") or ""):
            self._in_table = True
        elif self._in_table and tag == "tr" and a.get("data-year"):
            self._row = self.rows.setdefault(int(a["data-year"]), {"kept": "", "errors": [], "cells": 0})
        elif self._row is not None and tag == "td":
            self._row["cells"] += 1
        elif self._row is not None and tag == "input":
            self._row[a["name"]] = a.get("value", "")
        elif self._row is not None and tag == "select":
            self._select = a["name"]
            self._row[self._select] = ""
        elif self._row is not None and tag == "option" and "selected" in a:
            self._row[self._select] = a.get("value", "")
        elif self._row is not None and tag == "div" and "wb-error-text" in (a.get("class") or ""):
            self._in_error = True
            self._row["errors"].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table, self._row = False, None
        elif tag == "tr":
            self._row = None
        elif tag == "div":
            self._in_error = False

    def handle_data(self, data):
        if self._row is None:
            return
        if self._in_error:
            self._row["errors"][-1] += data
        elif self._row["cells"] == 1:
            self._row["kept"] += data


def _url(run, name="admin:reserving_run_segment"):
    return reverse(name, args=[run.pk, SEGMENT, CURRENCY])


def _apriori_audit():
    return list(AuditEvent.objects.filter(verb=AuditVerb.APRIORI_SAVE).order_by("pk")
                .values_list("target_repr", "old", "new"))


def _client(username, role):
    """A staff client of `role` holding the reserving model permissions, so that what refuses it
    is the service's role check, not the admin's permission check."""
    services.ensure_roles()
    client = Client()
    client.user = user_with_roles(username, role, is_staff=True)
    client.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reserving"))
    client.force_login(client.user)
    return client


def test_the_form_shows_the_origins_years_with_what_is_kept(actuary, run):
    services.apriori_loss_ratio_save(segment=SEGMENT, currency=CURRENCY, underwriting_year=2023, loss_ratio="0.72",
                                     source="pricing", note="2023 rate filing", actor=actuary.user)
    services.apriori_loss_ratio_save(segment=SEGMENT, currency="USD", underwriting_year=2022, loss_ratio="0.9",
                                     source="plan", actor=actuary.user)  # another currency: not this segment's
    table = AprioriTable(actuary.get(_url(run)).content.decode())
    assert table.action == _url(run, "admin:reserving_run_apriori")
    assert sorted(table.rows) == YEARS
    kept = table.rows[2023]
    assert kept["kept"].strip() == "0.7200 — pricing (2023 rate filing)"
    assert (kept["loss_ratio_2023"], kept["source_2023"], kept["note_2023"]) == ("0.7200", "pricing",
                                                                                 "2023 rate filing")
    assert table.rows[2022]["kept"].strip() == "none kept"
    assert (table.rows[2022]["loss_ratio_2022"], table.rows[2022]["source_2022"]) == ("", "")


def test_two_years_are_saved_with_their_sources_in_one_post(actuary, run):
    services.apriori_loss_ratio_save(segment=SEGMENT, currency=CURRENCY, underwriting_year=2023, loss_ratio="0.72",
                                     source="pricing", actor=actuary.user)
    before = _apriori_audit()
    posted = {"loss_ratio_2022": "0.65", "source_2022": "benchmark", "note_2022": "market study",
              "loss_ratio_2023": "0.72", "source_2023": "pricing",     # as kept: not saved again
              "loss_ratio_2024": "0.8125", "source_2024": "plan"}
    response = actuary.post(_url(run, "admin:reserving_run_apriori"), posted, follow=True)
    assert response.redirect_chain == [(_url(run) + "#apriori", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "a-priori loss ratios saved for 2022, 2024; runs cut off from now on read them (this run keeps those of "
        "its cut-off)"]
    stored = {r.underwriting_year: (r.loss_ratio, r.source, r.note, r.entered_by_id)
              for r in AprioriLossRatio.objects.filter(segment=SEGMENT, currency=CURRENCY)}
    assert stored == {2022: (Decimal("0.6500"), "benchmark", "market study", actuary.user.pk),
                      2023: (Decimal("0.7200"), "pricing", "", actuary.user.pk),
                      2024: (Decimal("0.8125"), "plan", "", actuary.user.pk)}
    added = _apriori_audit()[len(before):]
    assert added == [
        (f"{SEGMENT} RUB 2022: 65.0% (benchmark)", {}, {"loss_ratio": "0.6500", "source": "benchmark",
                                                        "note": "market study"}),
        (f"{SEGMENT} RUB 2024: 81.2% (plan)", {}, {"loss_ratio": "0.8125", "source": "plan", "note": ""}),
    ]
    table = AprioriTable(response.content.decode())
    assert table.rows[2024]["kept"].strip() == "0.8125 — business plan"


def test_a_bad_row_saves_nothing_and_is_marked_on_its_field(actuary, run):
    posted = {"loss_ratio_2021": "0.7", "source_2021": "pricing",       # a good row, not saved either
              "loss_ratio_2022": "0", "source_2022": "pricing",         # ratio not above 0
              "loss_ratio_2023": "0.6",                                 # no source
              "loss_ratio_2024": "lots", "source_2024": "plan"}         # not a number
    response = actuary.post(_url(run, "admin:reserving_run_apriori"), posted)
    assert response.status_code == 200
    assert not AprioriLossRatio.objects.filter(segment=SEGMENT, currency=CURRENCY).exists()
    assert _apriori_audit() == []
    assert [str(m) for m in response.context["messages"]] == [
        "the a-priori loss ratios were not saved: correct what is marked"]
    rows = AprioriTable(response.content.decode()).rows
    assert rows[2021]["errors"] == [] and rows[2021]["loss_ratio_2021"] == "0.7"   # typed values kept
    assert rows[2022]["errors"] == ["an a-priori loss ratio must be above 0 (a fraction: 0.75 = 75%)"]
    assert rows[2023]["errors"] == ["say where the ratio comes from"]
    assert rows[2024]["errors"] == ["Enter a number."]


def test_a_refusal_of_the_service_on_one_year_rolls_back_the_others(actuary, run):
    posted = {"loss_ratio_2022": "0.65", "source_2022": "benchmark",
              "loss_ratio_2023": "5.5", "source_2023": "pricing"}        # above the service's 500% limit
    response = actuary.post(_url(run, "admin:reserving_run_apriori"), posted)
    assert response.status_code == 200
    assert not AprioriLossRatio.objects.filter(segment=SEGMENT, currency=CURRENCY).exists()  # 2022 rolled back
    assert _apriori_audit() == []
    rows = AprioriTable(response.content.decode()).rows
    assert rows[2023]["errors"] == ["underwriting year 2023: an a-priori loss ratio must be above 0 and at most 5 "
                                    "(500%); got 5.5"]
    assert rows[2022]["errors"] == []


@pytest.mark.parametrize("role", ["clerk", "auditor"])
def test_a_clerk_or_an_auditor_gets_no_form_and_a_403(run, role):
    client = _client(f"wb-{role}", role)
    page = client.get(_url(run))
    assert page.status_code == 200 and page.context["apriori_form"] is None
    assert 'id="apriori-form"' not in page.content.decode()
    response = client.post(_url(run, "admin:reserving_run_apriori"),
                           {"loss_ratio_2024": "0.7", "source_2024": "pricing"})
    assert response.status_code == 403
    assert not AprioriLossRatio.objects.filter(segment=SEGMENT, currency=CURRENCY).exists()
    assert _apriori_audit() == []
