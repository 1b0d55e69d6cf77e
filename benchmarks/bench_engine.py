"""Benchmark: our reserving engine against chainladder 0.10 on the same triangles, same run.

`python -m benchmarks.bench_engine` (or `make bench-engine`) prints a markdown table and writes
bench-output/bench_engine.md. Each row times `fit` on a triangle already built for each
library (construction is not timed for either), best of N repeats with time.perf_counter, and
gives the largest relative difference between the two libraries' numbers (LDFs, ultimates and
Mack standard errors where chainladder has a number).

"All CAS medmal triangles at once": both libraries fit every comparable company in one
vectorised call — chainladder its multi-index triangle, ours `fit_many` on the list.
Comparable = no all-zero development column and no fall to exactly zero (chainladder reads
zeros as missing; the engine refuses an all-zero column and keeps a ratio of 0), and a triangle
the engine accepts for Mack.
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from reserving.engine import BootstrapODP, ChainLadder, EngineError, MackChainLadder, Triangle, TriangleStack

OUT = Path(__file__).resolve().parent.parent / "bench-output" / "bench_engine.md"


def best_of(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def quarterly_values(n: int = 40, seed: int = 2024) -> np.ndarray:
    """A deterministic n×n quarterly paid triangle with decaying development."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(50, 500, size=n)
    growth = 1 + 2.5 * np.exp(-0.35 * np.arange(n - 1))
    ratios = np.maximum(growth[None, :] * rng.uniform(0.93, 1.07, size=(n, n - 1)), 1.0)
    values = first[:, None] * np.concatenate([np.ones((n, 1)), np.cumprod(ratios, axis=1)], axis=1)
    values[np.add.outer(np.arange(n), np.arange(n)) >= n] = np.nan
    return values


def to_engine(tri) -> Triangle:
    values = np.asarray(tri.values[0, 0], dtype=np.float64)
    observed = ~np.isnan(tri.nan_triangle)
    return Triangle.from_array(np.where(observed, np.nan_to_num(values), np.nan),
                               origins=[str(o) for o in tri.origin],
                               ages=np.asarray(tri.development, dtype=int), allow_negative=True)


def quarterly_cl_triangle(cl, values: np.ndarray):
    n = values.shape[0]
    rows = []
    for i in range(n):
        origin = pd.Period("2000Q1", freq="Q") + i
        for j in range(n - i):
            rows.append((origin.start_time, (origin + j).end_time.normalize(), values[i, j]))
    df = pd.DataFrame(rows, columns=["origin", "valuation", "value"])
    return cl.Triangle(df, origin="origin", development="valuation", columns="value", cumulative=True)


def rel_diff(ours, theirs) -> float:
    ours = np.asarray(ours, dtype=np.float64).ravel()
    theirs = np.asarray(theirs, dtype=np.float64).ravel()
    keep = np.isfinite(theirs)
    if not keep.any():
        return 0.0
    scale = np.maximum(np.abs(theirs[keep]), 1e-12)
    return float(np.max(np.abs(ours[keep] - theirs[keep]) / scale))


def compare_one(cl, name, cl_tri, tri, repeats_ours, repeats_theirs):
    rows = []
    n_ldf = tri.shape[1] - 1
    ours_cl = ChainLadder().fit(tri)
    theirs_cl = cl.Chainladder().fit(cl_tri)
    diff_cl = max(rel_diff(ours_cl.ldf_, theirs_cl.ldf_.values[..., :n_ldf]),
                  rel_diff(ours_cl.ultimate_, theirs_cl.ultimate_.values))
    rows.append((f"ChainLadder, {name}", best_of(lambda: ChainLadder().fit(tri), repeats_ours),
                 best_of(lambda: cl.Chainladder().fit(cl_tri), repeats_theirs), diff_cl))
    ours_m = MackChainLadder().fit(tri)
    theirs_m = cl.MackChainladder().fit(cl_tri)
    diff_m = max(rel_diff(ours_m.ultimate_, theirs_m.ultimate_.values),
                 rel_diff(ours_m.mack_se_, theirs_m.mack_std_err_.values[0, 0, :, -1]),
                 rel_diff([ours_m.total_mack_se_], theirs_m.total_mack_std_err_.values))
    rows.append((f"MackChainLadder, {name}", best_of(lambda: MackChainLadder().fit(tri), repeats_ours),
                 best_of(lambda: cl.MackChainladder().fit(cl_tri), repeats_theirs), diff_m))
    return rows


def comparable(tri: Triangle) -> bool:
    x, y = tri.values[:, :-1], tri.values[:, 1:]
    linked = np.isfinite(y)
    all_zero = any(not np.any(x[linked[:, j], j]) for j in range(x.shape[1]))
    falls = np.any(linked & (x != 0) & (y == 0))
    if all_zero or falls:
        return False
    try:  # e.g. from-values that cancel out to zero, or too few ratios for Mack's sigma
        MackChainLadder().fit(tri)
    except EngineError:
        return False
    return True


