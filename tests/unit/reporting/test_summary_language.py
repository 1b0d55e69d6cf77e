"""The reserve summary CSV in the user's language (issue 16 §2): Russian and Persian headers,
segment and method names; English the machine layout of codes; the same run and language
always the same bytes, and the same amounts in every language.

Needs the compiled catalogues (`make messages`, a prerequisite of `make test`)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import override

from reporting.exports.summary import COLUMNS, NUMERIC, named_layout, write_summary_csv
from tests.unit.reporting.test_exports import report_data

BOM = "\ufeff".encode()
FINGERPRINT = "ab" * 32


@pytest.fixture(autouse=True)
def _compiled_catalogues():
    for language in ("ru", "fa"):
        if not (Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo").exists():
            pytest.fail(f"locale/{language}/LC_MESSAGES/django.mo missing: run `make messages`")


def _written(language: str) -> bytes:
    return write_summary_csv(report_data(), language=language)


def _lines(content: bytes) -> list[str]:
    return content.decode("utf-8-sig").splitlines()


def test_english_is_the_machine_layout_of_codes():
    content = _written("en")
    assert not content.startswith(BOM)
    lines = _lines(content)
    assert lines[0] == ",".join(COLUMNS)
    assert lines[3] == ("7,2024-12-31,ru,individual_occurrence,RUB,13,1000000.00,0.00,300000.00,250000.00,27500.00,"
                        f"1577500.00,chainladder,{FINGERPRINT},0.00,0.00,0.00,0.00,0.00,0.00,1577500.00")
    assert len(content) == 837


def test_russian_names_the_columns_segments_and_methods():
    content = _written("ru")
    assert content.startswith(BOM)  # Excel reads the Cyrillic as UTF-8
    lines = _lines(content)
    assert lines[0].split(",")[:6] == ["расчёт", "отчётная дата", "режим", "сегмент", "валюта", "учётная группа"]
    assert lines[0].endswith(",доля перестраховщиков в РРУУ,\"доля перестраховщиков, итого\",итого нетто")
    assert lines[1] == ('7,2024-12-31,ru,"индивидуальные специалисты, на базе наступления события",IRR,13,900000000,0,'
                        f"40000000,30000000,3500000,973500000,ожидаемый коэффициент убыточности,{FINGERPRINT},0,0,0,0,0,0,973500000")
    assert lines[3].split(",")[3:5] == ['"индивидуальные специалисты', ' на базе наступления события"']
    assert ",цепная лестница," in lines[3]


def test_persian_names_the_columns_segments_and_methods():
    lines = _lines(_written("fa"))
    assert lines[0].split(",")[:6] == ["محاسبه", "تاریخ ارزیابی", "رژیم", "بخش", "ارز", "گروه حسابداری"]
    assert lines[0].endswith(",سهم بیمه‌گران اتکایی، جمع,جمع خالص")  # the Persian comma needs no quotes
    assert lines[2] == ("7,2024-12-31,ru,درمانگاه‌ها، مبنای اعلام خسارت,RUB,13,500000.00,12345.67,100000.00,50000.00,"
                        f"7500.00,669845.67,ضریب خسارت مورد انتظار,{FINGERPRINT},0.00,0.00,0.00,0.00,0.00,0.00,669845.67")


@pytest.mark.parametrize("language", ["en", "ru", "fa"])
def test_the_same_run_and_language_give_the_same_bytes(language):
    assert _written(language) == _written(language)


def test_the_languages_differ_in_words_only():
    by_language = {language: _written(language) for language in ("en", "ru", "fa")}
    assert len(set(by_language.values())) == 3
    codes = list(csv.reader(io.StringIO(by_language["en"].decode())))
    numeric = [COLUMNS.index(c) for c in NUMERIC] + [COLUMNS.index(c) for c in ("valuation_date", "currency", "regime")]
    for language in ("ru", "fa"):
        named = list(csv.reader(io.StringIO(by_language[language].decode("utf-8-sig"))))
        assert len(named) == len(codes) == 4 and all(len(row) == len(COLUMNS) for row in named)
        for row_named, row_codes in zip(named[1:], codes[1:]):
            assert [row_named[i] for i in numeric] == [row_codes[i] for i in numeric]


def test_a_regional_english_is_english():
    assert not named_layout("en-gb") and not named_layout("en") and not named_layout(None)
    assert named_layout("ru") and named_layout("fa")


def test_the_language_is_asked_for_not_taken_from_the_thread():
    """A page left active in Persian does not turn a script's export into Persian."""
    with override("fa"):
        assert write_summary_csv(report_data()) == _written("en")
        assert _written("ru").startswith(BOM + "расчёт,".encode())
