"""`ibnr --method default` (the command-line contract of the default rule) and `backtest`."""
from __future__ import annotations

import glob
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

PAID = [[100, 150, 165], [110, 165], [120]]
INCURRED = [[150, 165, 165], [160, 176], [180]]
PREMIUM = {2021: 200, 2022: 220, 2023: 240}
BF_2023 = 180 + 192 / 11  # maturity 90.9% → BF under maturity-v3; see test_default_rule.py


def write_triangle(path: Path, rows, origins, ages) -> Path:
    path.write_text("origin,development,value\n" + "".join(
        f"{origins[i]},{ages[j]},{v}\n" for i, row in enumerate(rows) for j, v in enumerate(row)))
    return path


@pytest.fixture
def files(tmp_path):
    paid = write_triangle(tmp_path / "paid.csv", PAID, [2021, 2022, 2023], [12, 24, 36])
    incurred = write_triangle(tmp_path / "incurred.csv", INCURRED, [2021, 2022, 2023], [12, 24, 36])
    premium = tmp_path / "premium.csv"
    premium.write_text("origin,premium\n" + "".join(f"{o},{p}\n" for o, p in PREMIUM.items()))
    return paid, incurred, premium


def run(*args) -> dict:
    out = StringIO()
    call_command("ibnr", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_default_with_incurred_keeps_the_json_shape_and_adds_the_method(files):
    paid, incurred, premium = files
    data = run("--triangle", str(paid), "--incurred", str(incurred), "--premium", str(premium),
               "--method", "default", "--apriori", "0.8")
    assert data["method"] == "default" and data["tail"] == 1.0
    assert [row["method"] for row in data["origins"]] == ["incurred_cl", "incurred_cl", "bf_incurred"]
    assert [row["ultimate"] for row in data["origins"]] == pytest.approx([165.0, 176.0, BF_2023])
    assert {"origin", "latest", "cdf", "ultimate", "ibnr", "mack_se", "method"} <= set(data["origins"][0])
    assert [row["latest"] for row in data["origins"]] == [165.0, 165.0, 120.0]  # paid to date
    assert data["total"]["ultimate"] == pytest.approx(341 + BF_2023)
    assert data["total"]["ibnr"] == pytest.approx(341 + BF_2023 - 450)  # ultimate − paid to date
    assert data["total"]["ibnr_incurred"] == pytest.approx(BF_2023 - 180)
    assert data["apriori_source"] == "given"


def test_default_without_incurred_uses_paid_alone_and_derives_the_apriori(files):
    paid, _, premium = files
    data = run("--triangle", str(paid), "--premium", str(premium), "--method", "default")
    assert data["provenance"]["basis"] == "paid"
    assert data["apriori_source"].startswith("derived: Cape Cod on the paid triangle")
    assert [row["method"] for row in data["origins"]][0] == "paid_cl"
    assert all(row["incurred"] is None for row in data["origins"])
    for row in data["origins"]:
        assert row["ibnr"] == pytest.approx(row["ultimate"] - row["latest"])


def test_default_takes_a_tail_only_when_asked_and_overrides_per_origin(files):
    paid, incurred, premium = files
    plain = run("--triangle", str(paid), "--incurred", str(incurred), "--premium", str(premium), "--method", "default")
    tailed = run("--triangle", str(paid), "--incurred", str(incurred), "--premium", str(premium), "--method", "default",
                 "--tail", "1.05")
    assert plain["provenance"]["projected_to_age"] == 36 and plain["tail"] == 1.0
    assert tailed["tail"] == 1.05 and tailed["total"]["ultimate"] > plain["total"]["ultimate"]
    over = run("--triangle", str(paid), "--incurred", str(incurred), "--premium", str(premium), "--method", "default",
               "--apriori", "0.8", "--override", "2023=elr")
    assert over["origins"][-1]["method"] == "elr" and over["origins"][-1]["ultimate"] == pytest.approx(192.0)
    assert "override" in over["origins"][-1]["flags"]


def test_default_on_quarterly_files(tmp_path):
    quarters = ["2024Q1", "2024Q2", "2024Q3"]
    paid = write_triangle(tmp_path / "q.csv", PAID, quarters, [3, 6, 9])
    premium = tmp_path / "qp.csv"
    premium.write_text("origin,premium\n2024Q1,200\n2024Q2,220\n2024Q3,240\n")
    data = run("--triangle", str(paid), "--premium", str(premium), "--method", "default", "--apriori", "0.8")
    assert [row["origin"] for row in data["origins"]] == quarters
    assert data["origins"][-1]["ultimate"] == pytest.approx(120 + 0.65 / 1.65 * 192)


def test_the_default_table_shows_the_method(files):
    paid, incurred, premium = files
    out = StringIO()
    call_command("ibnr", "--triangle", str(paid), "--incurred", str(incurred), "--premium", str(premium),
                 "--method", "default", stdout=out)
    assert "bf_incurred" in out.getvalue() and "a-priori: derived" in out.getvalue()


@pytest.mark.parametrize("args,message", [
    (["--method", "default"], "needs premium by origin"),
    (["--method", "chainladder", "--incurred", "INC"], "used by method default only"),
    (["--method", "default", "--premium", "PREM", "--override", "2023"], "ORIGIN=METHOD"),
    (["--method", "default", "--premium", "PREM", "--override", "2023=median"], "unknown method 'median'"),
    (["--method", "default", "--premium", "PREM", "--apriori", "-0.5"], "must be > 0"),
])
def test_bad_default_options_are_command_errors(files, args, message):
    paid, incurred, premium = files
    args = [str(incurred) if a == "INC" else str(premium) if a == "PREM" else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("ibnr", "--triangle", str(paid), *args)


# ------------------------------------------------------------------------------------ backtest
def square_csv(path: Path) -> Path:
    lines = ["line,company,origin,age,paid,incurred,premium"]
    for company, premium, lr in (("a", [100, 120, 150, 200], 0.7), ("b", [50, 60, 55, 70], 0.9)):
        for i, e in enumerate(premium):
            for j, (p, c) in enumerate(zip([0.2, 0.5, 0.8, 1.0], [0.6, 0.9, 1.0, 1.0])):
                lines.append(f"x,{company},{2001 + i},{j + 1},{e * lr * p},{e * lr * c},{e}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_backtest_prints_per_line_errors_of_every_method_and_the_default(tmp_path):
    path = square_csv(tmp_path / "squares.csv")
    out = StringIO()
    call_command("backtest", "--squares", str(path), "--cuts", "1-3", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["cuts"] == [1, 2, 3] and data["truth"] == "incurred"
    methods = {row["method"] for row in data["summary"]}
    assert {"paid_cl", "incurred_cl", "bf_paid", "bf_incurred", "capecod_incurred", "benktander_incurred",
            "elr", "default"} <= methods
    assert all(row["n"] == 6 and abs(row["median_abs_error"]) < 1e-9 for row in data["summary"])
    text = StringIO()
    call_command("backtest", "--squares", str(path), "--cuts", "1,3", stdout=text)
    assert "median absolute reserve error" in text.getvalue() and "default" in text.getvalue()


def test_backtest_refuses_bad_cuts(tmp_path):
    path = square_csv(tmp_path / "squares.csv")
    with pytest.raises(CommandError, match="a cut must be"):
        call_command("backtest", "--squares", str(path), "--cuts", "5")
    with pytest.raises(CommandError, match="--cuts wants"):
        call_command("backtest", "--squares", str(path), "--cuts", "a-b")


def _clrd2025():
    pytest.importorskip("chainladder")
    found = glob.glob(str(Path(__import__("chainladder").__file__).parent / "utils" / "data" / "clrd2025.csv"))
    if not found:
        pytest.skip("chainladder ships no clrd2025.csv")
    return found[0]


def test_backtest_reads_schedule_p_as_chainladder_ships_it():
    out = StringIO()
    call_command("backtest", "--squares", _clrd2025(), "--lines", "wkcomp", "--json", stdout=out)
    summary = {row["method"]: row for row in json.loads(out.getvalue())["summary"]}
    assert summary["default"]["n"] > 300
    # robust on this line (not a tuned threshold): the default beats paid CL and the ELR by far
    assert summary["default"]["median_abs_error"] < 0.7 * summary["paid_cl"]["median_abs_error"]
    assert summary["default"]["median_abs_error"] < 0.7 * summary["elr"]["median_abs_error"]


def test_backtest_singles_volume_is_reported(tmp_path):
    path = square_csv(tmp_path / "squares.csv")
    out = StringIO()
    call_command("backtest", "--squares", str(path), "--cuts", "1-3", "--singles", "volume", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["singles"] == "volume"
    assert all(row["n"] == 6 and abs(row["median_abs_error"]) < 1e-9 for row in data["summary"])
    text = StringIO()
    call_command("backtest", "--squares", str(path), "--cuts", "1", "--singles", "volume", stdout=text)
    assert "single methods on volume-weighted factors" in text.getvalue()