def compare_many(cl, label, multi, repeats_ours, repeats_theirs):
    """Both vectorised: ours `fit_many` over the companies, chainladder its multi-index triangle."""
    ours_tris, keep = [], []
    for k in range(multi.shape[0]):
        tri = to_engine(multi.iloc[k])
        if comparable(tri):
            ours_tris.append(tri)
            keep.append(k)
    subset = multi.iloc[keep]
    n_ldf = subset.shape[3] - 1

    # Stacked once, outside the timing, as chainladder's multi-index triangle is built once.
    stack = TriangleStack(ours_tris)

    def ours_cl():
        return ChainLadder().fit_many(stack)

    def ours_mack():
        return MackChainLadder().fit_many(stack)

    theirs_cl = cl.Chainladder().fit(subset)
    theirs_m = cl.MackChainladder().fit(subset)
    diff_cl = diff_m = 0.0
    for k, (a, b) in enumerate(zip(ours_cl(), ours_mack())):
        diff_cl = max(diff_cl, rel_diff(a.ldf_, theirs_cl.ldf_.values[k, 0, 0, :n_ldf]),
                      rel_diff(a.ultimate_, theirs_cl.ultimate_.values[k, 0, :, 0]))
        process = theirs_m.process_risk_.values[k, 0, :, -1]
        diff_m = max(diff_m, rel_diff(b.ultimate_, theirs_m.ultimate_.values[k, 0, :, 0]),
                     rel_diff(b.process_risk_, process))
        if not np.isnan(theirs_m.X_.std_err_.values[k]).any():  # see test_chainladder_parity
            diff_m = max(diff_m, rel_diff(b.mack_se_, theirs_m.mack_std_err_.values[k, 0, :, -1]))
    name = f"{label} ({len(ours_tris)} triangles)"
    return [
        (f"ChainLadder, {name}", best_of(ours_cl, repeats_ours),
         best_of(lambda: cl.Chainladder().fit(subset), repeats_theirs), diff_cl),
        (f"MackChainLadder, {name}", best_of(ours_mack, repeats_ours),
         best_of(lambda: cl.MackChainladder().fit(subset), repeats_theirs), diff_m),
    ]


def main() -> int:
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    import chainladder as cl
    import_seconds = time.perf_counter() - start

    rows = []
    raa = cl.load_sample("raa")
    rows += compare_one(cl, "RAA 10×10", raa, to_engine(raa), 200, 10)
    values = quarterly_values()
    cl_q = quarterly_cl_triangle(cl, values)
    ours_q = Triangle.from_array(values, origins=[f"{2000 + q // 4}Q{q % 4 + 1}" for q in range(40)],
                                 ages=3 * np.arange(1, 41))
    rows += compare_one(cl, "40×40 quarterly", cl_q, ours_q, 50, 3)
    clrd = cl.load_sample("clrd")
    medmal = clrd[clrd["LOB"] == "medmal"]
    rows += compare_many(cl, "CAS medmal paid", medmal["CumPaidLoss"], 10, 3)
    rows += compare_many(cl, "CAS medmal incurred", medmal["IncurLoss"], 10, 3)
    rows += compare_many(cl, "CAS all lines paid", clrd["CumPaidLoss"], 3, 2)

    boot_seconds = best_of(lambda: BootstrapODP(n_sims=10000, random_state=0).fit(ours_q), 3)
    boot_cpu = np.inf
    for _ in range(3):
        start = time.process_time()
        BootstrapODP(n_sims=10000, random_state=0).fit(ours_q)
        boot_cpu = min(boot_cpu, time.process_time() - start)

    lines = [
        "| case | ours (s) | chainladder (s) | speed-up | max rel. diff |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, ours, theirs, diff in rows:
        lines.append(f"| {name} | {ours:.6f} | {theirs:.4f} | {theirs / ours:,.0f}× | {diff:.1e} |")
    lines.append(f"| BootstrapODP 10,000 samples, 40×40 quarterly | {boot_seconds:.3f} "
                 f"(CPU {boot_cpu:.3f}) | — | — | — |")
    notes = [
        "",
        f"`import chainladder`: {import_seconds:.2f} s (not in the times above). Times are `fit` on a "
        "triangle already built for each library, best of N repeats (`time.perf_counter`). "
        "Multi-triangle rows: each library fits all companies in one vectorised call (ours "
        "`fit_many`, chainladder its multi-index triangle). Differences compare LDFs, ultimates and Mack standard "
        "errors where chainladder gives a number (its zero-sigma NaN quirk excluded, see "
        "tests/reserving/engine/test_chainladder_parity.py).",
    ]
    text = "\n".join(lines + notes) + "\n"
    print(text)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("# Engine benchmark: ours vs chainladder 0.10\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
