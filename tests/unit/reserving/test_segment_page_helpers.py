"""The run segment page's formatting helpers: money to the currency's minor unit with thousands
separators, the bootstrap's D-31 verdict as rows (percentiles only when meaningful), the
provenance as terms and lines, never a printed dict."""
from __future__ import annotations

from decimal import Decimal

from reserving.admin import _bootstrap_rows, _money, _provenance_items


def test_money_is_grouped_to_the_minor_unit():
    assert _money(Decimal("1234567.5"), "IRR") == "1,234,568"
    assert _money("1234567.505", "RUB") == "1,234,567.51"
    assert _money(-0.001, "RUB") == "0.00"
    assert _money(None, "RUB") == "—"


def test_a_meaningful_bootstrap_shows_its_percentiles():
    out = _bootstrap_rows({"status": "ok", "n_sims": 1000, "mean": 15913.89, "std": 9008.78, "cv": 0.566,
                           "p75": 21256.97, "p95": 32745.05, "p99_5": 44542.84, "reasons": []}, "RUB")
    rows = dict(out["rows"])
    assert out["ok"] and rows["95th percentile"] == "32,745.05" and rows["99.5th percentile"] == "44,542.84"
    assert rows["CV"] == "0.57" and rows["simulations"] == "1,000" and out["reasons"] == []


def test_a_meaningless_bootstrap_shows_its_reasons_and_no_percentile():
    out = _bootstrap_rows({"status": "not meaningful", "mean": -3149646.79, "std": 4795232110.81, "cv": None,
                           "first_percentile": -2523938279.93, "reasons": ["the mean reserve -3,149,647 is not positive"]},
                          "IRR")
    labels = [label for label, _ in out["rows"]]
    assert not out["ok"] and "95th percentile" not in labels and "CV" not in labels
    assert dict(out["rows"])["mean"] == "-3,149,647"
    assert out["reasons"] == ["the mean reserve -3,149,647 is not positive"]
    failed = _bootstrap_rows({"status": "not computed", "reason": "too little history"}, "RUB")
    assert failed["reasons"] == ["too little history"]


def test_provenance_is_terms_and_lines():
    items = dict(_provenance_items({
        "grain": "OYDY", "grain_note": "thin", "method": "default", "rule": {"name": "maturity-v1", "text": "the rule"},
        "pattern": "volume-weighted", "tail": 1.0, "floor": "segment", "ibnr_before_floor": 283304.0004,
        "case_adjustment": {"method": "berquist_sherman", "trend": 0.2}, "case_adjustment_note": "restated",
        "apriori_source": {"2023": "kept", "2024": "kept"}, "engine": "engine-1", "regime": "ru"}, "RUB"))
    assert items["grain"] == ["accident years × development years (OYDY)", "thin"] and items["rule"] == ["maturity-v1", "the rule"]
    assert items["floor"] == ["segment; IBNR before the floor 283,304.00"]
    assert items["case adjustment"] == ["method: berquist_sherman, trend: 0.2", "restated"]
    assert items["a-priori source"] == ["kept"] and items["engine"] == ["engine-1", "regime ru"]
    differing = dict(_provenance_items({"apriori_source": {"2023": "kept", "2024": "derived"}}, "RUB"))
    assert differing["a-priori source"] == ["2023: kept", "2024: derived"]


def test_money_and_numbers_follow_the_active_language():
    from django.utils import translation

    from core.money_format import number_text
    from reserving import workbench

    nbsp = "\N{NO-BREAK SPACE}"
    with translation.override("fa"):
        assert _money(Decimal("1234567.5"), "IRR") == "۱٬۲۳۴٬۵۶۸"                  # whole rials
        assert _money("1234567.505", "RUB") == workbench._money(1234567.505, "RUB") == "۱٬۲۳۴٬۵۶۷٫۵۱"
        assert number_text(31415.9) == "۳۱٬۴۱۶" and workbench.separators() == "٫٬"
        values = [v for _label, v in _bootstrap_rows({"status": "ok", "n_sims": 1000, "mean": 15913.89}, "RUB")["rows"]]
        assert values[1:] == ["۱٬۰۰۰", "۱۵٬۹۱۳٫۸۹"]  # simulations, mean
    with translation.override("ru"):
        assert _money("1234567.505", "RUB") == f"1{nbsp}234{nbsp}567,51"
        assert workbench._money(float("nan"), "RUB") == "—" and workbench.separators() == f",{nbsp}"
    with translation.override("en"):
        assert number_text(31415.9) == "31,416" and workbench.separators() == ".,"
        assert dict(_bootstrap_rows({"status": "not meaningful"}, "RUB")["rows"])["status"] == "not meaningful"
