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

from claims import rules as claim_rules
from core.errors import DomainError, PeriodClosed
from core.money import MINOR_UNITS, to_decimal
from core.periods import Quarter
from core.services import closed_period_labels
from exchange import selectors
from exchange.bookio import format as fmt
from exchange.bookio.parse import ErrorLog, Table, Typer, fraction_digits, table_read
from exchange.bookio.write import Progress
from policies import rules as policy_rules


@dataclass
class ImportOptions:
    allow_topup: bool = False
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
    insureds: dict[str, list] = field(default_factory=dict)
    insured_ref: list = field(default_factory=list)  # per policy: ("new", i) or ("db", id)
    policies: dict[str, list] = field(default_factory=dict)
    policy_recorded_at: list = field(default_factory=list)
    premiums: dict[str, list] = field(default_factory=dict)
    premium_policy: list = field(default_factory=list)  # position in policies
    premium_reverses: list = field(default_factory=list)  # position in premiums or None
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


def _dates(arr: np.ndarray) -> list:
    return [None if d is None else d for d in arr.astype("datetime64[D]").astype(object).tolist()]


def _timestamps(arr: np.ndarray, default: datetime) -> list:
    """Aware datetimes (UTC) for a datetime64[us] column; NaT → default."""
    s = pd.Series(arr)
    out = s.dt.tz_localize("UTC").astype(object).tolist()
    return [default if v is pd.NaT or v is None or (isinstance(v, float)) else v.to_pydatetime() for v in out]


