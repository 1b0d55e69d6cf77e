"""The demo book generator: determinism, the exchange format, and every ledger rule the import
enforces, checked on the written CSVs with pandas (independently of the import)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from exchange.demo import generate_book, write_book
from exchange.demo.params import DEFAULT_END_DATE, PROFESSIONS

ROOT = Path(__file__).resolve().parents[3]
END = date(2024, 12, 31)
FILES = ("policies.csv", "premium_transactions.csv", "claims.csv", "claim_transactions.csv", "book.json")
GROUP_OF = {code: group for code, group, *_ in PROFESSIONS}


def _read(directory: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(directory / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    write_book(generate_book(policies=30_000, years=10, seed=11, end_date=END), out, truth=True)
    return out


@pytest.fixture(scope="module")
def files(book_dir):
    return {name: _read(book_dir, name) for name in FILES[:4] + ("truth.csv",)}


def _money(series: pd.Series) -> list[Decimal]:
    return [Decimal(v) for v in series]


# --- determinism ----------------------------------------------------------------------------

def test_same_seed_writes_byte_identical_files(tmp_path):
    for run in ("a", "b"):
        write_book(generate_book(policies=3_000, years=4, seed=5), tmp_path / run, truth=True)
    for name in FILES + ("truth.csv",):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_another_seed_writes_another_book(tmp_path):
    write_book(generate_book(policies=3_000, years=4, seed=5), tmp_path / "a")
    write_book(generate_book(policies=3_000, years=4, seed=6), tmp_path / "b")
    assert (tmp_path / "a" / "claim_transactions.csv").read_bytes() != (tmp_path / "b" / "claim_transactions.csv").read_bytes()
    assert (tmp_path / "a" / "policies.csv").read_bytes() != (tmp_path / "b" / "policies.csv").read_bytes()


def test_generator_package_imports_no_django():
    code = "import sys, exchange.demo; print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the book's shape -------------------------------------------------------------------------

def test_policy_count_is_the_total_over_the_book_renewals_included(files):
    pol = files["policies.csv"]
    assert len(pol) == 30_000
    assert pol["policy_number"].is_unique
    renewals = pol["policy_number"].str.endswith("-00") == False  # noqa: E712 - pandas mask
    assert 0.4 < renewals.mean() < 0.9


def test_book_json_names_the_end_date_and_no_row_is_later(book_dir, files):
    meta = json.loads((book_dir / "book.json").read_text())
    assert meta == {"end_date": END.isoformat(), "format_version": 1}
    assert files["claim_transactions.csv"]["accounting_date"].max() <= meta["end_date"]
    assert files["premium_transactions.csv"]["accounting_date"].max() <= meta["end_date"]
    assert files["claims.csv"]["report_date"].max() <= meta["end_date"]
    assert files["policies.csv"]["issue_date"].max() <= meta["end_date"]


def test_default_end_date_is_fixed_and_the_book_starts_on_january_first():
    book = generate_book(policies=500, years=5, seed=1)
    assert book.end_date == DEFAULT_END_DATE == date(2025, 12, 31)
    assert book.start_date == date(2021, 1, 1)


def test_both_segments_both_currencies_and_every_risk_group_are_present(files):
    pol = files["policies.csv"]
    pairs = set(zip(pol["segment"], pol["currency"], pol["basis"]))
    assert pairs == {("individual_occurrence", "RUB", "occurrence"), ("individual_occurrence", "IRR", "occurrence"),
                     ("clinic_claims_made", "RUB", "claims_made")}
    assert set(pol["risk_group"]) == {"1", "2", "3", "4"}
    assert (pol["profession"].map(GROUP_OF).astype(str) == pol["risk_group"]).all()
    claims = files["claims.csv"].merge(pol[["policy_number", "segment", "currency"]], on="policy_number")
    assert {("individual_occurrence", "RUB"), ("individual_occurrence", "IRR"), ("clinic_claims_made", "RUB")} <= set(
        zip(claims["segment"], claims["currency"]))


def test_amounts_are_kopecks_for_rub_and_whole_rials_for_irr(files):
    pol = files["policies.csv"]
    for column in ("limit_per_claim", "aggregate_limit", "gross_premium", "commission"):
        rub = pol.loc[pol["currency"] == "RUB", column]
        irr = pol.loc[pol["currency"] == "IRR", column]
        assert rub.str.fullmatch(r"-?\d+\.\d{2}").all(), column
        assert irr.str.fullmatch(r"-?\d+").all(), column
    tx = files["claim_transactions.csv"].merge(files["claims.csv"][["claim_number", "policy_number"]]).merge(
        pol[["policy_number", "currency"]])
    with_amount = tx[tx["amount"] != ""]
    assert with_amount.loc[with_amount["currency"] == "RUB", "amount"].str.fullmatch(r"-?\d+\.\d{2}").all()
    assert with_amount.loc[with_amount["currency"] == "IRR", "amount"].str.fullmatch(r"-?\d+").all()


def test_dates_are_iso_and_recorded_at_has_a_moscow_offset_on_or_after_the_accounting_date(files):
    iso = r"\d{4}-\d{2}-\d{2}"
    for name, columns in {"policies.csv": ("inception_date", "expiry_date", "issue_date"),
                          "claims.csv": ("occurrence_date", "report_date"),
                          "claim_transactions.csv": ("accounting_date",),
                          "premium_transactions.csv": ("accounting_date", "effective_date")}.items():
        for column in columns:
            assert files[name][column].str.fullmatch(iso).all(), (name, column)
    for name, booked in (("claim_transactions.csv", "accounting_date"), ("premium_transactions.csv", "accounting_date"),
                         ("policies.csv", "issue_date")):
        rec = files[name]["recorded_at"]
        assert rec.str.fullmatch(iso + r"T\d{2}:\d{2}:\d{2}\+03:00").all()
        assert (rec.str[:10] >= files[name][booked]).all()
        assert (rec.str[:10] <= END.isoformat()).all()


def test_limits_deductibles_and_commission_are_sane(files):
    pol = files["policies.csv"]
    limit = pol["limit_per_claim"].astype(float)
    assert (limit > 0).all() and (pol["aggregate_limit"].astype(float) >= limit).all()
    has_ded = (pol["deductible_amount"] != "") | (pol["deductible_percent"] != "")
    assert 0.1 < has_ded.mean() < 0.3
    assert ((pol["deductible_amount"] != "") & (pol["deductible_percent"] != "")).any()
    share = pol["commission"].astype(float) / pol["gross_premium"].astype(float)
    assert share.between(0.099, 0.201).all()


def test_premium_ledger_has_endorsements_cancellations_and_exact_reversals(files):
    pol = files["policies.csv"].set_index("policy_number")
    prem = files["premium_transactions.csv"]
    assert prem["transaction_id"].is_unique
    assert prem["transaction_id"].isin(pol.index + "-P1").sum() == 0  # the originals live in policies.csv
    kinds = prem["kind"].value_counts()
    assert {"endorsement", "cancellation", "reversal"} <= set(kinds.index)
    p = pol.loc[prem["policy_number"]]
    assert (prem["effective_date"].to_numpy() >= p["inception_date"].to_numpy()).all()
    assert (prem["effective_date"].to_numpy() <= p["expiry_date"].to_numpy()).all()
    assert (prem["accounting_date"].to_numpy() >= p["issue_date"].to_numpy()).all()
    gross, comm = prem["gross_premium"].astype(float), prem["commission"].astype(float)
    assert (np.sign(gross) == np.sign(comm)).all()
    assert (gross[prem["kind"] == "cancellation"] < 0).all()
    assert (gross[prem["kind"] == "endorsement"] > 0).all()
    by_id = prem.set_index("transaction_id")
    rev = prem[prem["kind"] == "reversal"]
    target = by_id.loc[rev["reverses"]]
    assert (target["kind"].to_numpy() == "endorsement").all()
    assert (_money(rev["gross_premium"]) == [-v for v in _money(target["gross_premium"])])
    assert (_money(rev["commission"]) == [-v for v in _money(target["commission"])])
    assert (rev["effective_date"].to_numpy() == target["effective_date"].to_numpy()).all()
    assert (rev["accounting_date"].to_numpy() >= target["accounting_date"].to_numpy()).all()


def test_cancellations_return_the_unexpired_premium_pro_rata_or_less_for_short_rate(files):
    pol = files["policies.csv"].set_index("policy_number")
    prem = files["premium_transactions.csv"]
    endorsed = set(prem.loc[prem["kind"] != "cancellation", "policy_number"])
    canc = prem[(prem["kind"] == "cancellation") & ~prem["policy_number"].isin(endorsed)]
    p = pol.loc[canc["policy_number"]]
    inception = pd.to_datetime(p["inception_date"]).to_numpy()
    expiry = pd.to_datetime(p["expiry_date"]).to_numpy()
    effective = pd.to_datetime(canc["effective_date"]).to_numpy()
    pro_rata = p["gross_premium"].astype(float).to_numpy() * ((expiry - effective).astype("timedelta64[D]").astype(int) + 1) / (
        (expiry - inception).astype("timedelta64[D]").astype(int) + 1)
    returned = -canc["gross_premium"].astype(float).to_numpy()
    ratio = returned / pro_rata
    assert np.isclose(ratio, 1.0, atol=0.002).any()            # pro rata
    assert np.isclose(ratio, 0.9, atol=0.002).any()            # short rate
    assert (np.isclose(ratio, 1.0, atol=0.002) | np.isclose(ratio, 0.9, atol=0.002)).all()


# --- claims ---------------------------------------------------------------------------------

def test_claim_dates_respect_the_basis_of_cover(files):
    claims = files["claims.csv"].merge(files["policies.csv"], on="policy_number", how="left")
    assert claims["inception_date"].ne("").all(), "every claim names a known policy"
    assert claims["claim_number"].is_unique
    assert (claims["report_date"] >= claims["occurrence_date"]).all()
    occ = claims[claims["basis"] == "occurrence"]
    assert (occ["occurrence_date"] >= occ["inception_date"]).all()
    assert (occ["occurrence_date"] <= occ["expiry_date"]).all()
    cm = claims[claims["basis"] == "claims_made"]
    assert (cm["retro_date"] != "").all() and (cm["retro_date"] <= cm["inception_date"]).all()
    assert (cm["occurrence_date"] >= cm["retro_date"]).all()
    assert (cm["report_date"] >= cm["inception_date"]).all() and (cm["report_date"] <= cm["expiry_date"]).all()
    assert set(claims["litigated"]) == {"true", "false"}


def test_occurrence_claims_report_months_to_years_later_with_a_tail_beyond_five_years(files):
    claims = files["claims.csv"].merge(files["policies.csv"][["policy_number", "basis"]])
    occ = claims[claims["basis"] == "occurrence"]
    delay = (pd.to_datetime(occ["report_date"]) - pd.to_datetime(occ["occurrence_date"])).dt.days / 365.25
    assert 0.3 < delay.median() < 2.0
    assert (delay > 5).any()


def _replay(files) -> dict:
    """An independent replay of the written claim ledger in booking order: returns per-claim
    figures and fails on the first broken rule."""
    claims = files["claims.csv"].set_index("claim_number")
    pol = files["policies.csv"].set_index("policy_number")
    tx = files["claim_transactions.csv"]
    assert tx["transaction_id"].is_unique
    assert tx["claim_number"].isin(claims.index).all()
    report = claims["report_date"].to_dict()
    assert (tx["accounting_date"].to_numpy() >= claims.loc[tx["claim_number"], "report_date"].to_numpy()).all()
    # booking order: accounting date, then the order of the file
    tx = tx.reset_index().sort_values(["accounting_date", "index"], kind="stable")
    reserved, paid_out, recovered = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    status, rows, reversed_ids = {}, {}, set()
    per_claim_ind, per_policy_ind = defaultdict(Decimal), defaultdict(Decimal)
    counts = defaultdict(int)
    for r in tx.itertuples(index=False):
        c, kind, cost = r.claim_number, r.kind, r.cost_type
        assert r.accounting_date >= report[c]
        policy = claims.at[c, "policy_number"]
        counts[kind] += 1
        if kind in ("close", "reopen"):
            assert r.amount == "" and cost == "", r.transaction_id
            if kind == "close":
                assert status.get(c, "open") == "open"
                for ct in ("indemnity", "expense"):  # the system's release of what is left
                    reserved[c, ct] = paid_out[c, ct]
                status[c] = "closed"
            else:
                assert status.get(c) == "closed"
                status[c] = "open"
            rows[r.transaction_id] = (kind, cost, None)
            continue
        amount = Decimal(r.amount)
        assert cost in ("indemnity", "expense")
        effect = kind
        if kind == "reversal":
            target = rows[r.reverses]  # an earlier row
            assert r.reverses not in reversed_ids and target[0] in ("reserve", "payment", "recovery")
            assert target[1] == cost and amount == -target[2]
            reversed_ids.add(r.reverses)
            effect = target[0]
        outstanding = reserved[c, cost] - paid_out[c, cost]
        if effect == "reserve":
            assert status.get(c, "open") == "open"
            assert outstanding + amount >= 0, r.transaction_id
            reserved[c, cost] += amount
        elif effect == "payment":
            assert status.get(c, "open") == "open"
            if kind == "payment":
                assert 0 < amount <= outstanding, f"{r.transaction_id}: payment beyond the reserve"
            paid_out[c, cost] += amount
            if cost == "indemnity":
                per_claim_ind[c] += amount
                per_policy_ind[policy] += amount
                assert per_claim_ind[c] <= Decimal(pol.at[policy, "limit_per_claim"]), r.transaction_id
                assert per_policy_ind[policy] <= Decimal(pol.at[policy, "aggregate_limit"]), r.transaction_id
        else:
            assert 0 < amount <= paid_out[c, cost] - recovered[c, cost], f"{r.transaction_id}: recovery beyond paid"
            recovered[c, cost] += amount
        rows[r.transaction_id] = (kind, cost, amount)
    return dict(reserved=reserved, paid=paid_out, recovered=recovered, status=status, counts=counts,
                per_claim_ind=per_claim_ind)


def test_every_ledger_rule_of_the_import_holds_on_the_written_book(files):
    state = _replay(files)
    counts = state["counts"]
    for kind in ("reserve", "payment", "recovery", "close", "reopen", "reversal"):
        assert counts[kind] > 0, kind


def test_the_book_replays_through_the_claim_rules_module(files):
    """The same rows through claims/rules.py, the state machine the import uses."""
    from claims.rules import ClaimLedgerState, LedgerRow, PolicyLimitState, claim_dates_check

    d = date.fromisoformat
    pol = files["policies.csv"].set_index("policy_number")
    limits, states = {}, {}
    for c in files["claims.csv"].itertuples(index=False):
        p = pol.loc[c.policy_number]
        claim_dates_check(p["basis"], d(p["inception_date"]), d(p["expiry_date"]),
                          d(p["retro_date"]) if p["retro_date"] else None, d(c.occurrence_date), d(c.report_date))
        lim = limits.setdefault(c.policy_number, PolicyLimitState(
            limit_per_claim=Decimal(p["limit_per_claim"]), aggregate_limit=Decimal(p["aggregate_limit"])))
        states[c.claim_number] = ClaimLedgerState(claim_number=c.claim_number, report_date=d(c.report_date), limits=lim)
    tx = files["claim_transactions.csv"].reset_index().sort_values(["accounting_date", "index"], kind="stable")
    for r in tx.itertuples(index=False):
        st = states[r.claim_number]
        when = d(r.accounting_date)
        if r.kind == "close":
            for cost, change in st.close_changes().items():
                st.apply(LedgerRow(transaction_id=f"{r.transaction_id}-{cost}", kind="reserve", accounting_date=when,
                                   cost_type=cost, amount=change, derived=True))
        st.apply(LedgerRow(transaction_id=r.transaction_id, kind=r.kind, accounting_date=when, cost_type=r.cost_type,
                           amount=Decimal(r.amount) if r.amount else None, reverses=r.reverses or None))


def test_about_a_third_of_closed_claims_close_without_indemnity(files):
    state = _replay(files)
    closed = [c for c, s in state["status"].items() if s == "closed"]
    without = [c for c in closed if state["paid"][c, "indemnity"] == 0]
    assert 0.25 < len(without) / len(closed) < 0.50


def test_case_reserves_are_revised_both_up_and_down(files):
    tx = files["claim_transactions.csv"]
    reserve = tx[tx["kind"] == "reserve"].copy()
    reserve["amount"] = reserve["amount"].astype(float)
    later = reserve[reserve.duplicated("claim_number")]  # revisions after the first estimate
    assert (later["amount"] > 0).sum() > 100 and (later["amount"] < 0).sum() > 100


def test_litigated_claims_settle_later_and_cost_more(files):
    tx = files["claim_transactions.csv"]
    claims = files["claims.csv"].merge(files["policies.csv"][["policy_number", "currency"]])
    rub = claims[claims["currency"] == "RUB"].set_index("claim_number")
    pay = tx[(tx["kind"] == "payment") & tx["claim_number"].isin(rub.index)].copy()
    pay["amount"] = pay["amount"].astype(float)
    paid = pay.groupby("claim_number")["amount"].sum()
    closes = tx[tx["kind"] == "close"].drop_duplicates("claim_number").set_index("claim_number")["accounting_date"]
    closed = rub.join(closes.rename("closed_on"), how="inner")
    closed["days"] = (pd.to_datetime(closed["closed_on"]) - pd.to_datetime(closed["report_date"])).dt.days
    closed["paid"] = paid.reindex(closed.index).fillna(0.0)
    by = closed.groupby("litigated")[["days", "paid"]].mean()
    assert by.loc["true", "days"] > by.loc["false", "days"]
    assert by.loc["true", "paid"] > by.loc["false", "paid"]


# --- truth ------------------------------------------------------------------------------------

def test_truth_covers_the_known_claims_and_exceeds_what_is_known_in_aggregate(files):
    truth = files["truth.csv"]
    assert list(truth.columns) == ["segment", "currency", "basis", "accident_quarter", "report_quarter", "ultimate"]
    assert truth["accident_quarter"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert truth["report_quarter"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert (truth["report_quarter"] >= truth["accident_quarter"]).all()
    assert not truth.duplicated(["segment", "currency", "accident_quarter", "report_quarter"]).any()
    assert set(zip(truth["segment"], truth["basis"])) == {("individual_occurrence", "occurrence"),
                                                          ("clinic_claims_made", "claims_made")}
    state = _replay(files)
    claims = files["claims.csv"].merge(files["policies.csv"][["policy_number", "segment", "currency"]])
    incurred = []
    for c in claims["claim_number"]:
        known = sum(state["reserved"][c, ct] - state["paid"][c, ct] + state["paid"][c, ct] - state["recovered"][c, ct]
                    for ct in ("indemnity", "expense"))
        incurred.append(float(known))
    claims["incurred"] = incurred
    q = pd.PeriodIndex(pd.to_datetime(claims["occurrence_date"]), freq="Q").astype(str)
    claims["accident_quarter"] = q
    known = claims.groupby(["segment", "currency", "accident_quarter"])["incurred"].sum()
    t = truth.assign(ultimate=truth["ultimate"].astype(float)).groupby(["segment", "currency", "accident_quarter"])[
        "ultimate"].sum().sort_index()
    known = known.sort_index()
    assert set(known.index) <= set(t.index)
    for seg_cur, known_total in known.groupby(level=[0, 1]).sum().items():
        assert t.loc[seg_cur].sum() > known_total, seg_cur
    # recent accident quarters still have claims to be reported: their IBNR is material
    recent = t.xs(("individual_occurrence", "RUB")).loc["2024Q1":]
    assert recent.sum() > 1.2 * known.xs(("individual_occurrence", "RUB")).loc["2024Q1":].sum()


def test_truth_report_quarters_are_the_claims_own_and_claims_made_ones_end_within_a_year(files):
    """Claims known at the end date are in the truth under their own report quarter; claims-made
    claims still to be made fall in the in-force policies' remaining year (not beyond)."""
    truth = files["truth.csv"].assign(ultimate=lambda d: d["ultimate"].astype(float))
    claims = files["claims.csv"].merge(files["policies.csv"][["policy_number", "segment", "currency"]])
    claims["accident_quarter"] = pd.PeriodIndex(pd.to_datetime(claims["occurrence_date"]), freq="Q").astype(str)
    claims["report_quarter"] = pd.PeriodIndex(pd.to_datetime(claims["report_date"]), freq="Q").astype(str)
    keys = ["segment", "currency", "accident_quarter", "report_quarter"]
    assert set(map(tuple, claims[keys].drop_duplicates().to_numpy())) <= set(map(tuple, truth[keys].to_numpy()))
    end_q = str(pd.Period(END, freq="Q"))
    later = truth[truth["report_quarter"] > end_q]
    assert (later.loc[later["basis"] == "claims_made", "report_quarter"] <= str(pd.Period(END, freq="Q") + 4)).all()
    assert later.loc[later["basis"] == "claims_made", "ultimate"].sum() > 0
    assert (later.loc[later["basis"] == "occurrence", "ultimate"].sum()
            > 0.2 * truth.loc[truth["basis"] == "occurrence", "ultimate"].loc[lambda s: s.index.isin(
                truth.index[truth["accident_quarter"] >= str(pd.Period(END, freq="Q") - 7)])].sum())


