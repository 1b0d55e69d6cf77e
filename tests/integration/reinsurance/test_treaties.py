"""Treaties as data (issue 17 §1): the rules (ceded percent within 0–100, no overlap for a
segment and underwriting year, retention not above the limit), the audited service, the admin,
and treaties.csv in the book format (refusals naming the row, nothing written; exact round trip)."""
from __future__ import annotations

import filecmp
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent
from core.roles import system_actor
from exchange.services import BookRefused, book_export, book_import
from reinsurance.models import Treaty
from reinsurance.services import treaty_save
from tests.factories import user_with_roles
from tests.integration.exchange.bookfiles import rows_write

pytestmark = pytest.mark.django_db

QS = dict(code="QS-IND-2025", kind="quota_share", segment="individual_occurrence", underwriting_year=2025,
          ceded_percent="30", ceding_commission_percent="25")
XL = dict(code="XL-CLN-2025", kind="excess_of_loss", segment="clinic_claims_made", underwriting_year=2025,
          currency="RUB", retention="1000000", limit="5000000")
HEADER = ["code", "kind", "segment", "underwriting_year", "currency", "ceded_percent", "ceding_commission_percent",
          "retention", "limit", "reinsurer"]


def test_treaty_save_writes_both_kinds_with_one_audit_row_each():
    actuary = user_with_roles("actuary", "actuary")
    qs = treaty_save(actor=actuary, **QS)
    xl = treaty_save(actor=actuary, **XL)
    assert (qs.ceded_percent, qs.ceding_commission_percent, qs.currency, qs.retention) == (
        Decimal("30"), Decimal("25"), "", None)
    assert (xl.currency, xl.retention, xl.limit, xl.ceded_percent) == ("RUB", Decimal("1000000"), Decimal("5000000"), None)
    events = AuditEvent.objects.filter(verb="treaty.save").order_by("id")
    assert [e.new["code"] for e in events] == ["QS-IND-2025", "XL-CLN-2025"]
    assert events[1].new["retention"] == "1000000"


def test_treaty_save_needs_the_actuary():
    with pytest.raises(PermissionDenied):
        treaty_save(actor=user_with_roles("clerk", "clerk"), **QS)
    assert not Treaty.objects.exists()


@pytest.mark.parametrize("change, message", [
    (dict(QS, ceded_percent="100.5"), "ceded_percent 100.5 is outside 0–100"),
    (dict(QS, ceded_percent="-1"), "ceded_percent -1 is outside 0–100"),
    (dict(QS, ceding_commission_percent="101"), "ceding_commission_percent 101 is outside 0–100"),
    (dict(QS, ceded_percent=None), "a quota share needs ceded_percent"),
    (dict(XL, retention="6000000"), "retention 6000000 is above the limit 5000000"),
    (dict(XL, currency=""), "an excess of loss needs the currency of its retention and limit: unknown currency ''; "
                            "known: AED, EUR, IRR, KZT, RUB, USD"),
    (dict(XL, currency="IRR", retention="0.5"), "retention 0.5 has more decimals than IRR allows (0)"),
    (dict(QS, segment="dental"), "unknown segment dental"),
])
def test_bad_terms_are_refused_and_nothing_is_written(change, message):
    with pytest.raises(DomainError) as caught:
        treaty_save(actor=system_actor(), **change)
    assert caught.value.message == message
    assert not Treaty.objects.exists() and not AuditEvent.objects.filter(verb="treaty.save").exists()


def test_overlapping_treaties_for_a_segment_and_year_are_refused():
    treaty_save(actor=system_actor(), **XL)
    with pytest.raises(DomainError) as caught:
        treaty_save(actor=system_actor(), **dict(XL, code="XL-2"))
    assert caught.value.message == "overlaps treaty XL-CLN-2025: same segment clinic_claims_made and underwriting year 2025 (RUB)"
    with pytest.raises(DomainError):  # a quota share covers every currency of the segment
        treaty_save(actor=system_actor(), **dict(QS, code="QS-CLN", segment="clinic_claims_made"))
    # another currency, or another year, does not overlap
    treaty_save(actor=system_actor(), **dict(XL, code="XL-IRR", currency="IRR", retention="1000000000",
                                             limit="5000000000"))
    treaty_save(actor=system_actor(), **dict(XL, code="XL-2026", underwriting_year=2026))
    # saving a treaty again under its own code is a change, not an overlap
    treaty_save(actor=system_actor(), **dict(XL, limit="6000000"))
    assert Treaty.objects.get(code="XL-CLN-2025").limit == Decimal("6000000")
    assert Treaty.objects.count() == 3


