"""segments.csv and fx_rates.csv in the book format (issue 17 §0, §4): unknown segments,
the --allow-new-segments flag, older books without the files, bad rates, and the exact round
trip of both files."""
from __future__ import annotations

import filecmp
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from core.roles import system_actor
from exchange.services import BookRefused, book_export, book_import, book_sources_from_dir
from fx.models import OfficialRate
from policies.models import Policy
from segments.models import Segment
from tests.integration.exchange.bookfiles import book_copy, cell_set, rows_write

pytestmark = pytest.mark.django_db

SEGMENTS_HEADER = ["code", "name_en", "name_ru", "name_fa", "line_of_business", "accounting_group"]
RATES_HEADER = ["date", "currency", "rate", "source"]


def _import(book, **kw):
    return book_import(sources=book_sources_from_dir(book), actor=system_actor(), **kw)


def _refusals(book, **kw) -> list[str]:
    with pytest.raises(BookRefused) as caught:
        _import(book, **kw)
    return caught.value.errors


def test_an_older_book_without_segments_csv_imports_when_its_codes_are_known(tmp_path):
    book = book_copy(tmp_path)
    report = _import(book)
    assert report.written["segments"] == 0 and report.written["policies"] == 4
    assert Segment.objects.count() == 2  # the seeded two, nothing added


def test_an_unknown_segment_is_refused_naming_the_row_and_nothing_is_written(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "policies.csv", 3, "segment", "dental_occurrence")
    errors = _refusals(book)
    assert errors[0] == ("policies.csv:3: unknown segment dental_occurrence: list it in segments.csv "
                         "or import with --allow-new-segments")
    assert not Policy.objects.exists() and not Segment.objects.filter(code="dental_occurrence").exists()


def test_segments_csv_adds_the_code_with_its_names_group_and_line(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "policies.csv", 3, "segment", "dental_occurrence")
    rows_write(book / "segments.csv", [SEGMENTS_HEADER,
                                       ["dental_occurrence", "dentists, occurrence", "стоматологи", "دندانپزشکان", "8", "13"]])
    report = _import(book)
    assert report.written["segments"] == 1
    seg = Segment.objects.get(code="dental_occurrence")
    assert (seg.name_en, seg.name_ru, seg.name_fa, seg.line_of_business, seg.accounting_group) == (
        "dentists, occurrence", "стоматологи", "دندانپزشکان", "8", "13")
    assert seg.name("ru") == "стоматологи" and seg.name("de") == "dentists, occurrence"
    assert Policy.objects.get(policy_number="P-002").segment == "dental_occurrence"


def test_allow_new_segments_adds_the_bare_code(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "policies.csv", 3, "segment", "dental_occurrence")
    report = _import(book, allow_new_segments=True)
    assert report.written["segments"] == 1
    seg = Segment.objects.get(code="dental_occurrence")
    assert (seg.name_en, seg.accounting_group) == ("", "") and seg.name("en") == "dental_occurrence"


def test_import_book_command_takes_the_flag(tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "policies.csv", 2, "segment", "dental_occurrence")
    with pytest.raises(CommandError):
        call_command("import_book", str(book))
    call_command("import_book", str(book), "--allow-new-segments")
    assert Segment.objects.filter(code="dental_occurrence").exists()


def test_a_segment_row_that_contradicts_the_table_is_refused(tmp_path):
    book = book_copy(tmp_path)
    rows_write(book / "segments.csv", [SEGMENTS_HEADER,
                                       ["individual_occurrence", "", "", "", "", "7"],
                                       ["clinic_claims_made", "clinics, claims-made basis", "", "", "8", ""],
                                       ["clinic_claims_made", "", "", "", "", ""]])
    errors = _refusals(book)
    assert errors == [
        "segments.csv:2: segment individual_occurrence is in the database with accounting_group '13', the file "
        "says '7'; change it under Segments, a book only adds segments",
        "segments.csv:4: duplicate segment code clinic_claims_made (first on line 3)",
    ]
    assert Segment.objects.get(code="individual_occurrence").accounting_group == "13"