def test_adequacy_phase_walks_the_cycle_by_seed_and_moves_only_case_reserves(tmp_path):
    """The phase of the case-reserve adequacy cycle is the seed's (seeds spread over the cycle);
    pinning another phase changes reserve rows only: payments, dates and the truth stay."""
    from exchange.demo.book import adequacy_phase_of

    phases = sorted(adequacy_phase_of(s) for s in range(1, 11))
    assert all(0 <= p < 1 for p in phases) and max(np.diff(phases)) < 0.2
    for name, phase in (("own", None), ("pinned", 0.2)):
        book = generate_book(policies=3_000, years=4, seed=5, adequacy_phase=phase)
        write_book(book, tmp_path / name, truth=True)
    assert generate_book(policies=300, years=2, seed=5).adequacy_phase == adequacy_phase_of(5)
    for name in ("policies.csv", "premium_transactions.csv", "claims.csv", "truth.csv"):
        assert (tmp_path / "own" / name).read_bytes() == (tmp_path / "pinned" / name).read_bytes(), name
    own, pinned = (_read(tmp_path / n, "claim_transactions.csv") for n in ("own", "pinned"))
    cols = ["claim_number", "accounting_date", "kind", "cost_type", "amount"]

    def rows(df, kinds):
        return sorted(map(tuple, df.loc[df["kind"].isin(kinds), cols].to_numpy()))

    money_moves = ("payment", "recovery", "close", "reopen")
    assert rows(own, money_moves) == rows(pinned, money_moves)
    assert rows(own, ("reserve",)) != rows(pinned, ("reserve",))


