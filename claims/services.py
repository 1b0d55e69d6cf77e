"""Writes of claims and the claim ledger: report, reserve changes, payments, recoveries,
close/reopen, reversal and settlement. Each is one transaction with one audit row; every
posting is replayed through claims.rules.ClaimLedgerState with the claim's booked rows before
anything is written, and refused in a closed period."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from claims import rules
from claims.privacy import audit_redact, note_check
from claims.models import Claim, ClaimTransaction, HandlerAuthority, PendingClaimChange
from claims.rules import COST_TYPES, LedgerRow
from claims.selectors import BookedLedger, claim_booked_ledger, claim_ledger_state, claim_number_next, handler_authority, settlement_share
from core.ledger import insert_with_free_id
from core.models import AuditVerb
from core.errors import DomainError, PermissionDenied
from core.money import ZERO, CurrencyError, money_round, to_decimal
from core.roles import Operation, authorize, is_system
from core.services import audit_record, period_ensure_open
from policies.models import Policy

CostType = ClaimTransaction.CostType


def cover_end(policy: Policy) -> date:
    """The last day of cover: expiry, or the day before a cancellation takes effect."""
    if policy.status == Policy.Status.CANCELLED and policy.cancelled_on is not None:
        return min(policy.expiry_date, policy.cancelled_on - timedelta(days=1))
    return policy.expiry_date


def _locked(claim: Claim, authority_of=None) -> Claim:
    """Lock the claim and its policy (the aggregate limit is shared by the policy's claims) in one
    statement: every path locks them through here, so always in the same order. With
    `authority_of` (an actor) the actor's authority in the policy's currency comes along
    (`claim.authority_found`: HandlerAuthority, or None when not limited), not asked for again."""
    rows = Claim.objects.select_for_update().select_related("policy")
    limited = authority_of is not None and not _unlimited(authority_of)
    if limited:
        rows = rows.annotate(**{f"_authority_{column}": _authority_column(column, authority_of.pk)
                                for column in ("id", "reserve_limit", "payment_limit")})
    locked = rows.get(pk=claim.pk)
    if limited:
        locked.authority_found = None if locked._authority_id is None else HandlerAuthority(
            pk=locked._authority_id, user_id=authority_of.pk, currency=locked.policy.currency,
            reserve_limit=_cents(locked._authority_reserve_limit),
            payment_limit=_cents(locked._authority_payment_limit))
    elif authority_of is not None:
        locked.authority_found = None
    return locked


def _authority_column(column: str, user_id: int) -> RawSQL:
    """One column of the user's authority in the locked claim's currency, as a subquery on the
    policy that select_related("policy") joins under its table name. Raw SQL because the same
    three subqueries built with OuterRef took a posting 0.6 ms of CPU to compile (issue 15 §4)."""
    q = connection.ops.quote_name
    return RawSQL(f"SELECT a.{q(column)} FROM {q(HandlerAuthority._meta.db_table)} a WHERE a.{q('user_id')} = %s "
                  f"AND a.{q('currency')} = {q(Policy._meta.db_table)}.{q('currency')}", (user_id,))


def _cents(value) -> Decimal:
    """A limit read through a subquery as its column holds it (SQLite drops the scale)."""
    return to_decimal(value).quantize(Decimal("0.01"))


def _next_id(claim: Claim, booked: BookedLedger) -> str:
    """The next free-looking row id of the claim from its booked rows; `_insert` moves past one
    another claim took (the id is unique across the ledger)."""
    taken = {r.transaction_id for r in booked.rows}
    n = len(taken) + 1
    while f"{claim.claim_number}-T{n}" in taken:
        n += 1
    return f"{claim.claim_number}-T{n}"


def _next_ids(claim: Claim, count: int) -> list[str]:
    taken = set(ClaimTransaction.objects.filter(claim=claim).values_list("transaction_id", flat=True))
    n, ids = len(taken), []
    while len(ids) < count:
        n += 1
        candidate = f"{claim.claim_number}-T{n}"
        if candidate not in taken and not ClaimTransaction.objects.filter(transaction_id=candidate).exists():
            ids.append(candidate)
    return ids


# The words for the money fields in refusals; the messages are translated when raised (gettext,
# not lazy), so an admin or API request reads them in its language and commands in English.
_FIELD_LABELS = {
    "amount": gettext_lazy("amount"), "new_estimate": gettext_lazy("new estimate"),
    "loss_amount": gettext_lazy("loss amount"), "expense_amount": gettext_lazy("expense amount"),
    "reserve_limit": gettext_lazy("reserve limit"), "payment_limit": gettext_lazy("payment limit"),
}


def _field_label(field: str) -> str:
    return str(_FIELD_LABELS.get(field, field.replace("_", " ")))


def _money(value, claim: Claim, field: str = "amount") -> Decimal:
    if value is None or value == "":
        raise DomainError(_("%(field)s is required") % {"field": _field_label(field)}, field=field)
    try:
        return money_round(value, claim.policy.currency)
    except ArithmeticError as exc:
        raise DomainError(_("%(field)s %(value)s is not an amount")
                          % {"field": _field_label(field), "value": repr(value)}, field=field) from exc


def _cost_type(value: str) -> str:
    if value not in COST_TYPES:
        raise DomainError(_("unknown cost type %(value)s; known: %(known)s")
                          % {"value": repr(value), "known": ", ".join(COST_TYPES)}, field="cost_type")
    return value


def _insert(fields: dict, auto_id: bool) -> ClaimTransaction:
    """Create the row; with `auto_id` an id taken meanwhile moves the row to the next one."""
    if not auto_id:
        return ClaimTransaction.objects.create(**fields)
    tid = fields.pop("transaction_id")
    return insert_with_free_id(ClaimTransaction, tid, **fields)


def _post(claim: Claim, rows: list[LedgerRow], *, actor, note: str = "", recorded_at: datetime | None = None,
          booked: BookedLedger | None = None, auto_id: bool = False) -> list[ClaimTransaction]:
    """Check `rows` against the claim's booked ledger (`booked`, when already read) and write
    them in order. `auto_id`: the one row's id came from `_next_id` (see `_insert`)."""
    note_check(claim, note)  # the ledger is append-only: a patient's name in it could never be erased
    for row in rows:
        period_ensure_open(row.accounting_date)
    state = booked.state(claim, rows) if booked is not None else claim_ledger_state(claim, rows)
    reversed_rows = {
        r.transaction_id: r
        for r in ClaimTransaction.objects.filter(claim=claim, transaction_id__in=[x.reverses for x in rows if x.reverses])
    }
    now = recorded_at or timezone.now()
    user = actor if getattr(actor, "pk", None) else None
    written = []
    for row in rows:
        target = reversed_rows.get(row.reverses) if row.reverses else None
        written.append(_insert(dict(
            transaction_id=row.transaction_id, claim=claim, kind=row.kind,
            effect_kind=target.effect_kind if target is not None else row.kind,
            cost_type=row.cost_type, amount=row.amount, accounting_date=row.accounting_date,
            recorded_at=now, recorded_by=user, reverses=target, derived=row.derived, topup=row.topup,
            note=note or "",
        ), auto_id and len(rows) == 1))
    if claim.status != state.status:
        claim.status = state.status
        claim.save(update_fields=["status"])
    return written


@transaction.atomic(durable=True)
def claim_report(
    *, policy: Policy, occurrence_date: date, report_date: date, claim_number: str | None = None,
    cause: str = "", litigated: bool = False, claimant: str = "", awarded_diyeh_share=None,
    initial_reserve: dict[str, Decimal] | None = None, actor, recorded_at: datetime | None = None,
) -> Claim:
    """A new claim on the policy, optionally with its first case-reserve rows (accounted on
    the report date)."""
    authorize(actor, Operation.CLAIM_REPORT)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    rules.claim_dates_check(policy.basis, policy.inception_date, cover_end(policy), policy.retro_date,
                            occurrence_date, report_date)
    claim_number = (claim_number or "").strip() or claim_number_next(policy)
    if Claim.objects.filter(claim_number=claim_number).exists():
        raise DomainError(_("claim number %(number)s is already taken") % {"number": claim_number},
                          field="claim_number")
    if awarded_diyeh_share is not None and not ZERO <= to_decimal(awarded_diyeh_share) <= Decimal(1):
        raise DomainError(_("awarded diyeh share %(share)s is outside 0–1") % {"share": awarded_diyeh_share},
                          field="awarded_diyeh_share")
    claim = Claim.objects.create(
        claim_number=claim_number, policy=policy, occurrence_date=occurrence_date, report_date=report_date,
        cause=cause or "", litigated=bool(litigated), claimant=claimant or "",
        awarded_diyeh_share=awarded_diyeh_share,
    )
    reserves = {_cost_type(c): _money(a, claim) for c, a in (initial_reserve or {}).items() if a not in (None, "")}
    reserves = {c: a for c, a in reserves.items() if a != ZERO}
    ids = _next_ids(claim, len(reserves))
    rows = [LedgerRow(tid, "reserve", report_date, c, a) for tid, (c, a) in zip(ids, reserves.items())]
    if rows:
        _post(claim, rows, actor=actor, note="initial reserve", recorded_at=recorded_at)
    audit_record(actor=actor, verb=AuditVerb.CLAIM_REPORT, target=claim,
                 new={"claim_number": claim_number, "policy": policy.policy_number,
                      "occurrence_date": str(occurrence_date), "report_date": str(report_date),
                      "initial_reserve": {c: str(a) for c, a in reserves.items()}})
    return claim


CLAIM_MASTER_FIELDS = ("occurrence_date", "report_date", "cause", "litigated", "claimant", "awarded_diyeh_share")


@transaction.atomic(durable=True)
def claim_update_master(*, claim: Claim, actor, **changes) -> Claim:
    """Edit a claim's master data; django-simple-history keeps the old version. Dates are
    checked against the cover again, and the report date may not move after a posted row."""
    authorize(actor, Operation.CLAIM_UPDATE)
    unknown = sorted(set(changes) - set(CLAIM_MASTER_FIELDS))
    if unknown:
        raise DomainError(_("these fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)},
                          field=unknown[0])
    claim = _locked(claim)
    changed = {k: v for k, v in changes.items() if getattr(claim, k) != v}
    if not changed:
        return claim
    new = {f: changed.get(f, getattr(claim, f)) for f in CLAIM_MASTER_FIELDS}
    policy = claim.policy
    rules.claim_dates_check(policy.basis, policy.inception_date, cover_end(policy), policy.retro_date,
                            new["occurrence_date"], new["report_date"])
    first_row = claim.transactions.order_by("accounting_date").values_list("accounting_date", flat=True).first()
    if first_row is not None and new["report_date"] > first_row:
        raise DomainError(_("report date %(report_date)s would fall after the claim's first posting on %(first)s; "
                            "no claim row may be dated before the report date")
                          % {"report_date": new["report_date"], "first": first_row}, field="report_date")
    share = new["awarded_diyeh_share"]
    if share is not None and not ZERO <= to_decimal(share) <= Decimal(1):
        raise DomainError(_("awarded diyeh share %(share)s is outside 0–1") % {"share": share},
                          field="awarded_diyeh_share")
    old = {k: str(getattr(claim, k)) for k in changed}
    for k, v in changed.items():
        setattr(claim, k, v if k not in ("cause", "claimant") else (v or ""))
    claim.save()
    audit_record(actor=actor, verb=AuditVerb.CLAIM_UPDATE, target=claim, old=audit_redact(old),
                 new=audit_redact({k: str(getattr(claim, k)) for k in changed}))
    return claim


def _reserve_change_of(claim: Claim, cost_type: str, amount, new_estimate, booked: BookedLedger | None = None
                       ) -> tuple[Decimal, Decimal]:
    """(the estimate before, the signed change) of a reserve change given as `amount` or `new_estimate`."""
    if (amount is None) == (new_estimate is None):
        raise DomainError(_("give either the change (amount) or the new estimate, not both"), field="amount")
    state = booked.state(claim) if booked is not None else claim_ledger_state(claim)
    before = state.outstanding(cost_type)
    if new_estimate is not None:
        target = _money(new_estimate, claim, "new_estimate")
        if target < ZERO:
            raise DomainError(_("new estimate %(amount)s is negative") % {"amount": f"{target:,.2f}"},
                              field="new_estimate")
        change = target - before
    else:
        change = _money(amount, claim)
    if change == ZERO:
        raise DomainError(_("the %(cost_type)s estimate of claim %(number)s already is %(amount)s")
                          % {"cost_type": cost_type, "number": claim.claim_number, "amount": f"{before:,.2f}"},
                          field="new_estimate" if new_estimate is not None else "amount")
    return before, change


def _reserve_authority_amount(before: Decimal, change: Decimal) -> Decimal:
    """What a reserve change is measured on against the handler's reserve limit (D-36): an
    increase by the estimate it reaches, a decrease by its size."""
    return before + change if change > ZERO else -change


def _unlimited(actor) -> bool:
    return actor is None or is_system(actor) or getattr(actor, "is_superuser", False)


def _authority(actor, claim: Claim) -> HandlerAuthority | None:
    """The actor's authority in the claim's currency; None (not limited) for the system actor,
    superusers and users without a row for that currency. Read with the claim's lock when
    `_locked(claim, authority_of=actor)` brought it."""
    if _unlimited(actor):
        return None
    if hasattr(claim, "authority_found"):
        return claim.authority_found
    return handler_authority(actor, claim.policy.currency)


def _change_request(claim: Claim, *, kind: str, cost_type: str, amount: Decimal, new_estimate, needed: Decimal,
                    limit: Decimal, accounting_date: date, note: str, actor, booked: BookedLedger | None = None
                    ) -> PendingClaimChange:
    """Keep a change above the actor's authority as a pending change; the ledger is untouched.
    The row is checked against the rules now, so a change that could not be posted is refused
    at once rather than at approval."""
    period_ensure_open(accounting_date)
    note_check(claim, note)
    pending_row = [LedgerRow("(pending)", kind, accounting_date, cost_type, amount)]
    if booked is not None:
        booked.state(claim, pending_row)
    else:
        claim_ledger_state(claim, pending_row)
    pending = PendingClaimChange.objects.create(
        claim=claim, kind=kind, cost_type=cost_type, amount=amount,
        new_estimate=None if new_estimate is None else _money(new_estimate, claim, "new_estimate"),
        authority_amount=needed, accounting_date=accounting_date, note=note or "",
        requested_by=actor, requested_at=timezone.now(),
    )
    audit_record(actor=actor, verb=AuditVerb.CLAIM_CHANGE_REQUEST, target=pending,
                 new={"claim_number": claim.claim_number, "kind": kind, "cost_type": cost_type,
                      "amount": str(amount), "accounting_date": str(accounting_date),
                      "authority_amount": str(needed), "limit": str(limit), "status": pending.status})
    return pending


@transaction.atomic
def claim_reserve_change(
    *, claim: Claim, cost_type: str, accounting_date: date, amount=None, new_estimate=None,
    note: str = "", actor, recorded_at: datetime | None = None, transaction_id: str | None = None,
    authorized_as: Operation = Operation.CLAIM_RESERVE,
) -> ClaimTransaction | PendingClaimChange:
    """A signed change of the case estimate of one cost type, given as `amount` (the change)
    or `new_estimate` (the estimate it should become). `authorized_as` names the operation the
    actor must be allowed: a reserve change, or an operation that changes reserves as one of
    its steps (the actuary's diyeh revaluation).

    A reserve change (not a revaluation step) above the actor's reserve authority is not
    posted: it is returned as a PendingClaimChange waiting for approval (D-36)."""
    authorize(actor, authorized_as)
    limited = authorized_as == Operation.CLAIM_RESERVE
    claim = _locked(claim, authority_of=actor if limited else None)
    cost_type = _cost_type(cost_type)
    booked = claim_booked_ledger(claim)
    before, change = _reserve_change_of(claim, cost_type, amount, new_estimate, booked)
    authority = _authority(actor, claim) if limited else None
    needed = _reserve_authority_amount(before, change)
    if authority is not None and needed > authority.reserve_limit:
        return _change_request(claim, kind="reserve", cost_type=cost_type, amount=change, new_estimate=new_estimate,
                               needed=needed, limit=authority.reserve_limit, accounting_date=accounting_date,
                               note=note, actor=actor, booked=booked)
    [row] = _post(claim, [LedgerRow(transaction_id or _next_id(claim, booked), "reserve", accounting_date, cost_type,
                                    change)],
                  actor=actor, note=note, recorded_at=recorded_at, booked=booked, auto_id=not transaction_id)
    tid = row.transaction_id
    audit_record(actor=actor, verb=AuditVerb.CLAIM_RESERVE, target=claim,
                 old={"outstanding": str(before)},
                 new={"transaction_id": tid, "cost_type": cost_type, "change": str(change),
                      "outstanding": str(before + change)})
    return row


def _amount_posting(kind: str, *, claim, cost_type, amount, accounting_date, note, actor, recorded_at,
                    transaction_id) -> ClaimTransaction | PendingClaimChange:
    claim = _locked(claim, authority_of=actor if kind == "payment" else None)
    cost_type = _cost_type(cost_type)
    value = _money(amount, claim)
    authority = _authority(actor, claim) if kind == "payment" else None
    booked = claim_booked_ledger(claim)
    if authority is not None and value > authority.payment_limit:
        return _change_request(claim, kind="payment", cost_type=cost_type, amount=value, new_estimate=None,
                               needed=value, limit=authority.payment_limit, accounting_date=accounting_date,
                               note=note, actor=actor, booked=booked)
    [row] = _post(claim, [LedgerRow(transaction_id or _next_id(claim, booked), kind, accounting_date, cost_type, value)],
                  actor=actor, note=note, recorded_at=recorded_at, booked=booked, auto_id=not transaction_id)
    tid = row.transaction_id
    verb = {"payment": AuditVerb.CLAIM_PAYMENT, "recovery": AuditVerb.CLAIM_RECOVERY}[kind]
    audit_record(actor=actor, verb=verb, target=claim,
                 new={"transaction_id": tid, "cost_type": cost_type, "amount": str(value),
                      "accounting_date": str(accounting_date)})
    return row


@transaction.atomic(durable=True)
def claim_payment_post(*, claim: Claim, cost_type: str, amount, accounting_date: date, note: str = "",
                       actor, recorded_at: datetime | None = None, transaction_id: str | None = None
                       ) -> ClaimTransaction | PendingClaimChange:
    """A payment; it erodes the case estimate of its cost type and may not exceed it, nor the
    per-claim or remaining aggregate limit. Above the actor's payment authority it is returned
    as a PendingClaimChange waiting for approval instead (D-36)."""
    authorize(actor, Operation.CLAIM_PAYMENT)
    return _amount_posting("payment", claim=claim, cost_type=cost_type, amount=amount,
                           accounting_date=accounting_date, note=note, actor=actor, recorded_at=recorded_at,
                           transaction_id=transaction_id)


@transaction.atomic(durable=True)
def claim_recovery_post(*, claim: Claim, cost_type: str, amount, accounting_date: date, note: str = "",
                        actor, recorded_at: datetime | None = None, transaction_id: str | None = None
                        ) -> ClaimTransaction:
    """A recovery (subrogation, deductible recovered): reduces paid, never beyond it."""
    authorize(actor, Operation.CLAIM_RECOVERY)
    return _amount_posting("recovery", claim=claim, cost_type=cost_type, amount=amount,
                           accounting_date=accounting_date, note=note, actor=actor, recorded_at=recorded_at,
                           transaction_id=transaction_id)


def _close_rows(claim: Claim, state: rules.ClaimLedgerState, accounting_date: date) -> list[LedgerRow]:
    changes = state.close_changes()
    ids = _next_ids(claim, len(changes) + 1)
    rows = [LedgerRow(tid, "reserve", accounting_date, c, v, derived=True) for tid, (c, v) in zip(ids, changes.items())]
    return rows + [LedgerRow(ids[-1], "close", accounting_date)]


@transaction.atomic(durable=True)
def claim_close(*, claim: Claim, accounting_date: date, note: str = "", actor,
                recorded_at: datetime | None = None) -> list[ClaimTransaction]:
    """Derived reserve rows taking each outstanding estimate to zero, then the close row."""
    authorize(actor, Operation.CLAIM_CLOSE)
    claim = _locked(claim)
    state = claim_ledger_state(claim)
    if state.status == Claim.Status.CLOSED:
        raise DomainError(_("claim %(number)s is already closed") % {"number": claim.claim_number}, field="status")
    released = {c: str(-v) for c, v in state.close_changes().items()}
    written = _post(claim, _close_rows(claim, state, accounting_date), actor=actor, note=note, recorded_at=recorded_at)
    audit_record(actor=actor, verb=AuditVerb.CLAIM_CLOSE, target=claim, old={"status": "open"},
                 new={"status": "closed", "released": released, "accounting_date": str(accounting_date)})
    return written


@transaction.atomic(durable=True)
def claim_reopen(*, claim: Claim, accounting_date: date, note: str = "", actor,
                 recorded_at: datetime | None = None) -> ClaimTransaction:
    authorize(actor, Operation.CLAIM_REOPEN)
    claim = _locked(claim)
    [row] = _post(claim, [LedgerRow(_next_ids(claim, 1)[0], "reopen", accounting_date)], actor=actor, note=note,
                  recorded_at=recorded_at)
    audit_record(actor=actor, verb=AuditVerb.CLAIM_REOPEN, target=claim, old={"status": "closed"},
                 new={"status": "open", "accounting_date": str(accounting_date)})
    return row


@transaction.atomic(durable=True)
def claim_transaction_reverse(*, transaction: ClaimTransaction, accounting_date: date, note: str = "",
                              actor, recorded_at: datetime | None = None,
                              transaction_id: str | None = None) -> ClaimTransaction:
    """A row carrying the negated amount of `transaction`; a row is reversed at most once, and
    closes, reopens and their derived reserve changes are never reversed (reopen instead)."""
    authorize(actor, Operation.CLAIM_REVERSE)
    original = ClaimTransaction.objects.get(pk=transaction.pk)
    claim = _locked(original.claim)
    if accounting_date < original.accounting_date:
        raise rules.ReversalRefused(
            _("reversal dated %(date)s is before the row it reverses (%(original)s)")
            % {"date": accounting_date, "original": original.accounting_date},
            field="accounting_date",
        )
    amount = None if original.amount is None else -original.amount
    tid = transaction_id or _next_ids(claim, 1)[0]
    row = LedgerRow(tid, "reversal", accounting_date, original.cost_type, amount, reverses=original.transaction_id)
    [written] = _post(claim, [row], actor=actor, note=note, recorded_at=recorded_at)
    audit_record(actor=actor, verb=AuditVerb.CLAIM_REVERSE, target=claim,
                 new={"transaction_id": tid, "reverses": original.transaction_id, "kind": original.kind,
                      "amount": None if amount is None else str(amount)})
    return written


@dataclass(frozen=True)
class Settlement:
    """share: the insurer's share of the whole agreed loss; paid_before: indemnity already paid
    on the claim; to_pay: what this settlement paid, max(share − paid_before, 0) (D-5)."""

    share: Decimal
    paid_before: Decimal
    to_pay: Decimal
    rows: list[ClaimTransaction]


@transaction.atomic(durable=True)
def claim_settle(*, claim: Claim, loss_amount, accounting_date: date, expense_amount=None, note: str = "",
                 actor, recorded_at: datetime | None = None) -> Settlement:
    """Pay the insurer's share of the agreed loss, less the indemnity already paid, and close.

    `loss_amount` is the whole loss as agreed or awarded (D-5): share = min(max(loss −
    deductible, 0), per-claim limit, aggregate limit − the policy's other claims' usage);
    to_pay = max(share − indemnity already paid on this claim, 0) (recoveries do not reduce
    what was paid). The indemnity reserve is raised first if the outstanding is below to_pay.
    An optional `expense_amount` is paid the same way (reserve raised if needed), then the
    claim closes and any remaining estimate is released.
    """
    authorize(actor, Operation.CLAIM_SETTLE)
    claim = _locked(claim)
    loss = _money(loss_amount, claim, "loss_amount")
    state = claim_ledger_state(claim)
    if state.status == Claim.Status.CLOSED:
        raise DomainError(_("claim %(number)s is closed; reopen it before settling") % {"number": claim.claim_number},
                          field="status")
    figures = settlement_share(claim, loss, state)
    payments = {CostType.INDEMNITY: figures.to_pay}
    if expense_amount not in (None, ""):
        payments[CostType.EXPENSE] = _money(expense_amount, claim, "expense_amount")
    authority = _authority(actor, claim)
    over = [(c, paid) for c, paid in payments.items() if authority is not None and paid > authority.payment_limit]
    if over:
        cost_type, paid = over[0]
        raise PermissionDenied(
            _("the settlement pays %(amount)s of %(cost_type)s, above the payment authority of %(user)s "
              "(%(limit)s %(currency)s); post the payment for approval or ask a handler whose authority "
              "covers it to settle")
            % {"amount": f"{paid:,.2f}", "cost_type": cost_type, "user": actor.get_username(),
               "limit": f"{authority.payment_limit:,.2f}", "currency": claim.policy.currency})
    new_rows: list[LedgerRow] = []
    ids = iter(_next_ids(claim, 2 * len(payments) + 3))
    for cost_type, paid in payments.items():
        if paid <= ZERO:
            continue
        shortfall = paid - state.outstanding(cost_type)
        if shortfall > ZERO:
            new_rows.append(LedgerRow(next(ids), "reserve", accounting_date, cost_type, shortfall))
            state.apply(new_rows[-1])
        new_rows.append(LedgerRow(next(ids), "payment", accounting_date, cost_type, paid))
        state.apply(new_rows[-1])
    for c, v in state.close_changes().items():
        new_rows.append(LedgerRow(next(ids), "reserve", accounting_date, c, v, derived=True))
    new_rows.append(LedgerRow(next(ids), "close", accounting_date))
    written = _post(claim, new_rows, actor=actor, note=note or "settlement", recorded_at=recorded_at)
    audit_record(actor=actor, verb=AuditVerb.CLAIM_SETTLE, target=claim, old={"status": "open"},
                 new={"loss": str(loss), "share": str(figures.share), "paid_before": str(figures.paid_before),
                      "to_pay": str(figures.to_pay),
                      "expense": str(payments.get(CostType.EXPENSE, ZERO)), "status": "closed",
                      "transactions": [r.transaction_id for r in written]})
    return Settlement(share=figures.share, paid_before=figures.paid_before, to_pay=figures.to_pay, rows=written)


@transaction.atomic(durable=True)
def claim_change_decide(*, pending: PendingClaimChange, approve: bool, actor, note: str = "") -> PendingClaimChange:
    """Approve or reject a pending reserve change or payment (D-36). The decider is not its
    requester (superusers included) and, when they have an authority row in the claim's
    currency, their limit covers the change (as it would be posted now for an approval, as
    requested for a rejection). Approval posts the
    ledger row through the same checks as a direct posting, recorded now (the approval time)
    and by the decider; rejection posts nothing."""
    authorize(actor, Operation.CLAIM_CHANGE_DECIDE)
    claim = _locked(PendingClaimChange.objects.select_related("claim").get(pk=pending.pk).claim)
    pending = PendingClaimChange.objects.select_for_update().get(pk=pending.pk)
    if pending.status != PendingClaimChange.Status.PENDING:
        raise DomainError(_("change #%(change)s is already %(status)s")
                          % {"change": pending.pk, "status": pending.status}, field="status", code="decided")
    if getattr(actor, "pk", None) == pending.requested_by_id:
        raise PermissionDenied(_("%(user)s requested change #%(change)s and may not decide it; "
                                 "another handler whose authority covers it must")
                               % {"user": actor.get_username(), "change": pending.pk})
    note_check(claim, note)
    before, change, needed = None, pending.amount, pending.authority_amount  # a rejection: as requested
    if approve and pending.kind == PendingClaimChange.Kind.RESERVE:  # an approval: as it would be posted now
        if pending.new_estimate is not None:
            before, change = _reserve_change_of(claim, pending.cost_type, None, pending.new_estimate)
        else:
            before = claim_ledger_state(claim).outstanding(pending.cost_type)
        needed = _reserve_authority_amount(before, change)
    authority = _authority(actor, claim)
    limit = None if authority is None else (
        authority.reserve_limit if pending.kind == PendingClaimChange.Kind.RESERVE else authority.payment_limit)
    if limit is not None and needed > limit:
        raise PermissionDenied(
            _("change #%(change)s needs a %(kind)s authority of %(amount)s %(currency)s; %(user)s has %(limit)s")
            % {"change": pending.pk, "kind": pending.kind, "amount": f"{needed:,.2f}",
               "currency": claim.policy.currency, "user": actor.get_username(), "limit": f"{limit:,.2f}"})
    now = timezone.now()
    new = {"claim_number": claim.claim_number, "kind": pending.kind, "cost_type": pending.cost_type,
           "requested_by": pending.requested_by.get_username(), "note": note or ""}
    if approve:
        [row] = _post(claim, [LedgerRow(_next_ids(claim, 1)[0], pending.kind, pending.accounting_date,
                                        pending.cost_type, change)],
                      actor=actor, note=pending.note, recorded_at=now)
        pending.posted = row
        new.update(transaction_id=row.transaction_id, amount=str(change), accounting_date=str(pending.accounting_date))
        if before is not None:
            new["outstanding"] = str(before + change)
    pending.status = PendingClaimChange.Status.APPROVED if approve else PendingClaimChange.Status.REJECTED
    pending.decided_by = actor if getattr(actor, "pk", None) else None
    pending.decided_at = now
    pending.decision_note = (note or "")[:500]
    pending.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "posted"])
    new["status"] = pending.status
    audit_record(actor=actor, verb=AuditVerb.CLAIM_CHANGE_DECIDE, target=pending,
                 old={"status": PendingClaimChange.Status.PENDING}, new=new)
    return pending


