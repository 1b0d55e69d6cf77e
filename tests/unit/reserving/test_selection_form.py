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


def test_typed_ultimates_are_read_per_origin_and_the_json_text_too():
    f = form(ultimate_2024="150000.5", ultimate_2023="", ultimate_2022="0", ultimates='{"2021": 7, "2024": 1}',
             note="2024 set by the claims review")
    assert f.is_valid(), f.errors
    assert f.cleaned_data["ultimates"] == {"2021": 7, "2024": 150000.5, "2022": 0.0}
    assert f.selection() == {"ultimates": {"2021": 7, "2024": 150000.5, "2022": 0.0},
                             "note": "2024 set by the claims review"}
    assert f.ultimate_errors == {}


@pytest.mark.parametrize("typed, message", [
    ("x", "typed ultimate for origin 2024: 'x' is not a number"),
    ("1,000", "typed ultimate for origin 2024: '1,000' is not a number"),
    ("-0.01", "typed ultimate for origin 2024 must be an amount of 0 or more, got -0.01"),
    ("1e400", "typed ultimate for origin 2024 must be an amount of 0 or more, got 1e400"),
    ("-inf", "typed ultimate for origin 2024 must be an amount of 0 or more, got -inf"),
])
def test_a_bad_typed_ultimate_is_refused_on_its_origin(typed, message):
    f = form(ultimate_2024=typed, ultimate_2023="5", note="why")
    assert not f.is_valid()
    assert f.ultimate_errors == {"2024": [message]} and f.errors["ultimates"] == [message]
    assert "note" not in f.errors


def test_a_typed_ultimate_needs_a_note_except_in_the_preview():
    f = form(ultimate_2024="5", ultimate_2023="6")
    assert not f.is_valid()
    assert f.errors["note"] == ["a typed ultimate (origin 2023, 2024) needs a note: say why the projection is set aside"]
    preview = SelectionForm(QueryDict("ultimate_2024=5"), note_required=False)
    assert preview.is_valid(), preview.errors
    assert preview.selection() == {"ultimates": {"2024": 5.0}}
    assert form(override_2024="elr").is_valid()          # a method per origin needs none