def test_truth_is_what_the_claims_pay_over_their_whole_future():
    """The generator knows every claim to its final close, where nothing is outstanding: the
    truth is then exactly paid − recovered over the full (not only the written) ledger."""
    book = generate_book(policies=400, years=2, seed=3, end_date=date(2019, 12, 31))
    from exchange.demo.book import claim_paid, claim_ultimates

    ultimate = claim_ultimates(book.claim_ledger, len(book.claims))
    paid = np.bincount(book.claim_ledger["claim"], weights=claim_paid(book.claim_ledger), minlength=len(book.claims))
    assert len(book.claims) > 10
    assert np.array_equal(ultimate, np.rint(paid).astype(np.int64))
    assert book.truth()["ultimate"].sum() == ultimate.sum()


# --- the command ----------------------------------------------------------------------------

def test_demo_book_command_writes_the_folder(tmp_path):
    call_command("demo_book", str(tmp_path), "--policies", "800", "--years", "3", "--seed", "2", "--truth",
                 "--end-date", "2024-09-30")
    for name in FILES + ("truth.csv",):
        assert (tmp_path / name).exists(), name
    assert json.loads((tmp_path / "book.json").read_text())["end_date"] == "2024-09-30"
    assert len(_read(tmp_path, "policies.csv")) == 800
    assert _read(tmp_path, "policies.csv")["inception_date"].min() >= "2021-10-01"


