"""The issue's targets as the bench checks them (benchmarks.targets)."""
from __future__ import annotations

from benchmarks.targets import growth_checks, row_checks


def row(policies, step, seconds, floor=None, rows_per_s=None, rss=None, **extra):
    return {"policies": policies, "step": step, "seconds": seconds, "floor_seconds": floor,
            "ratio": None if floor is None else seconds / floor, "rows_per_s": rows_per_s, "peak_rss_mb": rss, **extra}


def verdicts(r):
    return [(c.target, c.met) for c in row_checks(r)]


def test_upr_at_1m_is_held_to_2_5_times_its_floor():
    assert verdicts(row(1_000_000, "upr", 3.2, floor=1.31)) == [("≤ 2.5× floor", True)]      # 2.44×
    assert verdicts(row(1_000_000, "upr", 67.5, floor=1.31)) == [("≤ 2.5× floor", False)]    # 51×


def test_at_100k_the_ratios_are_looser():
    assert verdicts(row(100_000, "upr", 0.9, floor=0.31)) == [("≤ 3× floor", True)]          # 2.9×
    assert verdicts(row(100_000, "earned_premium", 1.2, floor=0.31)) == [("≤ 4× floor", True)]
    assert verdicts(row(100_000, "triangles", 3.2, floor=0.53)) == [("≤ 4× floor", False)]
    assert verdicts(row(100_000, "rbns", 0.8, floor=0.28)) == [("≤ 3× floor", True)]


def test_rbns_has_no_ratio_target_at_1m():
    assert verdicts(row(1_000_000, "rbns", 15.4, floor=0.85)) == []


def test_quarter_end_5_s_at_100k_and_20_s_from_300k():
    assert verdicts(row(100_000, "quarter_end", 5.0)) == [("≤ 5 s", True)]
    assert verdicts(row(100_000, "quarter_end", 80.7)) == [("≤ 5 s", False)]
    assert verdicts(row(300_000, "quarter_end", 19.9)) == [("≤ 20 s", True)]
    assert verdicts(row(1_000_000, "quarter_end", 964.0)) == [("≤ 20 s", False)]


def test_import_rate_and_memory():
    assert verdicts(row(100_000, "import", 50.7, rows_per_s=3706.7, rss=564.0)) == [("≥ 50,000 rows/s", False)]
    assert verdicts(row(1_000_000, "import", 9.0, rows_per_s=208_000.0, rss=1100.0)) == [
        ("≥ 100,000 rows/s", True), ("peak RSS ≤ 1 GB", False)]


def test_every_dashboard_under_a_second_is_judged_on_the_slowest_page():
    assert verdicts(row(100_000, "dashboards", 2.4, slowest_view_seconds=0.6)) == [("every dashboard < 1 s", True)]
    assert verdicts(row(100_000, "dashboards", 2.4, slowest_view_seconds=1.0)) == [("every dashboard < 1 s", False)]


def test_api_rate_and_p99():
    assert verdicts(row(100_000, "api_postings", 5.0, rows_per_s=400.0, p99_ms=80.0)) == [
        ("≥ 300 postings/s", True), ("p99 < 100 ms", True)]
    assert verdicts(row(100_000, "api_postings", 110.0, rows_per_s=18.0, p99_ms=840.0)) == [
        ("≥ 300 postings/s", False), ("p99 < 100 ms", False)]


def test_growth_is_judged_against_the_floor_within_10_percent():
    rows = [row(100_000, "upr", 5.2, floor=0.131), row(1_000_000, "upr", 67.5, floor=1.31),      # ×13.0 vs ×10
            row(100_000, "rbns", 1.0, floor=0.1), row(1_000_000, "rbns", 10.9, floor=1.0),       # ×10.9 vs ×10
            row(100_000, "export_0420155", 0.5), row(1_000_000, "export_0420155", 5.0)]         # no floor
    checks = {c.step: c for c in growth_checks(rows, {})}
    assert set(checks) == {"upr", "rbns"}
    assert not checks["upr"].met
    assert checks["rbns"].met
    assert checks["upr"].target == "grows ≤ its floor (100,000→1,000,000: ×13.0 vs ×10.0)"


def test_import_grows_against_the_book_rows():
    rows = [row(100_000, "import", 50.0), row(1_000_000, "import", 600.0)]
    [check] = growth_checks(rows, {100_000: 187_932, 1_000_000: 1_880_000})
    assert not check.met and check.target.startswith("grows ≤ its rows")


def test_one_size_has_no_growth_checks():
    assert growth_checks([row(100_000, "upr", 1.0, floor=0.5)], {}) == []
