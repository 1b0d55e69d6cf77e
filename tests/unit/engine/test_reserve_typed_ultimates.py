"""A typed ultimate per origin (issue 13 §2) on the hand-checkable book of test_reserve:
without it 2022–2024 are chain ladder at 150 (IBNR 0) and 2025 is BF at 150 (IBNR 50)."""
from __future__ import annotations

import numpy as np
import pytest

from reserving.engine import ParameterError
from reserving.engine.reserve import TYPED, Selection

from .test_reserve import _reserve


def test_a_typed_ultimate_replaces_the_projection_for_its_origin_only():
    base = _reserve(selection={"method": "chainladder"})
    out = _reserve(selection={"method": "chainladder", "ultimates": {"2024": 180}})
    t = out.table
    assert t.loc[t.index.astype(str) == "2024", "ibnr"].item() == pytest.approx(30.0)   # 180 − 150
    assert t.loc[t.index.astype(str) == "2024", "method"].item() == TYPED
    assert t.loc[t.index.astype(str) == "2024", "selected_by"].item() == "actuary"
    np.testing.assert_allclose(t["ibnr"], [0, 0, 30, 50])
    assert out.ibnr == pytest.approx(80.0)
    others = t.index.astype(str) != "2024"
    np.testing.assert_allclose(t.loc[others, "ultimate"], base.table.loc[others, "ultimate"])
    assert list(t.loc[others, "method"]) == list(base.table.loc[others, "method"])
    assert np.isnan(t.loc[t.index.astype(str) == "2024", "mack_se"].item())
    assert out.provenance["typed_ultimates"] == {"2024": 180.0}
    assert out.provenance["methods_by_origin"]["2024"] == "typed"


def test_a_typed_ultimate_below_incurred_flags_negative_ibnr():
    out = _reserve(selection={"ultimates": {"2023": 120}})
    row = out.table.loc[out.table.index.astype(str) == "2023"].iloc[0]
    assert row["ibnr"] == pytest.approx(-30.0)
    assert "negative_ibnr" in row["flags"]
    assert any("2023" in n and "negative IBNR" in n for n in out.notes)


@pytest.mark.parametrize("bad", [-1, "abc", float("nan"), None, True])
def test_a_bad_typed_ultimate_is_refused_naming_the_field_and_origin(bad):
    with pytest.raises(ParameterError) as err:
        Selection.parse({"ultimates": {"2024": bad}})
    assert err.value.field == "ultimates" and "2024" in err.value.message


def test_a_typed_ultimate_for_an_origin_not_in_the_triangle_is_refused():
    with pytest.raises(ParameterError) as err:
        _reserve(selection={"ultimates": {"2019": 100}})
    assert err.value.field == "ultimates" and "2019" in err.value.message


def test_the_selection_round_trips_its_typed_ultimates():
    sel = Selection.parse({"ultimates": {"2024": "180.5"}, "note": "large claim settled"})
    assert sel.as_dict() == {"ultimates": {"2024": 180.5}, "note": "large claim settled"}
    assert Selection.parse(sel.as_dict()) == sel