def test_demo_book_command_refuses_a_bad_end_date_and_an_empty_book(tmp_path):
    with pytest.raises(CommandError):
        call_command("demo_book", str(tmp_path), "--end-date", "31.12.2024")
    with pytest.raises(CommandError):
        call_command("demo_book", str(tmp_path), "--policies", "0")


# --- scripts/truth_compare.py reads the truth as the generator means it ------------------------

def _truth_compare():
    import importlib.util

    spec = importlib.util.spec_from_file_location("truth_compare", ROOT / "scripts" / "truth_compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_truth_compare_true_unpaid_is_the_generators_own_at_the_end_date(tmp_path):
    """Σ ultimate of the liability at V (occurrence: occurred by V; claims-made: made by V) less
    paid at V read from the book's files equals what the generator knows claim by claim."""
    from exchange.demo.book import claim_paid, claim_ultimates
    from exchange.demo.params import MINOR_PER_UNIT, SEGMENTS, CURRENCIES

    book = generate_book(policies=4_000, years=5, seed=7)
    write_book(book, tmp_path, truth=True)
    tc = _truth_compare()
    truth, basis = tc.true_ultimates(tmp_path, book.end_date)
    paid = tc.paid_at(tmp_path, book.end_date)
    assert basis == {("individual_occurrence", "RUB"): "occurrence", ("individual_occurrence", "IRR"): "occurrence",
                     ("clinic_claims_made", "RUB"): "claims_made"}
    claims, ledger = book.claims, book.claim_ledger
    ult = claim_ultimates(ledger, len(claims))
    known = ledger["date"].to_numpy() <= book.end
    paid_by_claim = np.bincount(ledger["claim"].to_numpy()[known], weights=claim_paid(ledger)[known],
                                minlength=len(claims))
    for (seg, cur), b in basis.items():
        s, c = SEGMENTS.index(seg), CURRENCIES.index(cur)
        mine = (claims["segment"].to_numpy() == s) & (claims["currency"].to_numpy() == c)
        if b == "claims_made":
            liability = mine & (claims["report"].to_numpy() <= book.end)
            assert ult[mine & ~liability].sum() > 0  # claims still to be made in the in-force year
        else:
            liability = mine
        minor = MINOR_PER_UNIT[c]
        assert truth[seg, cur] * minor == int(ult[liability].sum()), (seg, cur)
        assert paid[seg, cur] * minor == int(round(paid_by_claim[mine].sum())), (seg, cur)


def test_truth_compare_pools_seeds_as_sums_not_as_an_average_of_ratios():
    tc = _truth_compare()
    books = [{"policies": 6000, "seed": s, "segments": [
        {"segment": "x", "currency": "RUB", "ibnr_method": "chainladder", "estimate": e, "true_unpaid": t,
         "error": float(Decimal(e) / Decimal(t) - 1), "methods": {m: e for m in tc.METHODS}}]}
        for s, e, t in ((1, "50", "100"), (2, "300", "200"))]
    (row,) = tc.pooled(books)
    assert row["estimate"] == "350" and row["true_unpaid"] == "300"
    assert abs(row["error"] - (350 / 300 - 1)) < 1e-12
    assert row["target"] == 0.25 and row["per_seed"] == [-0.5, 0.5]
    assert tc._seeds("1-3,7") == [1, 2, 3, 7]