@transaction.atomic(durable=True)
def handler_authority_set(*, user, currency: str, reserve_limit, payment_limit, actor) -> HandlerAuthority:
    """Set (create or change) a handler's reserve and payment authority in one currency (D-36).
    Nobody sets their own."""
    authorize(actor, Operation.AUTHORITY_SET)
    if user is None or not getattr(user, "pk", None):
        raise DomainError(_("choose the handler"), field="user")
    if not is_system(actor) and getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(_("%(user)s may not set their own authority") % {"user": actor.get_username()})
    currency = (currency or "").strip().upper()
    limits = {}
    for name, value in (("reserve_limit", reserve_limit), ("payment_limit", payment_limit)):
        if value is None or value == "":
            raise DomainError(_("%(field)s is required") % {"field": _field_label(name)}, field=name)
        try:
            limits[name] = money_round(value, currency)
        except CurrencyError as exc:
            raise DomainError(str(exc), field="currency") from exc
        except ArithmeticError as exc:
            raise DomainError(_("%(field)s %(value)s is not an amount")
                              % {"field": _field_label(name), "value": repr(value)}, field=name) from exc
        if limits[name] < ZERO:
            raise DomainError(_("%(field)s may not be negative") % {"field": _field_label(name)}, field=name)
    row = HandlerAuthority.objects.select_for_update().filter(user=user, currency=currency).first()
    old = {} if row is None else {"reserve_limit": str(row.reserve_limit), "payment_limit": str(row.payment_limit)}
    if row is None:
        row = HandlerAuthority.objects.create(user=user, currency=currency, **limits)
    else:
        for name, value in limits.items():
            setattr(row, name, value)
        row.save()
    audit_record(actor=actor, verb=AuditVerb.AUTHORITY_SET, target=row, old=old,
                 new={"user": user.get_username(), "currency": currency,
                      **{name: str(value) for name, value in limits.items()}})
    return row
