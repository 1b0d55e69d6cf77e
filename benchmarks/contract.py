"""What `make bench` writes and prints: `bench-results/latest.json` in the contract other tools
read (design.md §5, issue 15 §6) and the markdown table beside it.

    {"results": [{"policies": N, "step": S, "seconds": t, "floor_seconds": f | null,
                  "ratio": t/f | null, "rows_per_s": r | null, "peak_rss_mb": m | null}, …]}

with `api_postings` also carrying `p99_ms`. Only the contract's steps go into the JSON; the
variants measured beside them (the quarter end eager and with 1 and 4 workers, each dashboard,
the COPY floors) are rows of the markdown only, so a reader of the JSON sees exactly the contract.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.stats import growth, ratio
from benchmarks.targets import Check

CONTRACT_STEPS = ("import", "upr", "earned_premium", "rbns", "triangles", "quarter_end", "export_0420155",
                  "dashboards", "api_postings")

_NUMBER_OR_NULL = {"type": ["number", "null"]}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["results"],
    "additionalProperties": False,
    "properties": {"results": {"type": "array", "items": {
        "type": "object",
        "required": ["policies", "step", "seconds", "floor_seconds", "ratio", "rows_per_s", "peak_rss_mb"],
        "additionalProperties": False,
        "properties": {
            "policies": {"type": "integer", "minimum": 1},
            "step": {"enum": list(CONTRACT_STEPS)},
            "seconds": {"type": "number", "minimum": 0},
            "floor_seconds": {**_NUMBER_OR_NULL, "minimum": 0},
            "ratio": {**_NUMBER_OR_NULL, "minimum": 0},
            "rows_per_s": {**_NUMBER_OR_NULL, "minimum": 0},
            "peak_rss_mb": {**_NUMBER_OR_NULL, "minimum": 0},
            "p99_ms": {"type": "number", "minimum": 0},
        },
        "if": {"properties": {"step": {"const": "api_postings"}}},
        "then": {"required": ["p99_ms"]},
        "else": {"not": {"required": ["p99_ms"]}},
    }}},
}


@dataclass
class Result:
    """One step at one book size. `step` is a contract step, or a variant shown in the markdown
    only (its `label` says what it is, e.g. "quarter_end · 4 workers")."""

    policies: int
    step: str
    seconds: float
    floor_seconds: float | None = None
    rows: int | None = None                # rows the step reads (for rows/s); postings for the API
    peak_rss_mb: float | None = None
    p99_ms: float | None = None
    label: str | None = None
    rows_per_s: float | None = None        # set directly when it is not rows ÷ seconds
    extra: dict = field(default_factory=dict)

    @property
    def in_contract(self) -> bool:
        return self.label is None and self.step in CONTRACT_STEPS

    @property
    def ratio(self) -> float | None:
        return ratio(self.seconds, self.floor_seconds)

    @property
    def rate(self) -> float | None:
        if self.rows_per_s is not None:
            return self.rows_per_s
        if self.rows is None or self.seconds <= 0:
            return None
        return self.rows / self.seconds

    def contract_row(self) -> dict:
        row = {
            "policies": int(self.policies),
            "step": self.step,
            "seconds": _round(self.seconds, 4),
            "floor_seconds": _round(self.floor_seconds, 4),
            "ratio": _round(self.ratio, 3),
            "rows_per_s": _round(self.rate, 1),
            "peak_rss_mb": _round(self.peak_rss_mb, 1),
        }
        if self.step == "api_postings":
            row["p99_ms"] = _round(self.p99_ms if self.p99_ms is not None else 0.0, 2)
        return row

    def check_row(self) -> dict:
        return {**self.contract_row(), "p99_ms": self.p99_ms, **self.extra}


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


def contract_document(results: list[Result]) -> dict:
    return {"results": [r.contract_row() for r in results if r.in_contract]}


def validate(document: dict) -> None:
    import jsonschema

    jsonschema.validate(document, SCHEMA)


# --------------------------------------------------------------------------- markdown
def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 10:
        return f"{s:.3f}"
    if s < 100:
        return f"{s:.1f}"
    return f"{s:,.0f}"


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else (f"{r:.2f}×" if r < 10 else f"{r:.0f}×")


def fmt_count(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _label(r: Result) -> str:
    name = r.label or r.step
    if r.step == "api_postings" and r.p99_ms is not None:
        name += f" (p99 {r.p99_ms:.0f} ms)"
    return name


def markdown_table(results: list[Result], checks: list[Check]) -> str:
    """One line per step and size: seconds, the floor, × floor, rows/s, peak RSS, whether its
    targets are met, and on the largest size's line how the step grew from the smallest size
    against its floor's growth."""
    by_row: dict[tuple[int, str], list[Check]] = {}
    grown: dict[str, Check] = {}
    for c in checks:
        if c.policies is None:
            grown[c.step] = c
        else:
            by_row.setdefault((c.policies, c.step), []).append(c)
    sizes = sorted({r.policies for r in results})
    small, large = (sizes[0], sizes[-1]) if sizes else (None, None)
    first = {(r.policies, r.step): r for r in results if r.in_contract}
    lines = ["| step | policies | seconds | floor s | × floor | rows/s | peak RSS MB | target | growth |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    order = {s: i for i, s in enumerate(CONTRACT_STEPS)}
    ranked = sorted(enumerate(results), key=lambda ir: (order.get(ir[1].step, len(order)), ir[1].policies,
                                                         not ir[1].in_contract, ir[0]))
    for _, r in ranked:
        target = ""
        if r.in_contract:
            cs = by_row.get((r.policies, r.step), [])
            target = "; ".join(f"{'✓' if c.met else '✗ MISSED'} {c.target}" for c in cs)
        grow = ""
        if r.in_contract and small != large and r.policies == large and (small, r.step) in first:
            g = growth(first[(small, r.step)].seconds, r.seconds)
            fg = growth(first[(small, r.step)].floor_seconds, r.floor_seconds)
            if g is not None:
                grow = f"×{g:.1f}" + (f" (floor ×{fg:.1f})" if fg is not None else "")
            c = grown.get(r.step)
            if c is not None:
                grow += " ✓" if c.met else " ✗ MISSED"
        rss = "—" if r.peak_rss_mb is None else f"{r.peak_rss_mb:,.0f}"
        lines.append(f"| {_label(r)} | {r.policies:,} | {fmt_seconds(r.seconds)} | {fmt_seconds(r.floor_seconds)} | "
                     f"{fmt_ratio(r.ratio)} | {fmt_count(r.rate)} | {rss} | {target} | {grow} |")
    return "\n".join(lines)


def write_results(out_dir: Path, results: list[Result], markdown: str) -> Path:
    """Write latest.json (validated against the contract first) and latest.md; returns the JSON path."""
    doc = contract_document(results)
    validate(doc)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "latest.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)
    (out_dir / "latest.md").write_text(markdown if markdown.endswith("\n") else markdown + "\n")
    return path