def test_admin_saves_through_the_service_and_shows_the_refusal(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(admin)
    url = reverse("admin:reinsurance_treaty_add")
    body = {"code": "QS-1", "kind": "quota_share", "segment": "individual_occurrence", "underwriting_year": "2025",
            "ceded_percent": "130", "ceding_commission_percent": "", "currency": "", "retention": "", "limit": "",
            "reinsurer": ""}
    response = client.post(url, body)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"ceded_percent": ["ceded_percent 130 is outside 0–100"]}
    assert client.post(url, dict(body, ceded_percent="30")).status_code == 302
    assert AuditEvent.objects.get(verb="treaty.save").actor == admin


def _book(tmp_path, rows):
    book = tmp_path / "treaties"
    book.mkdir(exist_ok=True)
    rows_write(book / "treaties.csv", [HEADER, *rows])
    return {"treaties.csv": book / "treaties.csv"}


def test_treaties_csv_refusals_name_the_row_and_nothing_is_written(tmp_path):
    sources = _book(tmp_path, [
        ["QS-1", "quota_share", "individual_occurrence", "2025", "", "130", "", "", "", ""],
        ["XL-1", "excess_of_loss", "clinic_claims_made", "2025", "RUB", "", "", "2000000.00", "1000000.00", ""],
        ["XL-2", "excess_of_loss", "clinic_claims_made", "2025", "RUB", "", "", "1000000.00", "5000000.00", ""],
        ["XL-3", "excess_of_loss", "clinic_claims_made", "2025", "RUB", "", "", "1000000.00", "5000000.00", ""],
        ["QS-4", "stop_loss", "individual_occurrence", "2024", "", "", "", "", "", ""],
    ])
    with pytest.raises(BookRefused) as caught:
        book_import(sources=sources, actor=system_actor())
    assert caught.value.errors == [
        "treaties.csv:2: ceded_percent 130 is outside 0–100",
        "treaties.csv:3: retention 2000000.00 is above the limit 1000000.00",
        "treaties.csv:5: overlaps treaty XL-2: same segment clinic_claims_made and underwriting year 2025 (RUB)",
        "treaties.csv:6: unknown kind 'stop_loss'; expected one of quota_share, excess_of_loss",
    ]
    assert not Treaty.objects.exists()


def test_a_book_treaty_overlapping_one_in_the_database_is_refused(tmp_path):
    treaty_save(actor=system_actor(), **QS)
    sources = _book(tmp_path, [["QS-OTHER", "quota_share", "individual_occurrence", "2025", "", "40", "", "", "", ""],
                               ["QS-IND-2025", "quota_share", "individual_occurrence", "2025", "", "30", "20", "", "",
                                ""]])
    with pytest.raises(BookRefused) as caught:
        book_import(sources=sources, actor=system_actor())
    assert caught.value.errors == [
        "treaties.csv:2: overlaps treaty QS-IND-2025: same segment individual_occurrence and underwriting year 2025",
        "treaties.csv:3: treaty QS-IND-2025 is in the database with other terms (ceding_commission_percent); "
        "a book only adds treaties",
    ]


def test_demo_treaties_round_trip_exactly(tmp_path):
    call_command("demo_book", str(tmp_path / "demo"), "--policies", "40", "--years", "2", "--seed", "3")
    sources = {"treaties.csv": tmp_path / "demo" / "treaties.csv"}
    assert book_import(sources=sources, actor=system_actor()).written["treaties"] == 4
    xl = Treaty.objects.get(code="XL-CLN-2025")
    assert (xl.kind, xl.currency, xl.retention, xl.limit) == ("excess_of_loss", "RUB", Decimal("1000000.00"),
                                                              Decimal("5000000.00"))
    qs = Treaty.objects.get(code="QS-IND-2024")
    assert (qs.segment, qs.ceded_percent, qs.ceding_commission_percent) == ("individual_occurrence", 30, 25)
    first, second = tmp_path / "first", tmp_path / "second"
    book_export(directory=first, actor=system_actor())
    Treaty.objects.all().delete()
    book_import(sources={"treaties.csv": first / "treaties.csv"}, actor=system_actor())
    book_export(directory=second, actor=system_actor())
    assert filecmp.cmp(first / "treaties.csv", second / "treaties.csv", shallow=False)
    assert (first / "treaties.csv").read_text().splitlines()[1:3] == [
        "XL-CLN-2024,excess_of_loss,clinic_claims_made,2024,RUB,,,1000000.00,5000000.00,Demo Re (illustrative)",
        "QS-IND-2024,quota_share,individual_occurrence,2024,,30,25,,,Demo Re (illustrative)",
    ]  # by underwriting year, segment, code
