"""0420155 in the reporting currency (issue 17 §4): the IRR segments converted at the official
rate of the valuation date, the rate named on the cover; a missing rate refuses the report."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from fx.models import OfficialRate
from fx.selectors import RateMissing
from reporting.exports.f0420155 import write_0420155
from reporting.selectors import report_data_converted
from tests.unit.reporting.test_exports import _lines, report_data

pytestmark = pytest.mark.django_db


def test_irr_segments_are_converted_at_the_valuation_dates_rate_and_the_cover_says_which():
    OfficialRate.objects.create(rate_date=date(2024, 12, 31), currency="IRR", rate=Decimal("0.002"),
                                source="Bank of Russia")
    data = report_data_converted(report_data())
    irr = next(r for r in data.reserves if r.converted_from == "IRR")
    # 900,000,000 rials × 0.002 = 1,800,000.00 roubles; RBNS 40,000,000 → 80,000.00
    assert (irr.currency, irr.upr, irr.rbns, irr.ulae) == ("RUB", Decimal("1800000.00"), Decimal("80000.00"),
                                                           Decimal("7000.00"))
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(data, n_quarters=8, n_origins=8)))
    total = _lines(wb["1.1 Итого"])
    # UPR: 1,000,000 + 500,000 (RUB) + 1,800,000 (IRR converted) = 3,300.0 thousand
    assert total["011"][2] == 3300.0
    # RBNS 300,000 + 100,000 + 80,000 = 480.0; IBNR 250,000 + 50,000 + 60,000 = 360.0
    assert total["031"][2] == 480.0 and total["035"][2] == 360.0
    assert total["011"][1] == 800.0  # the year-end column: RUB only in that run, no rate needed
    cover = {wb["Титул"].cell(row=i, column=1).value: wb["Титул"].cell(row=i, column=2).value for i in range(3, 13)}
    assert cover["Курс / Rate used"] == "1 IRR = 0.002 RUB, official rate of 2024-12-31 (Bank of Russia)"
    assert cover["Охват / Scope"].endswith("All segments; other currencies converted to RUB at the official rate "
                                           "of the reporting date")
    # payments of 2023Q1 at 1.2023: 100 + 200 roubles + 100,000 rials × 0.002 = 500 roubles = 0.5 thousand
    assert wb["5.1 Выплаты"].cell(row=7, column=3).value == 0.5
    earned = wb["2 Заработанная премия"]
    assert [earned.cell(row=r, column=4).value for r in range(4, 7)] == [None, None, "IRR → RUB"]


def test_a_missing_rate_refuses_the_report_naming_currency_and_date():
    OfficialRate.objects.create(rate_date=date(2024, 12, 1), currency="IRR", rate=Decimal("0.002"))  # 30 days old
    with pytest.raises(RateMissing) as caught:
        report_data_converted(report_data())
    assert caught.value.message.startswith("no official IRR rate to RUB on 2024-12-31 (none dated 2024-12-21 to "
                                           "2024-12-31)")


def test_without_conversion_the_paper_says_rub_only():
    wb = openpyxl.load_workbook(io.BytesIO(write_0420155(report_data())))
    assert _lines(wb["1.1 Итого"])["011"][2] == 1500.0
    assert wb["Титул"]["B9"].value == "Только сегменты в RUB / RUB segments only"
