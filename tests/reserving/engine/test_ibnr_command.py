"""`manage.py ibnr`: long CSV in, design.md §5 JSON or a table out; bad input is a clear
CommandError, a non-zero exit and no traceback."""
from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[3]
ROWS = [[1000, 2500, 3400, 3800], [1200, 2900, 3900], [1300, 3200], [1500]]


@pytest.fixture
def files(tmp_path):
    tri = tmp_path / "triangle.csv"
    tri.write_text("origin,development,value\n" + "".join(
        f"{2021 + i},{12 * (j + 1)},{v}\n" for i, row in enumerate(ROWS) for j, v in enumerate(row)))
    premium = tmp_path / "premium.csv"
    premium.write_text("origin,premium\n2021,4000\n2022,4500\n2023,4800\n2024,5000\n")
    return tri, premium


def run(*args) -> dict:
    out = StringIO()
    call_command("ibnr", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_chainladder_json_has_the_contract_keys_and_the_worked_numbers(files):
    tri, _ = files
    data = run("--triangle", str(tri), "--method", "chainladder", "--tail", "1.05")
    assert data["method"] == "chainladder" and data["tail"] == 1.05
    assert [row["age"] for row in data["ldf"]] == [12, 24, 36]
    assert round(data["ldf"][0]["ldf"], 4) == 2.4571
    assert [set(row) for row in data["origins"]] == [{"origin", "latest", "cdf", "ultimate", "ibnr", "mack_se"}] * 4
    assert [round(row["ultimate"], 1) for row in data["origins"]] == [3990.0, 4576.8, 5076.6, 5847.2]
    assert all(row["mack_se"] is None for row in data["origins"])
    assert round(data["total"]["ibnr"], 1) == 7090.5
    for row in data["origins"]:
        assert row["ibnr"] == pytest.approx(row["ultimate"] - row["latest"])


def test_mack_fills_mack_se_per_origin_and_in_total(files):
    tri, _ = files
    data = run("--triangle", str(tri), "--method", "mack")
    assert all(isinstance(row["mack_se"], float) for row in data["origins"])
    assert data["total"]["mack_se"] > max(row["mack_se"] for row in data["origins"])


def test_bf_reads_the_premium_file(files):
    tri, premium = files
    data = run("--triangle", str(tri), "--premium", str(premium), "--method", "bf", "--apriori", "0.8",
               "--tail", "1.05")
    assert round(data["origins"][-1]["ibnr"], 1) == 2973.9


@pytest.mark.parametrize("method", ["capecod", "elr"])
def test_capecod_and_elr_run(files, method):
    tri, premium = files
    data = run("--triangle", str(tri), "--premium", str(premium), "--method", method, "--apriori", "0.8")
    assert data["method"] == method and len(data["origins"]) == 4


def test_bootstrap_adds_a_seeded_distribution(files):
    big = files[0].parent / "raa.csv"
    from tests.reserving.engine.test_bootstrap import RAA
    big.write_text("origin,development,value\n" + "".join(
        f"{1981 + i},{j + 1},{v}\n" for i, row in enumerate(RAA) for j, v in enumerate(row)))
    a = run("--triangle", str(big), "--method", "bootstrap", "--sims", "500", "--seed", "3")
    b = run("--triangle", str(big), "--method", "bootstrap", "--sims", "500", "--seed", "3")
    assert set(a["distribution"]) == {"mean", "p75", "p95", "p99.5"}
    assert a == b
    assert [row["age"] for row in a["ldf"]][:2] == [1, 2]  # lags are echoed as given


def test_without_json_a_readable_table_is_printed(files):
    out = StringIO()
    call_command("ibnr", "--triangle", str(files[0]), "--method", "mack", stdout=out)
    text = out.getvalue()
    assert "origin" in text and "ultimate" in text and "2024" in text and "total" in text


@pytest.mark.parametrize("args,message", [
    (["--method", "median"], "unknown method 'median'"),
    (["--method", "bf"], "needs an a priori loss ratio"),
    (["--method", "capecod"], "needs premium by origin"),
    (["--method", "chainladder", "--tail", "0.9"], "tail factor 0.9 is below 1"),
])
def test_bad_options_are_command_errors(files, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ibnr", "--triangle", str(files[0]), *args)


def test_a_ragged_triangle_fails_with_the_engines_message_and_no_traceback(tmp_path):
    tri = tmp_path / "ragged.csv"
    tri.write_text("origin,development,value\n2021,1,10\n2021,2,20\n2021,3,30\n2022,1,5\n2022,3,9\n2023,1,4\n")
    proc = subprocess.run([sys.executable, "manage.py", "ibnr", "--triangle", str(tri), "--method", "chainladder"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "ragged triangle: origin 2022 has no value at age 2" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read the triangle file"):
        call_command("ibnr", "--triangle", str(tmp_path / "nope.csv"), "--method", "mack")
