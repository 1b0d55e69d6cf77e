"""Validating a whole book before anything is written.

Every file is typed (parse.py), then the rules of policies/rules.py and claims/rules.py are
applied: the policy field checks once per distinct combination of the values they read (a
million policies share a few thousand cover windows, limits and deductibles), and the claim
ledgers are replayed row by row through ClaimLedgerState in (accounting_date, file order)
order, with one PolicyLimitState per policy so that aggregate limits count across its claims.
The result is a BookPlan — whole columns ready for the bulk writer — or the error list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from claims import rules as claim_rules
from claims.models import Claim, ClaimTransaction
from core.errors import DomainError, PeriodClosed
from core.money import MINOR_UNITS, to_decimal
from core.periods import Quarter
from core.services import closed_period_labels
from exchange import selectors
from exchange.bookio import format as fmt
from exchange.bookio import ledger
from exchange.bookio.parse import (ErrorLog, Table, Typer, _str_series, arrow_index_in, arrow_isin,
                                   fraction_digits, memory_release, table_read)
from exchange.bookio.write import Progress
from fx import selectors as fx_selectors
from policies import rules as policy_rules
from policies.models import Policy, PremiumTransaction
from reinsurance import rules as treaty_rules
from reinsurance import selectors as treaty_selectors
from segments import selectors as segment_selectors
from segments.services import segments_ensure_seeded


@dataclass
class ImportOptions:
    allow_topup: bool = False
    # a policy's segment code the table and segments.csv lack is added (code only) instead of refused
    allow_new_segments: bool = False
    recorded_at: datetime | None = None  # for rows whose file gives none; default: the import time
    now: datetime = field(default_factory=lambda: datetime.now(dt_timezone.utc))

    @property
    def default_recorded_at(self) -> datetime:
        return self.recorded_at or self.now


@dataclass
class BookPlan:
    """What the import will write: per table, columns keyed by model attname (ids not yet
    assigned: rows refer to each other by position, resolved by the writer)."""

    rows_read: dict[str, int] = field(default_factory=dict)
    segments: list[dict] = field(default_factory=list)  # new segment rows (segments.Segment fields)
    fx_rates: list[dict] = field(default_factory=list)  # new official rates (fx.OfficialRate fields)
    treaties: list[dict] = field(default_factory=list)  # new treaties (reinsurance.Treaty fields)
    insureds: dict[str, list] = field(default_factory=dict)
    # per policy: position among the new insureds (or -1), and the database id where -1
    insured_new: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    insured_db: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    policies: dict[str, object] = field(default_factory=dict)
    policy_recorded_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[us]"))
    original_premiums: dict[str, object] = field(default_factory=dict)  # one per policy, same order
    premiums: dict[str, list] = field(default_factory=dict)  # the premium file's rows
    premium_policy: list = field(default_factory=list)  # position in policies
    premium_reverses: list = field(default_factory=list)  # position in originals + rows, or None
    claims: dict[str, list] = field(default_factory=dict)
    claim_policy: list = field(default_factory=list)  # ("new", position) or ("db", id)
    claim_history_date: list = field(default_factory=list)
    claim_transactions: dict[str, list] = field(default_factory=dict)
    claim_transaction_claim: list = field(default_factory=list)
    claim_transaction_reverses: list = field(default_factory=list)
    topups: int = 0
    derived: int = 0


# --- small converters for the values typed columns already accepted ----------------------

def _dec(v: str) -> Decimal | None:
    return Decimal(v) if v else None


def _date(v: str) -> date | None:
    return date.fromisoformat(v) if v else None


def _int(v: str) -> int | None:
    return int(v) if v else None


def _datetime64(value: datetime) -> np.datetime64:
    """An aware datetime as naive-UTC datetime64[us] (the form typed timestamp columns take)."""
    return np.datetime64(value.astimezone(dt_timezone.utc).replace(tzinfo=None), "us")


def _dates(arr: np.ndarray) -> list:
    return [None if d is None else d for d in arr.astype("datetime64[D]").astype(object).tolist()]


def _timestamps(arr: np.ndarray, default: datetime) -> list:
    """Aware datetimes (UTC) for a datetime64[us] column; NaT → default."""
    s = pd.Series(arr)
    out = s.dt.tz_localize("UTC").astype(object).tolist()
    return [default if v is pd.NaT or v is None or (isinstance(v, float)) else v.to_pydatetime() for v in out]


def _constant(n: int, value) -> np.ndarray:
    """An object column holding one shared value: np.full makes a string object per row
    (55 MB a million rows, three such columns in a book's plan)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _rule_per_combination(ty: Typer, columns: list[str], converters: list, rule) -> None:
    """Apply `rule(*values)` once per distinct combination of the columns' raw strings among
    rows not yet refused; refuse every row of a combination the rule refuses."""
    t = ty.t
    ok = np.flatnonzero(~t.bad)
    if not len(ok):
        return
    every = len(ok) == len(t)
    raws = [ty.raw(c) if every else ty.raw(c).iloc[ok].reset_index(drop=True) for c in columns]
    # The combination's code from each column's codes (re-coded after each column so that it
    # stays small): no joined strings, no Python objects per row.
    codes = pd.factorize(raws[0])[0].astype(np.int64)
    for r in raws[1:]:
        more = pd.factorize(r)[0].astype(np.int64)
        codes = pd.factorize(codes * (int(more.max(initial=0)) + 1) + more)[0].astype(np.int64)
    _, first = np.unique(codes, return_index=True)
    order = np.argsort(codes[first], kind="stable")
    first = first[order]
    failing: dict[int, str] = {}
    values = [r.iloc[first].tolist() for r in raws]
    for code in range(len(first)):
        try:
            rule(*[conv(v[code]) for conv, v in zip(converters, values)])
        except DomainError as exc:
            failing[code] = exc.message
    if failing:
        mask = np.zeros(len(t), dtype=bool)
        bad_rows = ok[np.isin(codes, list(failing))]
        mask[bad_rows] = True
        code_of = dict(zip(ok.tolist(), codes.tolist()))
        ty._refuse(mask, lambda i: failing[code_of[i]])


def _places_check(ty: Typer, columns: list[str], currency: pd.Series) -> None:
    """Amounts must fit the currency's minor unit (IRR amounts are whole rials)."""
    places = currency.map(MINOR_UNITS).fillna(2).to_numpy(dtype=int)
    for column in columns:
        s = ty.raw(column)
        bad = (fraction_digits(s) > places) & (s != "").to_numpy() & ~ty.t.bad
        ty._refuse(bad, lambda i, s=s: f"{column} {s.iat[i]} has more decimals than {currency.iat[i]} allows "
                   f"({MINOR_UNITS.get(currency.iat[i], 2)})")


def _existing(model, field: str, values: pd.Series, ok: np.ndarray) -> np.ndarray:
    """Rows among `ok` whose value model.field already holds: one set-based query per file
    (exchange.selectors.existing_mask), the rows already refused left out of it."""
    rows = np.flatnonzero(ok)
    mask = np.zeros(len(values), dtype=bool)
    if len(rows):
        mask[rows] = selectors.existing_mask(model, field, values if len(rows) == len(values) else values.iloc[rows])
    return mask


def _closed_period_check(ty: Typer, days: np.ndarray, closed: set[str], message=None) -> None:
    """Refuse every row accounted in a closed period (the import's form of
    core.services.period_ensure_open, with the closed labels read once and each distinct date
    looked at once). Rows already refused, and rows without a date, are left alone."""
    if not closed:
        return
    ok = ~ty.t.bad & ~np.isnat(days)
    if not ok.any():
        return
    distinct = np.unique(days[ok])
    labels = [Quarter.of(d).label for d in distinct.astype(object).tolist()]
    shut = np.array([label in closed for label in labels], dtype=bool)
    if not shut.any():
        return
    label_of = dict(zip(distinct.tolist(), labels))
    message = message or (lambda day, label: PeriodClosed(day, label).message)
    ty._refuse(ok & np.isin(days, distinct[shut]), lambda i: message(days[i].tolist(), label_of[days[i].tolist()]))


class BookValidator:
    def __init__(self, sources: dict[str, Path | bytes], options: ImportOptions, errors: ErrorLog,
                 progress: Progress | None = None):
        self.sources = sources
        self.opt = options
        self.errors = errors
        self.progress = progress or Progress(enabled=False)
        self.plan = BookPlan()
        # policy_index: the book's accepted policy numbers (position = row of plan.policies);
        # refused ones are remembered so that rows referring to them are not refused twice.
        self.policy_index = pd.Series([], dtype="str")
        self.policy_refused: set[str] = set()
        self.db_policies: dict[str, dict] = {}
        self.claim_refused: set[str] = set()
        self.claim_refs: list = []
        # Quarters signed off: nothing in a book may be accounted in them (read once per import).
        self.closed_periods: set[str] = closed_period_labels()
        # Segment codes a policy may carry: the table's, then those segments.csv adds.
        segments_ensure_seeded()
        self.db_segments: dict[str, dict] = segment_selectors.segments_by_code()
        self.known_segments: set[str] = set(self.db_segments)

    # ---------------------------------------------------------------------------------------
    def run(self) -> BookPlan | None:
        # One file at a time, read then validated then let go: at a million policies the
        # columns of all four files at once would not fit the import's memory budget.
        if not any(self.sources.get(spec.name) is not None for spec in fmt.ALL_FILES):
            self.errors.add("(book)", 0, "no book files found: expected " + ", ".join(s.name for s in fmt.FILES))
            return None

        def read(spec) -> Table | None:
            src = self.sources.get(spec.name)
            if src is None:
                return None
            memory_release()
            table = table_read(src, spec, self.errors)
            if table is not None:
                self.plan.rows_read[spec.name] = len(table)
                self.progress.tick(f"parsed {spec.name}", len(table), len(table))
            return table

        # The optional reference files first: policies are checked against them.
        for spec, check in ((fmt.SEGMENTS, self._segments), (fmt.FX_RATES, self._fx_rates),
                            (fmt.TREATIES, self._treaties)):
            reference = read(spec)
            if reference is not None:
                check(reference)
        policies = read(fmt.POLICIES)
        if policies is not None:
            self._policies(policies)
        del policies
        self._premiums(read(fmt.PREMIUM_TRANSACTIONS))
        claims_table = read(fmt.CLAIMS)
        claim_pos = self._claims(claims_table) if claims_table is not None else {}
        del claims_table
        claim_rows = read(fmt.CLAIM_TRANSACTIONS)
        if claim_rows is not None:
            self._claim_transactions(claim_rows, claim_pos)
        del claim_rows
        memory_release()
        return None if self.errors else self.plan

    # --- policies.csv ----------------------------------------------------------------------
    def _policies(self, t: Table) -> None:
        ty = Typer(t, self.errors)
        number = ty.text("policy_number", required=True, max_length=40)
        ty.duplicates("policy_number", "policy_number")
        insured = ty.text("insured_name", required=True, max_length=200)
        profession = ty.text("profession", required=True, max_length=64)
        risk_group = ty.integer("risk_group")
        segment = ty.text("segment", required=True, max_length=64)
        basis = ty.choice("basis", fmt.BASES, label="basis")
        retro = ty.date("retro_date", required=False)
        ty.text("currency", required=True)
        inception = ty.date("inception_date")
        expiry = ty.date("expiry_date")
        issue = ty.date("issue_date")
        for column in ("limit_per_claim", "aggregate_limit", "deductible_amount"):
            ty.decimal(column, required=False)
        ty.decimal("deductible_percent", required=False, int_digits=3, places=4)
        gross = ty.decimal("gross_premium")
        commission = ty.decimal("commission")
        original_id = ty.text("original_transaction_id", max_length=64)
        recorded = ty.timestamp("recorded_at")
        within = ty.boolean("expenses_within_limits")
        insured_kind = ty.choice("insured_kind", fmt.INSURED_KINDS, required=False, label="insured_kind")
        tariff_version = ty.text("tariff_version", max_length=64)
        in_diyeh = ty.boolean("cover_in_diyeh")
        diyeh_year = ty.integer("diyeh_year")
        diyeh_endorsement = ty.boolean("diyeh_increase_endorsement")
        self.progress.tick("typed policies", len(t), len(t))

        # The rules of policies/rules.py, each over the distinct values it reads.
        codes: dict[str, str] = {}

        def currency_rule(v):
            codes[v] = policy_rules.currency_valid(v)

        _rule_per_combination(ty, ["currency"], [str], currency_rule)
        currency_codes, currency_values = pd.factorize(ty.raw("currency"))
        # Taken from the distinct codes in pyarrow: a column of a million Python strings was 57 MB.
        currency = _str_series(pa.array([codes.get(v, v) for v in currency_values.tolist()] or [""], pa.large_string())
                               .take(pa.array(np.maximum(currency_codes, 0))))
        _rule_per_combination(ty, ["inception_date", "expiry_date"], [_date, _date], policy_rules.cover_window_check)
        _rule_per_combination(ty, ["basis", "retro_date", "inception_date"], [str, _date, _date],
                              policy_rules.basis_check)
        _rule_per_combination(ty, ["limit_per_claim", "aggregate_limit"], [_dec, _dec], policy_rules.limits_check)
        _rule_per_combination(ty, ["deductible_amount", "deductible_percent"], [_dec, _dec],
                              policy_rules.deductible_check)
        _rule_per_combination(ty, ["risk_group"], [_int], policy_rules.risk_group_check)
        _rule_per_combination(ty, ["gross_premium", "commission"], [_dec, _dec], policy_rules.original_premium_check)
        _rule_per_combination(ty, ["gross_premium", "commission"], [_dec, _dec], policy_rules.premium_signs_check)
        _places_check(ty, ["limit_per_claim", "aggregate_limit", "deductible_amount", "gross_premium", "commission"],
                      currency)
        _closed_period_check(ty, issue, self.closed_periods, lambda day, label: (
            f"issue_date {day}, the accounting date of the original premium, falls in the closed period {label}"))

        self._segment_check(ty, segment)

        ty._refuse(_existing(Policy, "policy_number", number, ~t.bad),
                   lambda i: f"policy {number.iat[i]} already exists in the database")
        # fmt.original_premium_id, a column at a time
        text = lambda v: pa.scalar(v, pa.large_string())  # noqa: E731
        orig_ids = _str_series(pc.if_else(
            pc.equal(_arrow(original_id), text("")),
            pc.binary_join_element_wise(_arrow(number), text(fmt.original_premium_id("")), text("")),
            _arrow(original_id)))
        self.original_ids = orig_ids
        ty._refuse(_existing(PremiumTransaction, "transaction_id", orig_ids, ~t.bad),
                   lambda i: f"premium transaction id {orig_ids.iat[i]} already exists in the database")
        dup_orig = orig_ids.duplicated(keep="first").to_numpy() & ~t.bad
        ty._refuse(dup_orig, lambda i: f"duplicate original premium transaction id {orig_ids.iat[i]}")
        self.progress.tick("validated policies", len(t), len(t))

        ok = ~t.bad
        self.policy_refused = set(number[~ok].tolist())
        idx = np.flatnonzero(ok)
        n = len(idx)
        # Whole columns (pyarrow-backed strings, numpy dates and flags), never per-row Python
        # objects: a million policies must stay within the import's memory budget.
        every = n == len(t)
        sel = lambda s: s if every else s.iloc[idx].reset_index(drop=True)  # noqa: E731
        none_if_empty = lambda s: s.where(s != "", None)  # noqa: E731
        numbers = sel(number)
        self.policy_index = numbers

        # Insureds are named, not numbered: one per distinct name, reusing the database's.
        names = sel(insured)
        kinds = sel(insured_kind).where(lambda k: k != "", "person")
        name_codes, distinct_names = pd.factorize(names)
        known = selectors.insured_ids_by_name(set(distinct_names.tolist()))
        db_id = np.array([known.get(v, -1) for v in distinct_names.tolist()], dtype=np.int64)
        is_new = db_id < 0
        new_pos = np.cumsum(is_new) - 1
        _, first_row = np.unique(name_codes, return_index=True)
        new_codes = np.flatnonzero(is_new)
        self.plan.insureds = {"name": pd.Series(distinct_names[new_codes], dtype="str"),
                              "kind": kinds.iloc[first_row[new_codes]].reset_index(drop=True),
                              "national_id": pa.array(np.full(len(new_codes), "", dtype=object), pa.string())}
        # per policy: position among the new insureds, or -1 with the database id beside it
        self.plan.insured_new = np.where(is_new[name_codes], new_pos[name_codes], -1)
        self.plan.insured_db = db_id[name_codes]

        recorded_at = recorded[idx].copy()
        recorded_at[np.isnat(recorded_at)] = _datetime64(self.opt.default_recorded_at)
        self.policy_recorded_at = recorded_at
        self.plan.policy_recorded_at = recorded_at
        json_empty = [[]] * n  # one shared empty list: rating steps are the tariff's, not the book's
        self.plan.policies = {
            "policy_number": numbers,
            "profession": sel(profession),
            "risk_group": risk_group[idx],
            "segment": sel(segment),
            "basis": sel(basis),
            "retro_date": retro[idx],
            "currency": sel(currency),
            "inception_date": inception[idx],
            "expiry_date": expiry[idx],
            "issue_date": issue[idx],
            "limit_per_claim": none_if_empty(sel(ty.raw("limit_per_claim"))),
            "aggregate_limit": none_if_empty(sel(ty.raw("aggregate_limit"))),
            "deductible_amount": none_if_empty(sel(ty.raw("deductible_amount"))),
            "deductible_percent": none_if_empty(sel(ty.raw("deductible_percent"))),
            "expenses_within_limits": within[idx],
            "status": _constant(n, "in_force"),
            "cancelled_on": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
            "tariff_version": sel(tariff_version),
            "rating_steps": json_empty,
            "cover_in_diyeh": in_diyeh[idx],
            "diyeh_year": diyeh_year[idx],
            "diyeh_increase_endorsement": diyeh_endorsement[idx],
            "created_at": np.full(n, _datetime64(self.opt.now), dtype="datetime64[us]"),
        }
        # The original premium: the first premium row of each policy, accounted on the issue
        # date; kept apart from the file's premium rows (plan.premiums), which come after it.
        self.plan.original_premiums = {
            "transaction_id": sel(orig_ids),
            "kind": _constant(n, "original"),
            "effect_kind": _constant(n, "original"),
            "accounting_date": issue[idx],
            "effective_date": inception[idx],
            "gross_premium": sel(gross),
            "commission": sel(commission),
            "recorded_at": recorded_at,
            "recorded_by_id": np.full(n, np.nan),
            "note": pa.array(_constant(n, ""), pa.string()),
        }

    # --- segments.csv (optional) ---------------------------------------------------------------
    def _segments(self, t: Table) -> None:
        """New codes are added with the row's fields; a code the table holds must agree with it
        in every field the row gives (an empty cell gives nothing): the admin changes segments,
        a book only adds them."""
        ty = Typer(t, self.errors)
        code = ty.text("code", required=True, max_length=64)
        ty.duplicates("code", "segment code")
        limits = {"name_en": 200, "name_ru": 200, "name_fa": 200, "line_of_business": 16, "accounting_group": 16}
        values = {name: ty.text(name, max_length=n) for name, n in limits.items()}
        for i in np.flatnonzero(~t.bad).tolist():
            c = code.iat[i]
            row = {name: values[name].iat[i] for name in limits}
            known = self.db_segments.get(c)
            if known is None:
                self.plan.segments.append({"code": c, **row})
                self.known_segments.add(c)
                continue
            for name in limits:
                if row[name] and row[name] != known[name]:
                    ty._refuse(np.arange(len(t)) == i, lambda _, name=name, c=c, v=row[name]: (
                        f"segment {c} is in the database with {name} {known[name]!r}, the file says {v!r}; "
                        f"change it under Segments, a book only adds segments"))
                    break

    def _segment_check(self, ty: Typer, segment: pd.Series) -> None:
        """A policy's segment must be a row of the segment table or of segments.csv; with
        allow_new_segments an unknown code is added (code only) instead of refused."""
        codes, distinct = pd.factorize(segment)
        unknown_code = np.array([v != "" and v not in self.known_segments for v in distinct.tolist()], dtype=bool)
        if not unknown_code.any():
            return
        unknown = unknown_code[np.maximum(codes, 0)] & (codes >= 0) & ~ty.t.bad
        if self.opt.allow_new_segments:
            for c in pd.unique(segment[unknown]).tolist():
                self.plan.segments.append({"code": c, "name_en": "", "name_ru": "", "name_fa": "",
                                           "line_of_business": "", "accounting_group": ""})
                self.known_segments.add(c)
            return
        ty._refuse(unknown, lambda i: f"unknown segment {segment.iat[i]}: list it in {fmt.SEGMENTS.name} "
                   "or import with --allow-new-segments")

    # --- fx_rates.csv (optional) -------------------------------------------------------------
    def _fx_rates(self, t: Table) -> None:
        """Official rates to the reporting currency: new (currency, date) pairs are added; one
        the table holds must carry the same rate (a book does not correct official rates)."""
        ty = Typer(t, self.errors)
        day = ty.date("date")
        ty.text("currency", required=True)
        rate = ty.decimal("rate", int_digits=12, places=12)
        source = ty.text("source", max_length=64)
        reporting = fx_selectors.reporting_currency()
        db_rates = fx_selectors.rates_by_key()
        first: dict[tuple[str, date], int] = {}
        for i in np.flatnonzero(~t.bad).tolist():
            one = np.arange(len(t)) == i
            try:
                cur = policy_rules.currency_valid(ty.raw("currency").iat[i])
            except DomainError as exc:
                ty._refuse(one, lambda _, m=exc.message: m)
                continue
            value = Decimal(rate.iat[i])
            on = day[i].astype(object)
            if cur == reporting:
                ty._refuse(one, lambda _: f"{cur} is the reporting currency and needs no rate")
            elif value <= 0:
                ty._refuse(one, lambda _: f"rate {rate.iat[i]} must be above zero")
            elif (cur, on) in first:
                ty._refuse(one, lambda _: f"duplicate rate for {cur} on {on} (first on line {first[(cur, on)]})")
            elif (cur, on) in db_rates and db_rates[(cur, on)] != value:
                ty._refuse(one, lambda _: (f"the {cur} rate of {on} is {format(db_rates[(cur, on)].normalize(), 'f')} "
                                           f"in the database, the file says {rate.iat[i]}; official rates are not "
                                           "corrected by a book"))
            else:
                first[(cur, on)] = int(t.line[i])
                if (cur, on) not in db_rates:
                    self.plan.fx_rates.append({"rate_date": on, "currency": cur, "rate": value,
                                               "source": source.iat[i]})

    # --- treaties.csv (optional) -------------------------------------------------------------
    def _treaties(self, t: Table) -> None:
        """The rules of reinsurance/rules.py row by row (a book holds a handful of treaties):
        overlaps are looked for among the database's treaties and the file's earlier rows. A
        code the database holds must come with the same terms (a book only adds treaties)."""
        ty = Typer(t, self.errors)
        ty.text("code", required=True, max_length=40)
        ty.duplicates("code", "treaty code")
        ty.text("reinsurer", max_length=200)
        for column in ("ceded_percent", "ceding_commission_percent"):
            ty.decimal(column, required=False, int_digits=3, places=4)
        for column in ("retention", "limit"):
            ty.decimal(column, required=False)
        ty.integer("underwriting_year", required=True)
        db = treaty_selectors.treaties_by_code()
        others = list(db.values())
        for i in np.flatnonzero(~t.bad).tolist():
            row = {f: ty.raw(f).iat[i] for f in treaty_rules.FIELDS}
            try:
                checked = treaty_rules.treaty_check(row, segments=self.known_segments,
                                                    others=[o for o in others if o["code"] != row["code"]])
                known = db.get(checked["code"])
                if known is not None:
                    differs = [f for f in treaty_rules.FIELDS if known[f] != checked[f]]
                    if differs:
                        raise DomainError(f"treaty {checked['code']} is in the database with other terms "
                                          f"({', '.join(differs)}); a book only adds treaties")
                    continue
            except DomainError as exc:
                ty._refuse(np.arange(len(t)) == i, lambda _, m=exc.message: m)
                continue
            others.append(checked)
            self.plan.treaties.append(checked)

    def _policy_pos(self, numbers: pd.Series) -> np.ndarray:
        """Position in plan.policies of each policy number; -1 where the book has no such policy."""
        index = self.policy_index
        if not len(index):
            return np.full(len(numbers), -1, dtype=np.int64)
        # pyarrow's hash kernel: a pandas Index of a million strings keeps a Python object per
        # value (and their hash table) for as long as it lives.
        return arrow_index_in(numbers, index)

    def _policy_values(self, positions: np.ndarray) -> dict[str, list]:
        """Python values of the rule-relevant fields of the book's policies at `positions`."""
        pol = self.plan.policies
        out = {}
        for name in ("basis", "currency", "limit_per_claim", "aggregate_limit"):
            col = pol[name].iloc[positions]
            out[name] = [None if v is None or v != v else v for v in col.tolist()]
        for name in ("inception_date", "expiry_date", "retro_date"):
            out[name] = _dates(pol[name][positions])
        out["expenses_within_limits"] = pol["expenses_within_limits"][positions].tolist()
        return out

    def _policy_field(self, ref, name):
        """A field of the policy a claim refers to: ("new", position, values) for a policy of
        this book, ("db", row) for one in the database."""
        return ref[2][name] if ref[0] == "new" else ref[1][name]

    # --- premium_transactions.csv ------------------------------------------------------------
    def _premiums(self, t: Table | None) -> None:
        plan = self.plan
        plan.premiums = {k: [] for k in ("transaction_id", "kind", "effect_kind", "accounting_date",
                                        "effective_date", "gross_premium", "commission", "recorded_at",
                                        "recorded_by_id", "note")}
        if t is None:
            return
        originals = plan.original_premiums or {"transaction_id": pd.Series([], dtype="str")}
        n_orig = len(originals["transaction_id"])
        ty = Typer(t, self.errors)
        tid = ty.text("transaction_id", required=True, max_length=64)
        ty.duplicates("transaction_id", "transaction_id")
        number = ty.text("policy_number", required=True)
        kind = ty.choice("kind", fmt.PREMIUM_FILE_KINDS, label="kind")
        accounting = ty.date("accounting_date")
        effective = ty.date("effective_date", required=False)
        gross = ty.decimal("gross_premium", required=False)
        commission = ty.decimal("commission", required=False)
        recorded = ty.timestamp("recorded_at")
        reverses = ty.text("reverses")
        note = ty.text("note", max_length=500)
        _closed_period_check(ty, accounting, self.closed_periods)
        ty._refuse(_existing(PremiumTransaction, "transaction_id", tid, ~t.bad),
                   lambda i: f"premium transaction id {tid.iat[i]} already exists in the database")
        clash = arrow_isin(tid, originals["transaction_id"]) & ~t.bad
        ty._refuse(clash, lambda i: f"premium transaction id {tid.iat[i]} is already the original premium of a policy")

        # Positions: premiums [0, n_orig) are the policies' originals, the file's rows follow.
        pos_of: dict[str, int] = {}
        orig_target = (arrow_index_in(reverses, originals["transaction_id"]) if n_orig
                       else np.full(len(t), -1))
        policy_at = self._policy_pos(number)
        known = policy_at >= 0
        row_policy = {name: [None] * len(t) for name in ("currency", "inception_date", "expiry_date")}
        if known.any():
            values = self._policy_values(policy_at[known])
            for name in row_policy:
                col = row_policy[name]
                for i, v in zip(np.flatnonzero(known).tolist(), values[name]):
                    col[i] = v
        reversed_rows: set[int] = set()
        refused: set[str] = set()
        recorded_at = _timestamps(recorded, self.opt.default_recorded_at)
        acc, eff = _dates(accounting), _dates(effective)
        order = np.lexsort((t.line, accounting.astype("int64")))
        # Plain lists: indexing a Series per row costs more than the rules themselves.
        tid, number, kind, gross, commission, reverses, note = (
            x.tolist() for x in (tid, number, kind, gross, commission, reverses, note))
        policy_at_list = policy_at.tolist()

        def premium_field(j: int, name: str):
            if j >= n_orig:
                return plan.premiums[name][j - n_orig]
            value = originals[name][j]
            if isinstance(value, np.datetime64):
                return _dates(np.array([value]))[0]
            return value

        def premium_policy(j: int) -> int:
            return j if j < n_orig else plan.premium_policy[j - n_orig]
        for i in order:
            if t.bad[i]:
                refused.add(tid[i])
                continue
            line, row_id, pn, k = t.line[i], tid[i], number[i], kind[i]
            try:
                if pn in self.policy_refused:
                    raise _Silent()
                if policy_at_list[i] < 0:
                    raise DomainError(f"unknown policy {pn}: premium rows must refer to a policy in policies.csv")
                p = policy_at_list[i]
                cur = row_policy["currency"][i]
                if k == "reversal":
                    target_id = reverses[i]
                    if not target_id:
                        raise DomainError("a reversal names the row it reverses in the reverses column")
                    if target_id in refused:
                        raise _Silent()
                    if target_id in pos_of:
                        j = pos_of[target_id]
                    elif orig_target[i] >= 0:
                        j = int(orig_target[i])
                    else:
                        raise DomainError(f"reversal names {target_id!r}, not an earlier premium row of policy {pn}")
                    if premium_policy(j) != p:
                        raise DomainError(f"reversal names {target_id}, a row of another policy")
                    if j in reversed_rows:
                        raise DomainError(f"premium row {target_id} is already reversed")
                    if premium_field(j, "kind") == "reversal":
                        raise DomainError(f"premium row {target_id} is itself a reversal; post the row again instead")
                    if acc[i] < premium_field(j, "accounting_date"):
                        raise DomainError(f"reversal dated {acc[i]} is before the row it reverses "
                                          f"({premium_field(j, 'accounting_date')})")
                    g, c = -to_decimal(premium_field(j, "gross_premium")), -to_decimal(premium_field(j, "commission"))
                    for col, given, want in (("gross_premium", gross[i], g), ("commission", commission[i], c)):
                        if given and Decimal(given) != want:
                            raise DomainError(f"reversal {col} {given} is not the negated amount {want} of row {target_id}")
                    e = premium_field(j, "effective_date")
                    if eff[i] is not None and eff[i] != e:
                        raise DomainError(f"reversal effective_date {eff[i]} differs from {e} of row {target_id}")
                    effect = premium_field(j, "effect_kind")
                    gross_v, comm_v, reverses_pos = str(g), str(c), j
                    reversed_rows.add(j)
                else:
                    for col, v in (("effective_date", eff[i]), ("gross_premium", gross[i]),
                                   ("commission", commission[i])):
                        if v in (None, ""):
                            raise DomainError(f"{col} is required for {k}")
                    if reverses[i]:
                        raise DomainError(f"only a reversal names a row in reverses, not {k}")
                    policy_rules.effective_date_check(eff[i], row_policy["inception_date"][i],
                                                      row_policy["expiry_date"][i])
                    policy_rules.premium_signs_check(Decimal(gross[i]), Decimal(commission[i]))
                    if k == "cancellation" and Decimal(gross[i]) > 0:
                        raise DomainError(f"a cancellation returns premium: gross_premium {gross[i]} must not be positive")
                    e, effect, gross_v, comm_v, reverses_pos = eff[i], k, gross[i], commission[i], None
                for col, v in (("gross_premium", gross_v), ("commission", comm_v)):
                    if to_decimal(v) != to_decimal(v).quantize(Decimal(1).scaleb(-MINOR_UNITS[cur])):
                        raise DomainError(f"{col} {v} has more decimals than {cur} allows ({MINOR_UNITS[cur]})")
            except _Silent:
                refused.add(row_id)
                continue
            except DomainError as exc:
                self.errors.add(t.name, line, exc.message)
                refused.add(row_id)
                continue
            pos_of[row_id] = n_orig + len(plan.premiums["transaction_id"])
            for col, v in (("transaction_id", row_id), ("kind", k), ("effect_kind", effect),
                           ("accounting_date", acc[i]), ("effective_date", e), ("gross_premium", gross_v),
                           ("commission", comm_v), ("recorded_at", recorded_at[i]), ("recorded_by_id", None),
                           ("note", note[i])):
                plan.premiums[col].append(v)
            plan.premium_policy.append(p)
            plan.premium_reverses.append(reverses_pos)
        # A cancellation that stands (not reversed) cancels the policy from its effective date.
        for j, k in enumerate(plan.premiums["kind"]):
            if k == "cancellation" and n_orig + j not in reversed_rows:
                p = plan.premium_policy[j]
                plan.policies["status"][p] = "cancelled"
                plan.policies["cancelled_on"][p] = np.datetime64(plan.premiums["effective_date"][j], "D")
        self.progress.tick("validated premium_transactions", len(t), len(t))

    # --- claims.csv ---------------------------------------------------------------------------
    def _claims(self, t: Table) -> dict[str, int]:
        ty = Typer(t, self.errors)
        number = ty.text("claim_number", required=True, max_length=40)
        ty.duplicates("claim_number", "claim_number")
        policy_number = ty.text("policy_number", required=True)
        occurrence = ty.date("occurrence_date")
        report = ty.date("report_date")
        cause = ty.text("cause", max_length=200)
        litigated = ty.boolean("litigated")
        claimant = ty.text("claimant", max_length=200)
        ty.decimal("awarded_diyeh_share", required=False, int_digits=3, places=4)
        share = ty.raw("awarded_diyeh_share")
        ty._refuse(_existing(Claim, "claim_number", number, ~t.bad),
                   lambda i: f"claim {number.iat[i]} already exists in the database")
        policy_at = self._policy_pos(policy_number)
        outside = set(policy_number[~t.bad & (policy_at < 0)].tolist()) - self.policy_refused
        self.db_policies = selectors.policies_by_number(outside) if outside else {}
        occ, rep = _dates(occurrence), _dates(report)
        plan = self.plan
        known = policy_at >= 0
        values = self._policy_values(policy_at[known]) if known.any() else {}
        new_values: list = [None] * len(t)
        for k, i in enumerate(np.flatnonzero(known).tolist()):
            new_values[i] = {name: col[k] for name, col in values.items()}
        policy_at = policy_at.tolist()
        cols = {k: [] for k in ("claim_number", "occurrence_date", "report_date", "cause", "litigated", "status",
                                "claimant", "awarded_diyeh_share", "created_at")}
        positions: dict[str, int] = {}
        number, policy_number, cause, claimant, share = (
            x.tolist() for x in (number, policy_number, cause, claimant, share))
        for i in range(len(t)):
            if t.bad[i]:
                self.claim_refused.add(number[i])
                continue
            pn = policy_number[i]
            try:
                if pn in self.policy_refused:
                    raise _Silent()
                if policy_at[i] >= 0:
                    ref = ("new", policy_at[i], new_values[i])
                elif pn in self.db_policies:
                    ref = ("db", self.db_policies[pn])
                else:
                    raise DomainError(f"unknown policy {pn}")
                f = lambda name: self._policy_field(ref, name)  # noqa: E731
                claim_rules.claim_dates_check(f("basis"), f("inception_date"), f("expiry_date"), f("retro_date"),
                                              occ[i], rep[i])
            except _Silent:
                self.claim_refused.add(number[i])
                continue
            except DomainError as exc:
                self.errors.add(t.name, t.line[i], exc.message)
                self.claim_refused.add(number[i])
                continue
            positions[number[i]] = len(cols["claim_number"])
            for col, v in (("claim_number", number[i]), ("occurrence_date", occ[i]), ("report_date", rep[i]),
                           ("cause", cause[i]), ("litigated", bool(litigated[i])), ("status", "open"),
                           ("claimant", claimant[i]), ("awarded_diyeh_share", share[i] or None),
                           ("created_at", self.opt.now)):
                cols[col].append(v)
            plan.claim_policy.append(("new", ref[1]) if ref[0] == "new" else ("db", ref[1]["id"]))
            self.claim_refs.append(ref)
        plan.claims = cols
        plan.claim_history_date = [None] * len(cols["claim_number"])
        self.progress.tick("validated claims", len(t), len(t))
        return positions

    # --- claim_transactions.csv ----------------------------------------------------------------
    def _limit_state(self, states: dict, ref) -> claim_rules.PolicyLimitState:
        key = (ref[0], ref[1] if ref[0] == "new" else ref[1]["id"])
        if key not in states:
            f = lambda name: self._policy_field(ref, name)  # noqa: E731
            state = claim_rules.PolicyLimitState(
                limit_per_claim=_dec(str(f("limit_per_claim") or "")),
                aggregate_limit=_dec(str(f("aggregate_limit") or "")),
                expenses_within_limits=bool(f("expenses_within_limits")),
            )
            if ref[0] == "db":
                used = selectors.aggregate_used_by_policy([ref[1]["id"]]).get(ref[1]["id"], {})
                state.aggregate_used = sum((to_decimal(v or 0) for c, v in used.items() if state.counts(c)),
                                           Decimal(0))
            states[key] = state
        return states[key]

    def _claim_transactions(self, t: Table, claim_pos: dict[str, int]) -> None:
        plan, opt = self.plan, self.opt
        ty = Typer(t, self.errors)
        tid = ty.text("transaction_id", required=True, max_length=64)
        ty.duplicates("transaction_id", "transaction_id")
        number = ty.text("claim_number", required=True)
        accounting = ty.date("accounting_date")
        kind = ty.choice("kind", fmt.CLAIM_KINDS, label="kind")
        cost_type = ty.choice("cost_type", fmt.COST_TYPES, required=False, label="cost_type")
        ty.decimal("amount", required=False)
        amount = ty.raw("amount")
        recorded = ty.timestamp("recorded_at")
        reverses = ty.text("reverses")
        topup = ty.boolean("topup")
        note = ty.text("note", max_length=500)
        status_kind = kind.isin(["close", "reopen"]).to_numpy()
        ty._refuse(status_kind & ((cost_type != "") | (amount != "")).to_numpy() & ~t.bad,
                   lambda i: f"a {kind.iat[i]} row carries no cost_type and no amount")
        ty._refuse(topup & (kind != "reserve").to_numpy() & ~t.bad,
                   lambda i: f"only a reserve row can be a top-up, not {kind.iat[i]}")
        # Also covers what the import derives from a row (close releases, top-ups): same date.
        _closed_period_check(ty, accounting, self.closed_periods)
        # Only the file's ids a generated id could equal (a close's releases, a top-up): a set of
        # every id of the file was 80 MB of Python strings at a million rows.
        suffixes = tuple(dict.fromkeys([fmt.topup_id("")] + [fmt.derived_id("", c) for c in fmt.COST_TYPES]))
        generated_like = np.zeros(len(t), dtype=bool)
        for suffix in suffixes:
            generated_like |= tid.str.endswith(suffix).fillna(False).to_numpy(dtype=bool)
        file_ids = set(tid[generated_like].tolist())
        ty._refuse(_existing(ClaimTransaction, "transaction_id", tid, ~t.bad),
                   lambda i: f"claim transaction id {tid.iat[i]} already exists in the database")
        order = np.lexsort((t.line, accounting.astype("int64")))
        claim_at = (arrow_index_in(number, pa.array(list(claim_pos), pa.string())) if claim_pos
                    else np.full(len(t), -1, dtype=np.int64))
        screened = self._ledger_screen(t, claim_at, order, tid, kind, cost_type, amount, reverses, accounting,
                                       file_ids)
        slow = np.ones(len(t), dtype=bool)
        slow[screened.rows] = False
        slow_rows = np.flatnonzero(slow)
        rank = np.empty(len(t), dtype=np.int64)
        rank[order] = np.arange(len(t))
        out_key: list[int] = []
        key_now = [0]
        recorded_at = _sparse(_timestamps(recorded[slow_rows], opt.default_recorded_at), slow_rows, len(t))
        acc = _sparse(_dates(accounting[slow_rows]), slow_rows, len(t))
        out = {k: [] for k in ("transaction_id", "kind", "effect_kind", "cost_type", "amount", "accounting_date",
                               "recorded_at", "recorded_by_id", "derived", "topup", "note")}
        out_claim: list[int] = []
        out_reverses: list = []
        pos_of: dict[str, int] = {}
        ledgers: dict[str, claim_rules.ClaimLedgerState] = {}
        limit_states: dict = {}
        refused: set[str] = set()
        generated: dict[str, int] = {}  # id the import makes (top-up, close release) → line of its row
        outside = set(number[~t.bad].tolist()) - set(claim_pos) - self.claim_refused
        in_db = selectors.claim_numbers_existing(outside) if outside else set()

        def emit(row_id, k, effect, ct, amt, day, rec, c, rev, derived=False, is_topup=False, text=""):
            pos_of[row_id] = len(out["transaction_id"])
            for col, v in (("transaction_id", row_id), ("kind", k), ("effect_kind", effect), ("cost_type", ct),
                           ("amount", None if amt is None else str(amt)), ("accounting_date", day),
                           ("recorded_at", rec), ("recorded_by_id", None), ("derived", derived),
                           ("topup", is_topup), ("note", text)):
                out[col].append(v)
            out_claim.append(c)
            out_reverses.append(rev)
            out_key.append(key_now[0])
            key_now[0] += 1
            if plan.claim_history_date[c] is None or rec < plan.claim_history_date[c]:
                plan.claim_history_date[c] = rec

        def fresh_id(row_id: str) -> str:
            if row_id in file_ids or row_id in generated:
                raise DomainError(f"generated transaction id {row_id} is already used in the book")
            generated[row_id] = t.line[i]
            return row_id

        tid_col, kind_col, cost_type_col, amount_col, note_col = tid, kind, cost_type, amount, note
        tid, number, kind, cost_type, amount, reverses, note = (
            _sparse(x.iloc[slow_rows].tolist(), slow_rows, len(t))
            for x in (tid, number, kind, cost_type, amount, reverses, note))
        done = 0
        for i in order[slow[order]].tolist():
            done += 1
            if done % 50_000 == 0:
                self.progress.tick("replaying claim ledgers", done, len(t))
            key_now[0] = int(rank[i]) * 4
            row_id, cn, k = tid[i], number[i], kind[i]
            if t.bad[i]:
                refused.add(row_id)
                continue
            try:
                if cn in self.claim_refused or (reverses[i] and reverses[i] in refused):
                    raise _Silent()
                if cn not in claim_pos:
                    if cn in in_db:
                        raise DomainError(f"claim {cn} is already in the database; a book adds whole claims only "
                                          "(post later rows through the claim services)")
                    raise DomainError(f"unknown claim {cn}")
                c = claim_pos[cn]
                ref = self.claim_refs[c]
                cur = self._policy_field(ref, "currency")
                if cn not in ledgers:
                    ledgers[cn] = claim_rules.ClaimLedgerState(
                        claim_number=cn, report_date=plan.claims["report_date"][c],
                        limits=self._limit_state(limit_states, ref))
                state = ledgers[cn]
                amt = Decimal(amount[i]) if amount[i] else None
                if amt is not None and amt != amt.quantize(Decimal(1).scaleb(-MINOR_UNITS[cur])):
                    raise DomainError(f"amount {amount[i]} has more decimals than {cur} allows ({MINOR_UNITS[cur]})")
                ct = cost_type[i]
                row = claim_rules.LedgerRow(transaction_id=row_id, kind=k, accounting_date=acc[i], cost_type=ct,
                                            amount=amt, reverses=reverses[i] or None, topup=bool(topup[i]))
                if k != "reversal" and reverses[i]:
                    raise DomainError(f"only a reversal names a row in reverses, not {k}")
                rec = recorded_at[i]
                if k == "reversal":
                    target = state.rows.get(reverses[i])
                    if target is not None and ct and ct != target.cost_type:
                        raise DomainError(f"reversal cost_type {ct} differs from {target.cost_type} "
                                          f"of row {reverses[i]}")
                    state.apply(row)
                    applied = state.rows[row_id]
                    emit(row_id, k, target.kind, applied.cost_type, applied.amount, acc[i], rec, c,
                         pos_of[reverses[i]], text=note[i])
                    continue
                if k == "close" and state.status != "closed":
                    changes = state.close_changes()
                    derived_rows = []
                    for dct, change in changes.items():
                        did = fresh_id(fmt.derived_id(row_id, dct))
                        state.apply(claim_rules.LedgerRow(transaction_id=did, kind="reserve", accounting_date=acc[i],
                                                          cost_type=dct, amount=change, derived=True))
                        derived_rows.append((did, dct, change))
                    state.apply(row)
                    for did, dct, change in derived_rows:
                        emit(did, "reserve", "reserve", dct, change, acc[i], rec, c, None, derived=True)
                        plan.derived += 1
                    emit(row_id, k, k, "", None, acc[i], rec, c, None, text=note[i])
                    continue
                if (k == "payment" and opt.allow_topup and state.status == "open" and ct in fmt.COST_TYPES
                        and amt is not None and amt > state.outstanding(ct)):
                    # Legacy books pay without a reserve: post the missing reserve first, flagged.
                    # Limits are never waived: they are checked before the top-up goes in.
                    state.limits.check(cn, ct, amt)
                    shortfall = amt - state.outstanding(ct)
                    up_id = fresh_id(fmt.topup_id(row_id))
                    state.apply(claim_rules.LedgerRow(transaction_id=up_id, kind="reserve", accounting_date=acc[i],
                                                      cost_type=ct, amount=shortfall, topup=True))
                    state.apply(row)
                    emit(up_id, "reserve", "reserve", ct, shortfall, acc[i], rec, c, None, is_topup=True,
                         text=f"reserve top-up posted by import before payment {row_id}")
                    plan.topups += 1
                    emit(row_id, k, k, ct, amt, acc[i], rec, c, None, text=note[i])
                    continue
                state.apply(row)
                emit(row_id, k, k, ct, amt, acc[i], rec, c, None, is_topup=bool(topup[i]), text=note[i])
            except _Silent:
                refused.add(row_id)
            except DomainError as exc:
                self.errors.add(t.name, t.line[i], exc.message)
                refused.add(row_id)
        for row_id in sorted(selectors.claim_transaction_ids_existing(generated)):
            self.errors.add(t.name, generated[row_id], f"generated transaction id {row_id} already exists in the database")
        for cn, state in ledgers.items():
            plan.claims["status"][claim_pos[cn]] = state.status
        for c in screened.closed_claims.tolist():
            plan.claims["status"][c] = "closed"
        plan.derived += len(screened.derived_source)
        self._claim_rows_merge(t, screened, claim_at, rank, recorded, accounting, topup,
                               (tid_col, kind_col, cost_type_col, amount_col, note_col),
                               out, out_claim, out_reverses, out_key)
        self.progress.tick("replayed claim ledgers", len(t), len(t))


    def _ledger_screen(self, t: Table, claim_at, order, tid, kind, cost_type, amount, reverses, accounting,
                       file_ids: set) -> ledger.Screened:
        """The numpy screen of exchange/bookio/ledger.py over this file's rows."""
        plan = self.plan
        m = len(plan.claims.get("claim_number", []))
        claim_policy = np.full(m, -1, dtype=np.int64)
        places = np.full(m, 2, dtype=np.int64)
        per_claim = np.full(m, ledger.NO_LIMIT, dtype=np.int64)
        aggregate = np.full(m, ledger.NO_LIMIT, dtype=np.int64)
        within = np.zeros(m, dtype=bool)
        limit_cents: dict = {}

        def to_cents(v):
            if v is None or v == "":
                return ledger.NO_LIMIT
            if v not in limit_cents:
                d = Decimal(str(v)).scaleb(2)
                limit_cents[v] = int(d) if d == d.to_integral_value() and abs(d) < 10 ** 17 else None
            return limit_cents[v]

        declined = np.zeros(m, dtype=bool)
        for c, ref in enumerate(self.claim_refs):
            if ref[0] != "new":
                continue
            values = ref[2]
            lpc, agg = to_cents(values["limit_per_claim"]), to_cents(values["aggregate_limit"])
            if lpc is None or agg is None:
                declined[c] = True
                continue
            claim_policy[c] = ref[1]
            places[c] = MINOR_UNITS.get(values["currency"], 2)
            per_claim[c], aggregate[c] = lpc, agg
            within[c] = bool(values["expenses_within_limits"])
        report = np.array(plan.claims.get("report_date", []), dtype="datetime64[D]")
        args = dict(order=order, bad=t.bad, claim=claim_at, kind=kind, cost_type=cost_type, amount=amount,
                    reverses=reverses, accounting=accounting, report=report, claim_policy=claim_policy,
                    places=places, limit_per_claim=per_claim, aggregate_limit=aggregate, within=within,
                    allow_topup=self.opt.allow_topup)
        screened = ledger.ledger_screen(**args, declined=declined)
        # A close's generated ids must not be ids of the file: the replay words that refusal.
        ids = _derived_ids(tid, screened)
        clash = np.array([v in file_ids for v in ids], dtype=bool) if len(ids) else np.zeros(0, bool)
        if clash.any():
            declined[claim_at[screened.derived_source[clash]]] = True
            screened = ledger.ledger_screen(**args, declined=declined)
        return screened

    def _claim_rows_merge(self, t: Table, screened: ledger.Screened, claim_at, rank, recorded, accounting, topup,
                          columns, out, out_claim, out_reverses, out_key) -> None:
        """The rows the screen accepted (with the reserve changes their closes post) and the rows
        the replay emitted, in booking order, as whole columns; each claim's earliest recorded_at
        for its history row."""
        plan = self.plan
        tid, kind, cost_type, amount, note = columns
        rows, src = screened.rows, screened.derived_source
        nd = len(src)
        default = _datetime64(self.opt.default_recorded_at)
        rec = recorded.copy()
        rec[np.isnat(rec)] = default
        take = lambda s, idx: pa.array(s.iloc[idx].reset_index(drop=True), pa.string(), from_pandas=True)  # noqa
        amounts = amount.iloc[rows].reset_index(drop=True)
        fast = {
            "transaction_id": pa.concat_arrays([take(tid, rows), pa.array(_derived_ids(tid, screened), pa.string())]),
            "kind": pa.concat_arrays([take(kind, rows), pa.array(["reserve"] * nd, pa.string())]),
            "effect_kind": pa.concat_arrays([take(kind, rows), pa.array(["reserve"] * nd, pa.string())]),
            "cost_type": pa.concat_arrays([take(cost_type, rows),
                                           pa.array(screened.derived_cost_type.tolist(), pa.string())]),
            "amount": pa.concat_arrays([pa.array(amounts.where(amounts != "", None), pa.string(), from_pandas=True),
                                        pa.array(ledger.cents_text(screened.derived_cents), pa.string())]),
            "accounting_date": pa.array(np.concatenate([accounting[rows], accounting[src]]), pa.date32()),
            "recorded_at": pa.array(np.concatenate([rec[rows], rec[src]]), pa.timestamp("us")),
            "recorded_by_id": pa.nulls(len(rows) + nd, pa.int64()),
            "derived": pa.array(np.r_[np.zeros(len(rows), bool), np.ones(nd, bool)]),
            "topup": pa.array(np.r_[np.asarray(topup, dtype=bool)[rows], np.zeros(nd, bool)]),
            "note": pa.concat_arrays([take(note, rows), pa.array([""] * nd, pa.string())]),
        }
        code = np.select([screened.derived_cost_type == c for c in fmt.COST_TYPES], range(len(fmt.COST_TYPES)), 0) \
            if nd else np.zeros(0, np.int64)
        fast_key = np.r_[rank[rows] * 4 + 3, rank[src] * 4 + code].astype(np.int64)
        fast_claim = np.r_[claim_at[rows], claim_at[src]].astype(np.int64)
        ns = len(out["transaction_id"])
        slow = {
            "transaction_id": pa.array(out["transaction_id"], pa.string()),
            "kind": pa.array(out["kind"], pa.string()),
            "effect_kind": pa.array(out["effect_kind"], pa.string()),
            "cost_type": pa.array(out["cost_type"], pa.string()),
            "amount": pa.array(out["amount"], pa.string()),
            "accounting_date": pa.array(out["accounting_date"], pa.date32()),
            "recorded_at": pa.array(np.array([_datetime64(v) for v in out["recorded_at"]], dtype="datetime64[us]")
                                    if ns else np.zeros(0, "datetime64[us]"), pa.timestamp("us")),
            "recorded_by_id": pa.nulls(ns, pa.int64()),
            "derived": pa.array(out["derived"], pa.bool_()),
            "topup": pa.array(out["topup"], pa.bool_()),
            "note": pa.array(out["note"], pa.string()),
        }
        keys = np.r_[fast_key, np.asarray(out_key, dtype=np.int64)]
        perm = np.argsort(keys, kind="stable")
        where = np.empty(len(perm), dtype=np.int64)
        where[perm] = np.arange(len(perm))
        nf = len(fast_key)
        indices = pa.array(perm)
        # A column at a time, each source column let go once taken: the whole file's columns
        # three times over (rows, joined, ordered) was the import's peak at a million policies.
        plan.claim_transactions = {}
        for name in list(fast):
            plan.claim_transactions[name] = pa.concat_arrays([fast.pop(name), slow.pop(name)]).take(indices)
        plan.claim_transaction_claim = np.r_[fast_claim, np.asarray(out_claim, dtype=np.int64)][perm]
        reverses = np.full(nf + ns, -1, dtype=np.int64)
        slow_rev = np.array([-1 if r is None else r for r in out_reverses], dtype=np.int64)
        has = slow_rev >= 0
        reverses[nf + np.flatnonzero(has)] = where[nf + slow_rev[has]]
        plan.claim_transaction_reverses = reverses[perm]
        # Earliest recorded_at per claim: the history row's date.
        m = len(plan.claims.get("claim_number", []))
        first = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
        fast_rec = np.concatenate([rec[rows], rec[src]]).astype("datetime64[us]").view(np.int64)
        np.minimum.at(first, fast_claim, fast_rec)
        for c, d in enumerate(plan.claim_history_date):
            if d is not None:
                first[c] = min(first[c], _datetime64(d).astype(np.int64))
        history = first.view("datetime64[us]").copy()
        history[first == np.iinfo(np.int64).max] = np.datetime64("NaT")
        plan.claim_history_date = history


def _derived_ids(tid: pd.Series, screened: ledger.Screened) -> list[str]:
    source = tid.iloc[screened.derived_source].tolist()
    return [fmt.derived_id(v, ct) for v, ct in zip(source, screened.derived_cost_type.tolist())]


def _sparse(values: list, rows: np.ndarray, n: int) -> dict:
    """`values` by row position, for the rows at `rows` only: the replay reads Python values of
    its own rows only (a list as long as the file cost 5 MB a column per million rows)."""
    return dict(zip(rows.tolist(), values))


def _arrow(s: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The pyarrow data behind a pyarrow-backed string column (no copy), as large_string."""
    return pc.cast(pa.array(s.array, from_pandas=True), pa.large_string())


class _Silent(Exception):
    """A row refused only because a row it depends on was refused (already reported)."""