def test_rates_are_imported_and_bad_rates_refused_naming_the_row(tmp_path):
    book = book_copy(tmp_path)
    rows_write(book / "fx_rates.csv", [RATES_HEADER,
                                       ["2024-12-31", "IRR", "0.0018891781", "Bank of Russia"],
                                       ["2024-12-31", "irr", "0.0019", ""],
                                       ["2024-12-31", "RUB", "1", ""],
                                       ["2024-12-30", "IRR", "0", ""],
                                       ["2024-12-30", "XXX", "2", ""],
                                       ["2024-12-29", "IRR", "0.5x", ""]])
    errors = _refusals(book)
    assert errors == [
        "fx_rates.csv:3: duplicate rate for IRR on 2024-12-31 (first on line 2)",
        "fx_rates.csv:4: RUB is the reporting currency and needs no rate",
        "fx_rates.csv:5: rate 0 must be above zero",
        "fx_rates.csv:6: unknown currency 'XXX'; known: AED, EUR, IRR, KZT, RUB, USD",
        "fx_rates.csv:7: bad decimal in rate: '0.5x'",
    ]
    assert not OfficialRate.objects.exists() and not Policy.objects.exists()
    rows_write(book / "fx_rates.csv", [RATES_HEADER, ["2024-12-31", "IRR", "0.0018891781", "Bank of Russia"]])
    assert _import(book).written["fx_rates"] == 1
    rate = OfficialRate.objects.get()
    assert (rate.rate_date, rate.currency, rate.rate, rate.source) == (
        date(2024, 12, 31), "IRR", Decimal("0.0018891781"), "Bank of Russia")


def test_a_rate_that_contradicts_the_table_is_refused_and_an_equal_one_passes(tmp_path):
    OfficialRate.objects.create(rate_date=date(2024, 12, 31), currency="IRR", rate=Decimal("0.0019"), source="CBR")
    book = tmp_path / "rates"
    book.mkdir()
    rows_write(book / "fx_rates.csv", [RATES_HEADER, ["2024-12-31", "IRR", "0.00190", ""]])
    assert _import(book).written["fx_rates"] == 0  # the same rate: nothing to add
    rows_write(book / "fx_rates.csv", [RATES_HEADER, ["2024-12-31", "IRR", "0.002", ""]])
    assert _refusals(book) == ["fx_rates.csv:2: the IRR rate of 2024-12-31 is 0.0019 in the database, the file "
                               "says 0.002; official rates are not corrected by a book"]


def test_demo_reference_files_round_trip_exactly(tmp_path):
    """demo_book's segments.csv and fx_rates.csv → import → export → import into an empty
    table → export: the two exports are byte-identical."""
    call_command("demo_book", str(tmp_path / "demo"), "--policies", "40", "--years", "2", "--seed", "3")
    names = ("segments.csv", "fx_rates.csv")
    _import_only(tmp_path / "demo", names)
    assert OfficialRate.objects.filter(currency="IRR").count() == 8  # a rate per quarter end of the two years
    first, second = tmp_path / "first", tmp_path / "second"
    book_export(directory=first, actor=system_actor())
    OfficialRate.objects.all().delete()
    Segment.objects.exclude(code__in=["individual_occurrence", "clinic_claims_made"]).delete()
    _import_only(first, names)
    book_export(directory=second, actor=system_actor())
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert sorted(match) == sorted(names), (mismatch, errors)
    lines = (first / "fx_rates.csv").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["date,currency,rate,source", "2024-03-31,IRR,0.0021,illustrative (demo)",
                         "2024-06-30,IRR,0.0020685,illustrative (demo)"]  # 0.0021 × 0.985
    assert (first / "segments.csv").read_text(encoding="utf-8").splitlines()[1] == (
        'clinic_claims_made,"clinics, claims-made basis","клиники, на базе предъявления претензий",'
        "درمانگاه‌ها، مبنای اعلام خسارت,8,13")


def test_export_writes_a_segment_added_in_the_admin_and_it_round_trips(tmp_path):
    Segment.objects.create(code="=cmd", name_en="-odd, name", accounting_group="13")
    OfficialRate.objects.create(rate_date=date(2025, 3, 31), currency="USD", rate=Decimal("81.250000000000"))
    first, second = tmp_path / "first", tmp_path / "second"
    book_export(directory=first, actor=system_actor())
    text = (first / "segments.csv").read_text(encoding="utf-8").splitlines()
    assert text[1] == "'=cmd,\"'-odd, name\",,,,13"  # text cells escaped against spreadsheet formulas
    assert (first / "fx_rates.csv").read_text(encoding="utf-8").splitlines()[1] == "2025-03-31,USD,81.25,"
    Segment.objects.filter(code="=cmd").delete()
    OfficialRate.objects.all().delete()
    _import_only(first, ("segments.csv", "fx_rates.csv"))
    book_export(directory=second, actor=system_actor())
    for name in ("segments.csv", "fx_rates.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def _import_only(book, names):
    book_import(sources={name: book / name for name in names}, actor=system_actor())
