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
    from tests.unit.engine.samples import RAA
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


@pytest.mark.slow
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


# --------------------------------------------------------------------------- defects, item 14
def test_origins_that_are_numbers_sort_as_numbers(tmp_path):
    # a q40-style file: origins 1…40, lags 1…41−origin; as text "10" < "2" and the staircase broke
    tri = tmp_path / "q40.csv"
    tri.write_text("origin,development,value\n" + "".join(
        f"{i},{j},{100 + i + 10 * j}\n" for i in range(1, 41) for j in range(1, 42 - i)))
    data = run("--triangle", str(tri), "--method", "chainladder")
    assert [row["origin"] for row in data["origins"]] == [str(i) for i in range(1, 41)]
    assert data["origins"][0]["ibnr"] == 0 and data["origins"][-1]["ibnr"] > 0


def test_origin_labels_of_one_period_match_however_written(tmp_path, files):
    _, premium = files  # keyed 2021…2024
    tri = tmp_path / "floats.csv"
    tri.write_text("origin,development,value\n" + "".join(
        f"{2021 + i}.0,{12 * (j + 1)},{v}\n" for i, row in enumerate(ROWS) for j, v in enumerate(row)))
    data = run("--triangle", str(tri), "--premium", str(premium), "--method", "elr", "--apriori", "0.8")
    assert [row["origin"] for row in data["origins"]] == ["2021", "2022", "2023", "2024"]
    assert [row["ultimate"] for row in data["origins"]] == [3200.0, 3600.0, 3840.0, 4000.0]
    twice = tmp_path / "twice.csv"
    twice.write_text("origin,premium\n2021,4000\n2021.0,4000\n2022,4500\n2023,4800\n2024,5000\n")
    with pytest.raises(CommandError, match="premium for origin 2021 appears twice"):
        call_command("ibnr", "--triangle", str(tri), "--premium", str(twice), "--method", "elr", "--apriori", "0.8")


def test_negative_premium_is_refused(tmp_path, files):
    tri, _ = files
    premium = tmp_path / "negative.csv"
    premium.write_text("origin,premium\n2021,4000\n2022,-4500\n2023,4800\n2024,5000\n")
    for method in ("elr", "bf", "capecod"):
        with pytest.raises(CommandError, match=r"premium for origin 2022 is negative \(-4,500.00\)"):
            call_command("ibnr", "--triangle", str(tri), "--premium", str(premium), "--method", method,
                         "--apriori", "0.8")


@pytest.fixture
def medmal_43770(tmp_path):
    """CAS medmal company 43770 (Clinic Mut Ins Co RRG), case-incurred (IncurLoss − BulkLoss):
    its sigmas reach 0 at age 8, and a tail of 1.05 extrapolates them to 1.9e78."""
    from tests.unit.engine.cl_oracle import cl, to_engine

    clrd = cl.load_sample("clrd")
    medmal = clrd[clrd["LOB"] == "medmal"]
    k = list(medmal.index["GRNAME"]).index("Clinic Mut Ins Co RRG")
    company = medmal.iloc[k]
    tri = to_engine(company["IncurLoss"] - company["BulkLoss"])
    path = tmp_path / "43770.csv"
    path.write_text("origin,development,value\n" + "".join(
        f"{origin},{j + 1},{tri.values[i, j]:g}\n" for i, origin in enumerate(tri.origins)
        for j in range(tri.lengths[i])))
    return path


def test_a_mack_standard_error_whose_tail_sigma_blows_up_is_unusable_not_a_number(medmal_43770):
    data = run("--triangle", str(medmal_43770), "--method", "mack", "--tail", "1.05")
    assert round(data["total"]["ibnr"], 2) == 1739.39  # the chain-ladder figures stand
    assert data["total"]["mack_se"] is None and all(row["mack_se"] is None for row in data["origins"])
    assert "tail's sigma" in data["mack_se_unusable"] and "diverges" in data["mack_se_unusable"]
    out = StringIO()
    call_command("ibnr", "--triangle", str(medmal_43770), "--method", "mack", "--tail", "1.05", stdout=out)
    *rows, blank, reason = out.getvalue().splitlines()
    assert rows[-1].split()[0] == "total" and rows[-1].split()[-1] == "unusable"
    assert reason.startswith("Mack's standard error is unusable: the tail's sigma") and blank == ""
    numbers = [cell for line in rows for cell in line.split() if any(ch.isdigit() for ch in cell)]
    assert not any("e+" in cell or len(cell) > 20 for cell in numbers)
    # without the tail there is nothing to extrapolate to: Mack's figures are numbers again
    plain = run("--triangle", str(medmal_43770), "--method", "mack")
    assert "mack_se_unusable" not in plain and plain["total"]["mack_se"] < 10 * plain["total"]["latest"]


@pytest.mark.parametrize("rows,args,message", [
    ("2021,1,10\n2021,2.5,20\n2022,1,5\n", ["--method", "chainladder"], "development 2.5 is not an integer age or lag"),
    ("2021,1,10\n2021,2,\n2022,1,5\n", ["--method", "chainladder"], "origin 2021 age 2: value nan is not a number"),
])
def test_error_messages_show_plain_values(tmp_path, rows, args, message):
    tri = tmp_path / "bad.csv"
    tri.write_text("origin,development,value\n" + rows)
    with pytest.raises(CommandError) as caught:
        call_command("ibnr", "--triangle", str(tri), *args)
    assert str(caught.value) == message and "np." not in str(caught.value)