def _rule_per_combination(ty: Typer, columns: list[str], converters: list, rule) -> None:
    """Apply `rule(*values)` once per distinct combination of the columns' raw strings among
    rows not yet refused; refuse every row of a combination the rule refuses."""
    t = ty.t
    ok = np.flatnonzero(~t.bad)
    if not len(ok):
        return
    raws = [ty.raw(c).iloc[ok].reset_index(drop=True) for c in columns]
    key = raws[0] if len(raws) == 1 else raws[0].str.cat(raws[1:], sep="\x1f")
    codes, uniques = pd.factorize(key)
    _, first = np.unique(codes, return_index=True)
    failing: dict[int, str] = {}
    values = [r.to_numpy(dtype=object) for r in raws]
    for code, i in enumerate(first):
        try:
            rule(*[conv(v[i]) for conv, v in zip(converters, values)])
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
        # policy_number → position in plan.policies (file) ; refused file policies are remembered
        # so that rows referring to them are not refused a second time.
        self.policy_pos: dict[str, int] = {}
        self.policy_refused: set[str] = set()
        self.db_policies: dict[str, dict] = {}
        self.claim_refused: set[str] = set()
        self.claim_refs: list = []
        # Quarters signed off: nothing in a book may be accounted in them (read once per import).
        self.closed_periods: set[str] = closed_period_labels()

    # ---------------------------------------------------------------------------------------
    def run(self) -> BookPlan | None:
        tables: dict[str, Table | None] = {}
        for spec in fmt.FILES:
            src = self.sources.get(spec.name)
            if src is None:
                continue
            tables[spec.name] = table_read(src, spec, self.errors)
            if tables[spec.name] is not None:
                self.plan.rows_read[spec.name] = len(tables[spec.name])
                self.progress.tick(f"parsed {spec.name}", len(tables[spec.name]), len(tables[spec.name]))
        if not tables:
            self.errors.add("(book)", 0, "no book files found: expected " + ", ".join(s.name for s in fmt.FILES))
            return None
        if tables.get(fmt.POLICIES.name) is not None:
            self._policies(tables[fmt.POLICIES.name])
        premium_table = tables.get(fmt.PREMIUM_TRANSACTIONS.name)
        self._premiums(premium_table)
        claims_table = tables.get(fmt.CLAIMS.name)
        claim_pos = self._claims(claims_table) if claims_table is not None else {}
        if tables.get(fmt.CLAIM_TRANSACTIONS.name) is not None:
            self._claim_transactions(tables[fmt.CLAIM_TRANSACTIONS.name], claim_pos)
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
        currency = ty.raw("currency").map(lambda v: codes.get(v, v))
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

        ok0 = ~t.bad
        existing = selectors.policy_numbers_existing(number[ok0].tolist())
        if existing:
            ty._refuse(number.isin(existing).to_numpy() & ok0,
                       lambda i: f"policy {number.iat[i]} already exists in the database")
        orig_ids = original_id.where(original_id != "", number.map(fmt.original_premium_id))
        self.original_ids = orig_ids
        taken = selectors.premium_ids_existing(orig_ids[~t.bad].tolist())
        if taken:
            ty._refuse(orig_ids.isin(taken).to_numpy() & ~t.bad,
                       lambda i: f"premium transaction id {orig_ids.iat[i]} already exists in the database")
        dup_orig = orig_ids.duplicated(keep="first").to_numpy() & ~t.bad
        ty._refuse(dup_orig, lambda i: f"duplicate original premium transaction id {orig_ids.iat[i]}")
        self.progress.tick("validated policies", len(t), len(t))

        ok = ~t.bad
        self.policy_refused = set(number[~ok].tolist())
        idx = np.flatnonzero(ok)
        sel = lambda s: s.iloc[idx].tolist()  # noqa: E731
        numbers = sel(number)
        self.policy_pos = {n: i for i, n in enumerate(numbers)}

        # Insureds are named, not numbered: one per distinct name, reusing the database's.
        names = sel(insured)
        kinds = [k or "person" for k in sel(insured_kind)]
        known = selectors.insured_ids_by_name(set(names))
        new_pos: dict[str, int] = {}
        new_names, new_kinds, refs = [], [], []
        for name, kind in zip(names, kinds):
            if name in known:
                refs.append(("db", known[name]))
                continue
            if name not in new_pos:
                new_pos[name] = len(new_names)
                new_names.append(name)
                new_kinds.append(kind)
            refs.append(("new", new_pos[name]))
        self.plan.insureds = {"name": new_names, "kind": new_kinds, "national_id": [""] * len(new_names)}
        self.plan.insured_ref = refs

        rg = risk_group[idx]
        dy = diyeh_year[idx]
        recorded_at = _timestamps(recorded[idx], self.opt.default_recorded_at)
        self.policy_recorded_at = recorded_at
        self.plan.policy_recorded_at = recorded_at
        n = len(idx)
        self.plan.policies = {
            "policy_number": numbers,
            "profession": sel(profession),
            "risk_group": [None if np.isnan(v) else int(v) for v in rg],
            "segment": sel(segment),
            "basis": sel(basis),
            "retro_date": _dates(retro[idx]),
            "currency": sel(currency),
            "inception_date": _dates(inception[idx]),
            "expiry_date": _dates(expiry[idx]),
            "issue_date": _dates(issue[idx]),
            "limit_per_claim": [v or None for v in sel(ty.raw("limit_per_claim"))],
            "aggregate_limit": [v or None for v in sel(ty.raw("aggregate_limit"))],
            "deductible_amount": [v or None for v in sel(ty.raw("deductible_amount"))],
            "deductible_percent": [v or None for v in sel(ty.raw("deductible_percent"))],
            "expenses_within_limits": within[idx].tolist(),
            "status": ["in_force"] * n,
            "cancelled_on": [None] * n,
            "tariff_version": sel(tariff_version),
            "rating_steps": [[] for _ in range(n)],
            "cover_in_diyeh": in_diyeh[idx].tolist(),
            "diyeh_year": [None if np.isnan(v) else int(v) for v in dy],
            "diyeh_increase_endorsement": diyeh_endorsement[idx].tolist(),
            "created_at": [self.opt.now] * n,
        }
        # The original premium: the first premium row, accounted on the issue date.
        self.plan.premiums = {
            "transaction_id": sel(orig_ids),
            "kind": ["original"] * n,
            "effect_kind": ["original"] * n,
            "accounting_date": list(self.plan.policies["issue_date"]),
            "effective_date": list(self.plan.policies["inception_date"]),
            "gross_premium": sel(gross),
            "commission": sel(commission),
            "recorded_at": list(recorded_at),
            "recorded_by_id": [None] * n,
            "note": [""] * n,
        }
        self.plan.premium_policy = list(range(n))
        self.plan.premium_reverses = [None] * n

    def _policy(self, number: str) -> tuple[str, object] | None:
        """("new", position) for a policy of this book, ("db", row) for one in the database."""
        if number in self.policy_pos:
            return "new", self.policy_pos[number]
        if number in self.db_policies:
            return "db", self.db_policies[number]
        return None

    def _policy_field(self, ref, name):
        kind, value = ref
        return self.plan.policies[name][value] if kind == "new" else value[name]

    # --- premium_transactions.csv ------------------------------------------------------------
    def _premiums(self, t: Table | None) -> None:
        plan = self.plan
        if not plan.premiums:
            plan.premiums = {k: [] for k in ("transaction_id", "kind", "effect_kind", "accounting_date",
                                            "effective_date", "gross_premium", "commission", "recorded_at",
                                            "recorded_by_id", "note")}
        if t is None:
            return
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
        taken = selectors.premium_ids_existing(tid[~t.bad].tolist())
        if taken:
            ty._refuse(tid.isin(taken).to_numpy() & ~t.bad,
                       lambda i: f"premium transaction id {tid.iat[i]} already exists in the database")
        originals = set(plan.premiums["transaction_id"])
        clash = tid.isin(originals).to_numpy() & ~t.bad
        ty._refuse(clash, lambda i: f"premium transaction id {tid.iat[i]} is already the original premium of a policy")

        pos_of = {v: i for i, v in enumerate(plan.premiums["transaction_id"])}
        reversed_rows: set[int] = set()
        refused: set[str] = set()
        recorded_at = _timestamps(recorded, self.opt.default_recorded_at)
        acc, eff = _dates(accounting), _dates(effective)
        order = np.lexsort((t.line, accounting.astype("int64")))
        currencies = plan.policies.get("currency", [])
        # Plain lists: indexing a Series per row costs more than the rules themselves.
        tid, number, kind, gross, commission, reverses, note = (
            x.tolist() for x in (tid, number, kind, gross, commission, reverses, note))
        for i in order:
            if t.bad[i]:
                refused.add(tid[i])
                continue
            line, row_id, pn, k = t.line[i], tid[i], number[i], kind[i]
            try:
                if pn in self.policy_refused:
                    raise _Silent()
                if pn not in self.policy_pos:
                    raise DomainError(f"unknown policy {pn}: premium rows must refer to a policy in policies.csv")
                p = self.policy_pos[pn]
                cur = currencies[p]
                if k == "reversal":
                    target_id = reverses[i]
                    if not target_id:
                        raise DomainError("a reversal names the row it reverses in the reverses column")
                    if target_id in refused:
                        raise _Silent()
                    if target_id not in pos_of:
                        raise DomainError(f"reversal names {target_id!r}, not an earlier premium row of policy {pn}")
                    j = pos_of[target_id]
                    if plan.premium_policy[j] != p:
                        raise DomainError(f"reversal names {target_id}, a row of another policy")
                    if j in reversed_rows:
                        raise DomainError(f"premium row {target_id} is already reversed")
                    if plan.premiums["kind"][j] == "reversal":
                        raise DomainError(f"premium row {target_id} is itself a reversal; post the row again instead")
                    if acc[i] < plan.premiums["accounting_date"][j]:
                        raise DomainError(f"reversal dated {acc[i]} is before the row it reverses "
                                          f"({plan.premiums['accounting_date'][j]})")
                    g, c = -to_decimal(plan.premiums["gross_premium"][j]), -to_decimal(plan.premiums["commission"][j])
                    for col, given, want in (("gross_premium", gross[i], g), ("commission", commission[i], c)):
                        if given and Decimal(given) != want:
                            raise DomainError(f"reversal {col} {given} is not the negated amount {want} of row {target_id}")
                    e = plan.premiums["effective_date"][j]
                    if eff[i] is not None and eff[i] != e:
                        raise DomainError(f"reversal effective_date {eff[i]} differs from {e} of row {target_id}")
                    effect = plan.premiums["effect_kind"][j]
                    gross_v, comm_v, reverses_pos = str(g), str(c), j
                    reversed_rows.add(j)
                else:
                    for col, v in (("effective_date", eff[i]), ("gross_premium", gross[i]),
                                   ("commission", commission[i])):
                        if v in (None, ""):
                            raise DomainError(f"{col} is required for {k}")
                    if reverses[i]:
                        raise DomainError(f"only a reversal names a row in reverses, not {k}")
                    policy_rules.effective_date_check(eff[i], plan.policies["inception_date"][p],
                                                      plan.policies["expiry_date"][p])
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
            pos_of[row_id] = len(plan.premiums["transaction_id"])
            for col, v in (("transaction_id", row_id), ("kind", k), ("effect_kind", effect),
                           ("accounting_date", acc[i]), ("effective_date", e), ("gross_premium", gross_v),
                           ("commission", comm_v), ("recorded_at", recorded_at[i]), ("recorded_by_id", None),
                           ("note", note[i])):
                plan.premiums[col].append(v)
            plan.premium_policy.append(p)
            plan.premium_reverses.append(reverses_pos)
        # A cancellation that stands (not reversed) cancels the policy from its effective date.
        for j, k in enumerate(plan.premiums["kind"]):
            if k == "cancellation" and j not in reversed_rows:
                p = plan.premium_policy[j]
                plan.policies["status"][p] = "cancelled"
                plan.policies["cancelled_on"][p] = plan.premiums["effective_date"][j]
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
        existing = selectors.claim_numbers_existing(number[~t.bad].tolist())
        if existing:
            ty._refuse(number.isin(existing).to_numpy() & ~t.bad,
                       lambda i: f"claim {number.iat[i]} already exists in the database")
        outside = set(policy_number[~t.bad].tolist()) - set(self.policy_pos) - self.policy_refused
        self.db_policies = selectors.policies_by_number(outside) if outside else {}
        occ, rep = _dates(occurrence), _dates(report)
        plan = self.plan
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
                ref = self._policy(pn)
                if ref is None:
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
        file_ids = set(tid.tolist())
        taken = selectors.claim_transaction_ids_existing(tid[~t.bad].tolist())
        if taken:
            ty._refuse(tid.isin(taken).to_numpy() & ~t.bad,
                       lambda i: f"claim transaction id {tid.iat[i]} already exists in the database")
        recorded_at = _timestamps(recorded, opt.default_recorded_at)
        acc = _dates(accounting)
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
            if plan.claim_history_date[c] is None or rec < plan.claim_history_date[c]:
                plan.claim_history_date[c] = rec

        def fresh_id(row_id: str) -> str:
            if row_id in file_ids or row_id in generated:
                raise DomainError(f"generated transaction id {row_id} is already used in the book")
            generated[row_id] = t.line[i]
            return row_id

        order = np.lexsort((t.line, accounting.astype("int64")))
        tid, number, kind, cost_type, amount, reverses, note = (
            x.tolist() for x in (tid, number, kind, cost_type, amount, reverses, note))
        done = 0
        for i in order:
            done += 1
            if done % 50_000 == 0:
                self.progress.tick("replaying claim ledgers", done, len(t))
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
        plan.claim_transactions = out
        plan.claim_transaction_claim = out_claim
        plan.claim_transaction_reverses = out_reverses
        self.progress.tick("replayed claim ledgers", len(t), len(t))


class _Silent(Exception):
    """A row refused only because a row it depends on was refused (already reported)."""
