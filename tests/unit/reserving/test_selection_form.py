"""SelectionForm reads the workbench's controls: a method select per origin (`override_<origin>`)
and per age a picked average or a typed factor (`ldf_<age>`), into `overrides` and `ldfs`; the
JSON texts of the form before the workbench are still read, the controls win."""
from __future__ import annotations

import pytest
from django.http import QueryDict

from reserving.forms import SelectionForm


def form(**posted) -> SelectionForm:
    data = QueryDict(mutable=True)
    for key, value in posted.items():
        for v in value if isinstance(value, list) else [value]:
            data.appendlist(key, v)
    return SelectionForm(data)


def test_the_controls_build_overrides_and_ldfs():
    f = form(override_2024="bf_incurred", override_2023="", ldf_12=["", "1.8"], ldf_24="", tail="1.02")
    assert f.is_valid(), f.errors
    assert f.selection() == {"overrides": {"2024": "bf_incurred"}, "ldfs": {"12": 1.8}, "tail": 1.02}


def test_nothing_picked_is_no_selection():
    f = form(override_2024="", ldf_12="", ldf_24=["", ""])
    assert f.is_valid(), f.errors
    assert f.selection() == {}


def test_the_old_json_texts_are_read_and_the_controls_win():
    f = form(ldfs='{"12": 1.5, "24": 1.1}', overrides='{"2024": "bf"}', ldf_12="1.6", override_2023="elr")
    assert f.is_valid(), f.errors
    assert f.selection() == {"ldfs": {"12": 1.6, "24": 1.1}, "overrides": {"2024": "bf", "2023": "elr"}}


@pytest.mark.parametrize("posted, message", [
    ({"ldf_12": "0"}, "LDF at age 12 must be a positive number, got 0"),
    ({"ldf_12": "-2"}, "must be a positive number"),
    ({"ldf_12": "nan"}, "must be a positive number"),
    ({"ldf_12": "x1"}, "'x1' is not a number"),
    ({"ldf_twelve": "1.2"}, "whole number of months"),
    ({"ldf_12": ["1.5", "1.6"]}, "not both"),
    ({"ldfs": "[1, 2]"}, "give an object"),
])
def test_bad_factors_are_refused_naming_ldfs(posted, message):
    f = form(**posted)
    assert not f.is_valid()
    assert any(message in e for e in f.errors["ldfs"])


def test_the_same_factor_picked_and_typed_is_one_factor():
    f = form(ldf_12=["1.5", "1.50"])
    assert f.is_valid(), f.errors
    assert f.selection() == {"ldfs": {"12": 1.5}}
