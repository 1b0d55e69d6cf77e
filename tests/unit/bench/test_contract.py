"""bench-results/latest.json as other tools read it (design.md §5, issue 15 §6), checked against
a JSON schema, and the markdown table beside it (benchmarks.contract)."""
from __future__ import annotations

import json

import jsonschema
import pytest

from benchmarks.contract import (SCHEMA, Result, contract_document, fmt_ratio, fmt_seconds, markdown_table,
                                 write_results)
from benchmarks.targets import growth_checks, row_checks

# the schema of the contract as the issue states it, written independently of the writer's own
CONTRACT = {
    "type": "object", "required": ["results"],
    "properties": {"results": {"type": "array", "items": {
        "type": "object",
        "required": ["policies", "step", "seconds", "floor_seconds", "ratio", "rows_per_s", "peak_rss_mb"],
        "properties": {
            "policies": {"type": "integer"}, "step": {"type": "string"}, "seconds": {"type": "number"},
            "floor_seconds": {"type": ["number", "null"]}, "ratio": {"type": ["number", "null"]},
            "rows_per_s": {"type": ["number", "null"]}, "peak_rss_mb": {"type": ["number", "null"]},
            "p99_ms": {"type": "number"}}}}},
}


def sample() -> list[Result]:
    return [
        Result(100_000, "import", 50.7, rows=187_932, peak_rss_mb=564.04),
        Result(100_000, "upr", 5.2, floor_seconds=0.31, rows=110_609, peak_rss_mb=240.0),
        Result(100_000, "upr", 1.02, rows=110_609, label="upr · floor: COPY to a discarding client"),
        Result(100_000, "quarter_end", 74.8, floor_seconds=1.5, rows=181_113, peak_rss_mb=900.0),
        Result(100_000, "quarter_end", 60.0, floor_seconds=1.5, label="quarter_end · celery, 4 workers"),
        Result(100_000, "export_0420155", 0.388, peak_rss_mb=222.0),
        Result(100_000, "api_postings", 10.0, rows=2000, rows_per_s=200.0, p99_ms=123.456, peak_rss_mb=471.0),
    ]


def test_the_json_holds_the_contract_steps_only_with_their_numbers():
    doc = contract_document(sample())
    jsonschema.validate(doc, CONTRACT)
    jsonschema.validate(doc, SCHEMA)
    assert [r["step"] for r in doc["results"]] == ["import", "upr", "quarter_end", "export_0420155", "api_postings"]
    assert doc["results"][0] == {"policies": 100000, "step": "import", "seconds": 50.7, "floor_seconds": None,
                                 "ratio": None, "rows_per_s": 3706.7, "peak_rss_mb": 564.0}
    assert doc["results"][1] == {"policies": 100000, "step": "upr", "seconds": 5.2, "floor_seconds": 0.31,
                                 "ratio": 16.774, "rows_per_s": 21271.0, "peak_rss_mb": 240.0}
    assert doc["results"][-1] == {"policies": 100000, "step": "api_postings", "seconds": 10.0, "floor_seconds": None,
                                  "ratio": None, "rows_per_s": 200.0, "peak_rss_mb": 471.0, "p99_ms": 123.46}


def test_only_api_postings_carries_p99():
    for row in contract_document(sample())["results"]:
        assert ("p99_ms" in row) == (row["step"] == "api_postings")


@pytest.mark.parametrize("broken", [
    {"results": [{"policies": 1, "step": "upr", "seconds": 1.0, "floor_seconds": None, "ratio": None,
                  "rows_per_s": None}]},                                                     # peak_rss_mb missing
    {"results": [{"policies": 1, "step": "warp", "seconds": 1.0, "floor_seconds": None, "ratio": None,
                  "rows_per_s": None, "peak_rss_mb": None}]},                                # not a contract step
    {"results": [{"policies": 1, "step": "api_postings", "seconds": 1.0, "floor_seconds": None, "ratio": None,
                  "rows_per_s": 1.0, "peak_rss_mb": None}]},                                 # p99_ms missing
])
def test_the_writers_schema_refuses_what_breaks_the_contract(broken):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_write_results_writes_json_and_markdown(tmp_path):
    path = write_results(tmp_path / "bench-results", sample(), "| table |")
    doc = json.loads(path.read_text())
    assert path.name == "latest.json"
    jsonschema.validate(doc, CONTRACT)
    assert len(doc["results"]) == 5
    assert (tmp_path / "bench-results" / "latest.md").read_text() == "| table |\n"


def test_number_formats():
    assert fmt_seconds(0.0123) == "0.012"
    assert fmt_seconds(12.345) == "12.3"
    assert fmt_seconds(964.4) == "964"
    assert fmt_seconds(None) == "—"
    assert fmt_ratio(2.449) == "2.45×"
    assert fmt_ratio(51.5) == "52×"
    assert fmt_ratio(None) == "—"


def test_markdown_table_lines_targets_and_growth():
    results = [Result(100_000, "upr", 5.2, floor_seconds=0.131, rows=110_000, peak_rss_mb=240.0),
               Result(1_000_000, "upr", 67.5, floor_seconds=1.31, rows=1_100_000, peak_rss_mb=800.0),
               Result(100_000, "upr", 1.0, label="upr · floor: COPY to a discarding client")]
    rows = [r.check_row() for r in results if r.in_contract]
    checks = [c for r in rows for c in row_checks(r)] + growth_checks(rows, {})
    lines = markdown_table(results, checks).splitlines()
    assert lines[0] == "| step | policies | seconds | floor s | × floor | rows/s | peak RSS MB | target | growth |"
    assert lines[2] == "| upr | 100,000 | 5.200 | 0.131 | 40× | 21,154 | 240 | ✗ MISSED ≤ 3× floor |  |"
    assert lines[3] == "| upr · floor: COPY to a discarding client | 100,000 | 1.000 | — | — | — | — |  |  |"
    assert lines[4] == ("| upr | 1,000,000 | 67.5 | 1.310 | 52× | 16,296 | 800 | ✗ MISSED ≤ 2.5× floor | "
                        "×13.0 (floor ×10.0) ✗ MISSED |")
