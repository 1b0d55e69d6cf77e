"""The engine is pure: it never imports Django, never reads the clock, does no I/O, and never
mutates its inputs."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from reserving.engine import (BootstrapODP, BornhuetterFerguson, CapeCod, Development, MackChainLadder,
                              TailConstant, Triangle)

ENGINE = Path(__file__).resolve().parents[3] / "reserving" / "engine"
CLOCK_CALLS = {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today"),
               ("time", "time"), ("time", "time_ns"), ("time", "perf_counter"), ("time", "monotonic"),
               ("timezone", "now"), ("Timestamp", "now"), ("Timestamp", "today"), ("pd", "Timestamp.now")}
IO_CALLS = {"open", "print", "input"}
FORBIDDEN_MODULES = ("django", "chainladder", "time", "socket", "requests", "subprocess")


def _sources():
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) >= 8
    return files


def test_engine_sources_import_neither_django_nor_chainladder_nor_the_clock():
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


def test_engine_sources_never_read_the_clock_or_do_io():
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in IO_CALLS, f"{path.name}:{node.lineno} calls {func.id}()"
            if isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else (
                    func.value.attr if isinstance(func.value, ast.Attribute) else None)
                assert (owner, func.attr) not in CLOCK_CALLS, f"{path.name}:{node.lineno} reads the clock"
                assert func.attr not in {"read_csv", "to_csv", "read_excel", "to_excel", "read_sql"}, \
                    f"{path.name}:{node.lineno} does I/O"


def test_importing_the_engine_loads_no_django_and_no_chainladder():
    code = ("import sys, json; import reserving.engine; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'chainladder'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ENGINE.parents[1], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout) == []


def test_fitting_never_mutates_the_inputs_or_the_configuration():
    values = np.array([[100, 180, 200, 210], [110, 190, 215, np.nan], [120, 230, np.nan, np.nan],
                       [130, np.nan, np.nan, np.nan]])
    tri = Triangle.from_array(values, origins=[2021, 2022, 2023, 2024], ages=[12, 24, 36, 48])
    before = tri.values.copy()
    premium = pd.Series({2021: 300.0, 2022: 320.0, 2023: 330.0, 2024: 350.0})
    premium_before = premium.copy()
    dev = Development(average="simple", n_periods=2)
    tail = TailConstant(1.02)
    MackChainLadder(development=dev, tail=tail).fit(tri)
    BornhuetterFerguson(apriori=0.7, development=dev).fit(tri, exposure=premium)
    CapeCod(decay=0.9).fit(tri, exposure=premium)
    BootstrapODP(n_sims=50, random_state=1).fit(tri)
    np.testing.assert_array_equal(tri.values, before)
    pd.testing.assert_series_equal(premium, premium_before)
    assert not hasattr(dev, "ldf_") and not hasattr(tail, "tail_")
