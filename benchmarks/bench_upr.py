"""Benchmark: the engine's UPR over 1,000,000 premium transactions against a naive per-row Python
loop (the same rules, row by row) measured in the same run on a subsample and extrapolated.

    python -m benchmarks.bench_upr [--rows N] [--sample N]

Prints a markdown table and writes bench-output/bench_upr.md. Target: ≤ 0.5 s for 1M rows.
The book is generated deterministically (numpy default_rng, fixed seed).
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from reserving.engine.upr import unearned_premium

SEED = 20240331
VALUATION = date(2024, 12, 31)
TARGET_SECONDS = 0.5


def generate_book(rows: int, seed: int = SEED) -> pd.DataFrame:
    """About 90% originals, 7% mid-term endorsements, 3% cancellations (half pro rata, half with
    a short-rate penalty), cover starting over 2023–2025, annual and shorter terms."""
    rng = np.random.default_rng(seed)
    n_policies = int(rows * 0.90)
    n_endorse = int(rows * 0.07)
    n_cancel = rows - n_policies - n_endorse
    day0 = np.datetime64("2023-01-01", "D")
    inception = day0 + rng.integers(0, 3 * 365, n_policies)
    term = rng.choice(np.array([365, 365, 365, 182, 90]), n_policies)
    expiry = inception + term - 1
    issue = inception - rng.integers(0, 30, n_policies)
    gross = np.round(rng.lognormal(11.0, 0.8, n_policies), 2)
    commission = np.round(gross * rng.choice(np.array([0.0, 0.05, 0.10, 0.15]), n_policies), 2)

    def pick(n):
        return rng.choice(n_policies, n, replace=False)

    e = pick(n_endorse)
    e_offset = (rng.random(n_endorse) * (term[e] - 1)).astype(np.int64)
    e_gross = np.round(gross[e] * rng.uniform(0.05, 0.3, n_endorse), 2)
    c = pick(n_cancel)
    c_offset = (rng.random(n_cancel) * (term[c] - 1)).astype(np.int64)
    c_share = np.where(rng.random(n_cancel) < 0.5, 1.0, 0.8)   # pro rata, or 20% short-rate penalty
    c_days = term[c] - c_offset
    c_gross = -np.round(gross[c] * c_days / term[c] * c_share, 2)
    c_commission = -np.round(commission[c] * c_days / term[c] * c_share, 2)

    policy = np.concatenate([np.arange(n_policies), e, c])
    book = pd.DataFrame({
        "policy_id": policy,
        "kind": pd.Categorical(np.repeat(["original", "endorsement", "cancellation"], [n_policies, n_endorse, n_cancel]),
                               categories=["original", "endorsement", "cancellation", "reversal"]),
        "accounting_date": np.concatenate([issue, inception[e] + e_offset, inception[c] + np.maximum(c_offset - 10, 0)]),
        "effective_date": np.concatenate([inception, inception[e] + e_offset, inception[c] + c_offset]),
        "expiry_date": np.concatenate([expiry, expiry[e], expiry[c]]),
        "gross_premium": np.concatenate([gross, e_gross, c_gross]),
        "commission": np.concatenate([commission, np.round(e_gross * commission[e] / gross[e], 2), c_commission]),
    })
    return book


def naive_upr(book: pd.DataFrame, valuation: date) -> list[float]:
    """The same rules written the obvious way: a Python loop over rows, dates as date objects."""
    rows = book.to_dict("records")
    for r in rows:
        for k in ("accounting_date", "effective_date", "expiry_date"):
            r[k] = pd.Timestamp(r[k]).date()
    by_policy: dict = {}
    for r in rows:
        by_policy.setdefault(r["policy_id"], []).append(r)
    inception = {p: min(r["effective_date"] for r in rs) for p, rs in by_policy.items()}
    out = []
    for r in rows:
        if r["accounting_date"] > valuation:
            out.append(0.0)
            continue
        gross, commission = r["gross_premium"], r["commission"]
        if r["kind"] == "cancellation":
            gross = commission = 0.0
            for f in by_policy[r["policy_id"]]:
                if f["kind"] in ("original", "endorsement") and f["accounting_date"] <= r["accounting_date"]:
                    overlap = (min(r["expiry_date"], f["expiry_date"]) - max(r["effective_date"], f["effective_date"])).days + 1
                    share = max(overlap, 0) / ((f["expiry_date"] - f["effective_date"]).days + 1)
                    gross -= f["gross_premium"] * share
                    commission -= f["commission"] * share
        if inception[r["policy_id"]] > valuation:
            out.append(gross)
            continue
        n = (r["expiry_date"] - r["effective_date"]).days + 1
        m = min(max((valuation - r["effective_date"]).days + 1, 0), n)
        out.append((gross - commission) * (n - m) / n)
    return out


def best_of(fn, repeat: int = 5) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `repeat` runs (CPU time shows the cost when the
    machine is shared and wall time is inflated by other processes)."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the naive loop (whole policies)")
    parser.add_argument("--out", default="bench-output/bench_upr.md")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    t0 = time.perf_counter()
    book = generate_book(args.rows)
    generated = time.perf_counter() - t0
    valuation = pd.Timestamp(VALUATION)

    results = []
    for method in ("pro_rata", "1/24", "1/8"):
        wall, cpu = best_of(lambda: unearned_premium(book, valuation, method=method))
        results.append((f"engine UPR, {method}, {len(book):,} rows (best of 5)", wall, cpu, "measured"))
    total = unearned_premium(book, valuation).sum()

    # The naive loop on a sample of whole policies, checked against the engine on the same rows.
    rng = np.random.default_rng(SEED + 1)
    policies = book["policy_id"].unique()
    chosen = rng.choice(policies, size=min(len(policies), args.sample), replace=False)
    sample = book[book["policy_id"].isin(chosen)].reset_index(drop=True)
    naive_seconds, naive_cpu = best_of(lambda: naive_upr(sample, VALUATION), repeat=3)
    naive = np.array(naive_upr(sample, VALUATION))
    engine_sample = unearned_premium(sample, valuation).to_numpy()
    max_diff = float(np.max(np.abs(naive - engine_sample))) if len(sample) else 0.0
    scale = len(book) / max(len(sample), 1)
    naive_full, naive_full_cpu = naive_seconds * scale, naive_cpu * scale
    results.append((f"naive per-row Python, {len(sample):,} rows (best of 3)", naive_seconds, naive_cpu, "measured"))
    results.append((f"naive per-row Python, {len(book):,} rows", naive_full, naive_full_cpu,
                    f"extrapolated ×{scale:,.1f} from the sample, not measured"))

    engine_seconds, engine_cpu = results[0][1], results[0][2]
    lines = [
        f"## UPR benchmark ({len(book):,} premium transactions, valued {VALUATION})",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, load average {load:.1f} at the start. "
        f"Book generated in {generated:.2f} s (seed {SEED}).",
        "",
        "| what | wall s | CPU s | note |",
        "|---|---:|---:|---|",
        *[f"| {what} | {wall:.3f} | {cpu:.3f} | {note} |" for what, wall, cpu, note in results],
        "",
        f"* pro-rata UPR total: {total:,.2f}; engine vs naive on the sample: max difference {max_diff:.2e} per row.",
        f"* speed-up of the engine over the naive loop (extrapolated, pro rata): ×{naive_full / engine_seconds:,.0f} wall, "
        f"×{naive_full_cpu / max(engine_cpu, 1e-9):,.0f} CPU.",
        f"* target ≤ {TARGET_SECONDS} s for 1M rows: {'met' if engine_seconds <= TARGET_SECONDS else 'NOT met'} "
        f"({engine_seconds:.3f} s).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if max_diff > 1e-6:
        print(f"engine and naive loop disagree by {max_diff}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
