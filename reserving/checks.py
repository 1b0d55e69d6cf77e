"""Data checks a run makes before it computes: each is one SQL query over what the run sees
(the same bitemporal scope as the selectors) and returns the rows concerned.

Errors block computing; warnings must be acknowledged by the actuary before the run is
submitted. Severity per check is fixed here because it expresses what the numbers can bear:
a negative outstanding or a row dated before its report would make the triangles wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext, ngettext

from claims.models import Claim, ClaimTransaction
from policies.models import PremiumTransaction
from reserving.sql import (CASE_EFFECT, Dialect, Scope, as_of_views, claim_as_of, claim_ledger_from, fetch, policy_as_of,
                           timestamp_param)

ERROR, WARNING = "error", "warning"
ROW_LIMIT = 100


@dataclass
class CheckResult:
    severity: str
    code: str
    message: str
    rows: list[dict] = field(default_factory=list)
    row_count: int = 0


def _result(severity, code, message, columns, rows) -> CheckResult | None:
    if not rows:
        return None
    dicts = [{c: (str(v) if v is not None and not isinstance(v, (int, str)) else v) for c, v in zip(columns, r)}
             for r in rows[:ROW_LIMIT]]
    return CheckResult(severity, code, message.format(n=len(rows)), dicts, len(rows))


def _claims_outstanding_sql(scope: Scope, d: Dialect) -> tuple[str, list]:
    frm, params = claim_ledger_from(scope, d)
    # in cents: SQLite sums floats, and -1e-12 is not a negative outstanding
    sql = (f"SELECT t.claim_id AS claim_id, t.cost_type AS cost_type, SUM({d.cents(CASE_EFFECT)}) AS o{frm}"
           " AND t.amount IS NOT NULL GROUP BY t.claim_id, t.cost_type")
    return sql, params


def check_outstanding_below_zero(scope: Scope) -> CheckResult | None:
    d = Dialect()
    sql, params = _claims_outstanding_sql(scope, d)
    rows = fetch(f"SELECT c.claim_number, x.cost_type, x.o / 100.0 FROM ({sql}) x JOIN {Claim._meta.db_table} c ON c.id = x.claim_id"
                  " WHERE x.o < 0 ORDER BY c.claim_number", params)
    return _result(ERROR, "outstanding_below_zero", "{n} claim cost types have payments beyond their case reserve at the valuation date",
                   ["claim_number", "cost_type", "outstanding"], rows)


def check_open_claims_without_case_reserve(scope: Scope) -> CheckResult | None:
    """Claims reported by V, open at V (no close, or reopened after the last close), with no
    outstanding case estimate. Each claim's outstanding, last close and last reopen come from
    one GROUP BY of the ledger in scope (not two subqueries per claim: half the check's time)."""
    d = Dialect()
    hc_sql, hc_params = claim_as_of(scope, ["policy_id", "occurrence_date", "report_date", "status"])
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency"], claimed=True)
    seg_sql, seg_params = scope.segment_filter()
    ct = ClaimTransaction._meta.db_table
    v = scope.valuation_date.isoformat()
    dp = d.date_param()
    per_claim = (
        f"SELECT t.claim_id, SUM(CASE WHEN t.amount IS NOT NULL THEN {d.cents(CASE_EFFECT)} END) AS o,"
        " MAX(CASE WHEN t.effect_kind = 'reopen' AND t.kind = 'reopen' THEN t.id END) AS reopened,"
        " MAX(CASE WHEN t.kind = 'close' THEN t.id END) AS closed"
        f" FROM {ct} t WHERE t.accounting_date <= {dp} AND t.recorded_at <= %s GROUP BY t.claim_id"
    )
    sql = (
        f"SELECT c.claim_number, hc.report_date, COALESCE(o.o, 0) / 100.0 AS outstanding"
        f" FROM ({hc_sql}) hc JOIN ({hp_sql}) hp ON hp.id = hc.policy_id JOIN {Claim._meta.db_table} c ON c.id = hc.id"
        f" LEFT JOIN ({per_claim}) o ON o.claim_id = hc.id"
        f" WHERE hc.report_date <= {dp}{seg_sql}"
        " AND COALESCE(o.reopened, 0) >= COALESCE(o.closed, 0) AND COALESCE(o.o, 0) <= 0 ORDER BY c.claim_number"
    )
    ts = timestamp_param(scope.cut_off)
    params = [*hc_params, *hp_params, v, ts, v, *seg_params]
    rows = fetch(sql, params)
    return _result(WARNING, "open_claim_without_case_reserve", "{n} open claims have no case reserve at the valuation date",
                   ["claim_number", "report_date", "outstanding"], rows)


def check_payments_on_closed_claims(scope: Scope) -> CheckResult | None:
    """Payments recorded after a close with no reopen in between (ledger order): a payment whose
    claim's last close before it (by id, any row of the claim's ledger) is later than its last
    reopen before it. One window over the payments in scope and the claims' closes and reopens,
    not a probe per payment and close (the reopen probe's id range cost most of the check)."""
    d = Dialect()
    frm, params = claim_ledger_from(scope, d)
    ct = ClaimTransaction._meta.db_table
    sql = (
        "SELECT x.transaction_id, x.accounting_date, x.amount FROM ("
        " SELECT p.transaction_id, p.accounting_date, p.amount, p.mine,"
        "  MAX(CASE WHEN p.kind = 'close' THEN p.id END) OVER w AS closed,"
        "  MAX(CASE WHEN p.kind = 'reopen' THEN p.id END) OVER w AS reopened"
        f" FROM (SELECT t.id, t.claim_id, t.kind, t.transaction_id, t.accounting_date, t.amount, 1 AS mine{frm}"
        "  AND t.kind = 'payment'"
        f"  UNION ALL SELECT e.id, e.claim_id, e.kind, NULL, NULL, NULL, 0 FROM {ct} e WHERE e.kind IN ('close', 'reopen')) p"
        " WINDOW w AS (PARTITION BY p.claim_id ORDER BY p.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
        ") x WHERE x.mine = 1 AND x.closed IS NOT NULL AND x.closed > COALESCE(x.reopened, 0)"
        " ORDER BY x.transaction_id"
    )
    return _result(WARNING, "payment_on_closed_claim", "{n} payments were posted on closed claims",
                   ["transaction_id", "accounting_date", "amount"], fetch(sql, params))


def check_policies_without_premium(scope: Scope) -> CheckResult | None:
    d = Dialect()
    hp_sql, hp_params = policy_as_of(scope, ["segment", "currency", "inception_date", "policy_number"])
    seg_sql, seg_params = scope.segment_filter()
    pt = PremiumTransaction._meta.db_table
    dp = d.date_param()
    sql = (
        f"SELECT hp.policy_number, hp.inception_date FROM ({hp_sql}) hp WHERE hp.inception_date <= {dp}{seg_sql}"
        f" AND NOT EXISTS (SELECT 1 FROM {pt} t WHERE t.policy_id = hp.id AND t.kind = 'original' AND t.gross_premium > 0"
        f"  AND t.accounting_date <= {dp} AND t.recorded_at <= %s) ORDER BY hp.policy_number"
    )
    v = scope.valuation_date.isoformat()
    rows = fetch(sql, [*hp_params, v, *seg_params, v, timestamp_param(scope.cut_off)])
    return _result(WARNING, "policy_without_premium", "{n} policies in force by the valuation date have no original premium",
                   ["policy_number", "inception_date"], rows)


def check_rows_before_report(scope: Scope) -> CheckResult | None:
    d = Dialect()
    frm, params = claim_ledger_from(scope, d)
    sql = (f"SELECT t.transaction_id, t.accounting_date, hc.report_date{frm} AND t.accounting_date < hc.report_date"
           " ORDER BY t.transaction_id")
    return _result(ERROR, "claim_row_before_report", "{n} claim rows are dated before their claim's report date",
                   ["transaction_id", "accounting_date", "report_date"], fetch(sql, params))


def check_large_movements(*, current: dict, previous: dict, threshold: float, previous_run_id: int | None
                          ) -> CheckResult | None:
    """UPR and RBNS per segment × currency moved by more than `threshold` (relative) since the
    last approved run. `current`/`previous`: {(segment, currency): {"upr": Decimal, "rbns": Decimal}}."""
    rows = []
    for key in sorted(set(current) | set(previous)):
        for what in ("upr", "rbns"):
            now = current.get(key, {}).get(what, Decimal(0))
            before = previous.get(key, {}).get(what, Decimal(0))
            if before == 0 and now == 0:
                continue
            change = float((now - before) / before) if before else float("inf")
            if abs(change) > threshold:
                rows.append((key[0], key[1], what, str(before), str(now),
                             "new" if change == float("inf") else f"{change:+.1%}"))
    if not rows:
        return None
    return _result(WARNING, "large_movement",
                   f"{{n}} amounts moved by more than {threshold:.0%} since approved run {previous_run_id}",
                   ["segment", "currency", "amount", "previous", "current", "change"], rows)


# What a check says, in the user's language. The stored message stays in English (it is the
# record, and the API's); pages show check_text(), rebuilt from the code, the row count and the
# figures of the stored message. Unknown codes keep their stored message.
def check_text(code: str, row_count: int, message: str) -> str:
    n = row_count
    if code == "outstanding_below_zero":
        return ngettext("%(n)d claim cost type has payments beyond its case reserve at the valuation date",
                        "%(n)d claim cost types have payments beyond their case reserve at the valuation date",
                        n) % {"n": n}
    if code == "open_claim_without_case_reserve":
        return ngettext("%(n)d open claim has no case reserve at the valuation date",
                        "%(n)d open claims have no case reserve at the valuation date", n) % {"n": n}
    if code == "payment_on_closed_claim":
        return ngettext("%(n)d payment was posted on a closed claim",
                        "%(n)d payments were posted on closed claims", n) % {"n": n}
    if code == "policy_without_premium":
        return ngettext("%(n)d policy in force by the valuation date has no original premium",
                        "%(n)d policies in force by the valuation date have no original premium", n) % {"n": n}
    if code == "claim_row_before_report":
        return ngettext("%(n)d claim row is dated before its claim's report date",
                        "%(n)d claim rows are dated before their claim's report date", n) % {"n": n}
    if code == "large_movement":
        m = re.search(r"more than (\S+%) since approved run (\S+)", message)
        if m:
            return ngettext("%(n)d amount moved by more than %(threshold)s since approved run %(run)s",
                            "%(n)d amounts moved by more than %(threshold)s since approved run %(run)s",
                            n) % {"n": n, "threshold": m.group(1), "run": m.group(2)}
    if code == "origin_grain":
        m = re.match(r"(\d+) of (\d+) segments reserved on annual origins \(fewer than (\S+) reported", message)
        if m:
            return ngettext("%(annual)s of %(n)s segment reserved on annual origins (fewer than %(min)s reported "
                            "claims per origin quarter)",
                            "%(annual)s of %(n)s segments reserved on annual origins (fewer than %(min)s reported "
                            "claims per origin quarter)", int(m.group(2))) % {
                "annual": m.group(1), "n": m.group(2), "min": m.group(3)}
        m = re.match(r"grain (\S+) for every segment \(regime\)", message)
        if m:
            return gettext("grain %(grain)s for every segment (regime)") % {"grain": m.group(1)}
    return message


def data_checks(scope: Scope) -> list[CheckResult]:
    """The checks on the book itself (the movement check needs the run's history; see services),
    all reading the master data as at T from one materialised view."""
    with as_of_views(scope) as viewed:
        found = [check(viewed) for check in (check_outstanding_below_zero, check_rows_before_report,
                                             check_open_claims_without_case_reserve, check_payments_on_closed_claims,
                                             check_policies_without_premium)]
    return [r for r in found if r is not None]
