"""Reserve-run lifecycle: create, check, compute (split per segment × currency on Celery),
submit, approve or reject, rerun, selections, regimes, and closing a period.

status: draft → computing → computed | failed (retryable) → submitted → approved | rejected.
Each transition is one transaction with a RunEvent row and a core audit row; tasks are enqueued
with transaction.on_commit. An approved run is immutable: every service here refuses to change it.
"""
from __future__ import annotations

import threading
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from claims.privacy import retention_schedule_install
from core.errors import DomainError, PermissionDenied
from core.models import AuditVerb, ReportingPeriod
from core.periods import Quarter, is_quarter_end
from core.roles import Operation, Role, authorize, system_actor
from core.services import audit_record, period_mark_closed
from reserving import checks as data_checks_module
from reserving import compute, selectors
from reserving.engine import EngineError
from reserving.engine.reserve import Selection
from reserving.models import (AprioriLossRatio, Regime, ReserveRun, RunDataCheck, RunEvent, RunOriginResult,
                              RunSegmentInput, RunSegmentResult)
from reserving.tasks import compute_segment_task

S = ReserveRun.Status
def _require_independent(run: ReserveRun, actor, what: str) -> None:
    if getattr(actor, "pk", None) in selectors.run_preparers(run=run):
        raise PermissionDenied(f"{actor.get_username()} is a preparer of run {run.pk} (created, computed, selected on "
                               f"or submitted it) and cannot {what} it; another approver must")


def _event(run: ReserveRun, *, actor, verb: AuditVerb, from_status: str, note: str = "",
           old: dict | None = None, new: dict | None = None) -> None:
    """The run's own history row and the audit row, written together: one trail, two views.
    RunEvent keeps the short verb ("approve"); the audit row the enumerated one ("run.approve")."""
    verb = AuditVerb(verb)
    RunEvent.objects.create(run=run, actor=actor if getattr(actor, "pk", None) else None,
                            verb=verb.value.removeprefix("run."), from_status=from_status, to_status=run.status,
                            note=note)
    audit_record(actor=actor, verb=verb, target=run, old={"status": from_status, **(old or {})},
                 new={"status": run.status, **({"note": note} if note else {}), **(new or {})})


def _locked(run: ReserveRun) -> ReserveRun:
    return ReserveRun.objects.select_for_update().get(pk=run.pk)


def _refuse_if_immutable(run: ReserveRun) -> None:
    if run.status == S.APPROVED:
        raise DomainError(f"run {run.pk} is approved and cannot be changed; rerun it instead", field="status",
                          code="immutable")


def _require_status(run: ReserveRun, allowed: tuple, what: str) -> None:
    _refuse_if_immutable(run)
    if run.status not in allowed:
        raise DomainError(f"cannot {what} run {run.pk} in status {run.status} (needs {' or '.join(allowed)})",
                          field="status", code="bad_status")


def _key(segment: str, currency: str) -> str:
    return f"{segment}|{currency}"


# --------------------------------------------------------------------------- regimes
def regime_parameters_check(parameters: dict) -> dict:
    """Validate a parameter set with the engine's own spec (reserving.engine.rules): unknown
    keys, wrong types, values outside their choices are refused; "_" keys are free notes."""
    from reserving.engine import rules as engine_rules
    from reserving.engine.errors import EngineError

    if not isinstance(parameters, dict):
        raise DomainError("parameters must be a JSON object", field="parameters")
    try:
        engine_rules.parameters_check(parameters)
    except EngineError as exc:
        raise DomainError(exc.message, field="parameters") from exc
    return parameters


def regimes_ensure_seeded() -> None:
    """Create the engine's versions of the starting regimes if they are missing (the data
    migrations seed them; a flushed database — transactional tests, a bare install — gets them
    back here)."""
    from reserving.engine.rules import REGIME_VERSIONS  # the one copy of the defaults

    for code, versions in REGIME_VERSIONS.items():
        if not Regime.objects.filter(code=code).exists():
            for r in versions:
                Regime.objects.get_or_create(code=code, version=r.version, defaults={
                    "effective_from": r.effective_from, "name": r.name, "description": r.description,
                    "parameters": dict(r.parameters)})


def regime_effective(*, code: str, valuation_date: date) -> Regime:
    if not Regime.objects.filter(code=code).exists():
        regimes_ensure_seeded()
    regime = (Regime.objects.filter(code=code, effective_from__lte=valuation_date)
              .order_by("-effective_from", "-version").first())
    if regime is None:
        raise DomainError(f"no regime {code!r} in effect on {valuation_date}", field="regime")
    return regime


@transaction.atomic(durable=True)
def regime_version_create(*, code: str, effective_from: date, parameters: dict, actor, name: str = "",
                          description: str = "") -> Regime:
    """A new version of a regime; earlier versions stay as they were (runs point at them)."""
    authorize(actor, Operation.REGIME_VERSION_CREATE)
    regime_parameters_check(parameters)
    last = Regime.objects.filter(code=code).order_by("-version").first()
    regime = Regime.objects.create(code=code, version=(last.version + 1) if last else 1, effective_from=effective_from,
                                   parameters=parameters, name=name or (last.name if last else code),
                                   description=description)
    audit_record(actor=actor, verb=AuditVerb.REGIME_VERSION_CREATE, target=regime, new={"parameters": parameters})
    return regime


# --------------------------------------------------------------------------- a-priori loss ratios
@transaction.atomic
def apriori_loss_ratio_save(*, segment: str, currency: str, underwriting_year: int, loss_ratio, source: str,
                            actor, note: str = "") -> AprioriLossRatio:
    """Record (or revise) the a-priori loss ratio of a segment, currency and underwriting year;
    history keeps the earlier value for runs cut off before the change."""
    from decimal import Decimal, InvalidOperation

    from core.money import CurrencyError, currency_check

    authorize(actor, Operation.APRIORI_SAVE)
    segment = (segment or "").strip()
    if not segment:
        raise DomainError("the a-priori loss ratio needs a segment", field="segment")
    try:
        currency = currency_check(currency)
    except CurrencyError as exc:
        raise DomainError(str(exc), field="currency") from exc
    try:
        year = int(underwriting_year)
    except (TypeError, ValueError):
        raise DomainError(f"underwriting year {underwriting_year!r} is not a year", field="underwriting_year") from None
    if not 1900 <= year <= 2200:
        raise DomainError(f"underwriting year {year} is not plausible", field="underwriting_year")
    try:
        ratio = Decimal(str(loss_ratio)).quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        raise DomainError(f"loss ratio {loss_ratio!r} is not a number", field="loss_ratio") from None
    if not ratio.is_finite() or ratio <= 0 or ratio > 5:
        raise DomainError(f"an a-priori loss ratio must be above 0 and at most 5 (500%); got {loss_ratio}",
                          field="loss_ratio")
    if source not in AprioriLossRatio.Source.values:
        raise DomainError(f"source must be one of {', '.join(AprioriLossRatio.Source.values)}", field="source")
    row = AprioriLossRatio.objects.select_for_update().filter(segment=segment, currency=currency,
                                                             underwriting_year=year).first()
    old = {} if row is None else {"loss_ratio": str(row.loss_ratio), "source": row.source, "note": row.note}
    if row is None:
        row = AprioriLossRatio(segment=segment, currency=currency, underwriting_year=year)
    row.loss_ratio, row.source, row.note = ratio, source, (note or "").strip()[:300]
    row.entered_by = actor if getattr(actor, "pk", None) else None
    row.save()
    audit_record(actor=actor, verb=AuditVerb.APRIORI_SAVE, target=row, old=old,
                 new={"loss_ratio": str(ratio), "source": source, "note": row.note})
    return row


@transaction.atomic
def apriori_loss_ratios_save(*, segment: str, currency: str, rows, actor) -> list[AprioriLossRatio]:
    """Record several underwriting years' a-priori loss ratios at once (the workbench's form): all
    or none. `rows` holds dicts of underwriting_year, loss_ratio, source and note; each year is
    saved (and audited) as `apriori_loss_ratio_save` does, one audit row per year. A refusal names
    the year and the field as `<field>_<year>`, so the form marks that row."""
    authorize(actor, Operation.APRIORI_SAVE)  # refused before anything, even with no row changed
    saved = []
    for row in rows:
        year = row.get("underwriting_year")
        try:
            saved.append(apriori_loss_ratio_save(
                segment=segment, currency=currency, underwriting_year=year, loss_ratio=row.get("loss_ratio"),
                source=row.get("source"), note=row.get("note") or "", actor=actor))
        except PermissionDenied:
            raise
        except DomainError as exc:
            raise DomainError(f"underwriting year {year}: {exc.message}", field=f"{exc.field}_{year}",
                              code=exc.code) from exc
    return saved


# --------------------------------------------------------------------------- create
def _check_selection(selection: dict) -> dict:
    """A selection as the engine reads it (engine.reserve.Selection.parse), with the runs'
    `pattern_from` spelling; anything that cannot run is refused naming the field."""
    if not isinstance(selection, dict):
        raise DomainError("a selection must be a JSON object", field="selection")
    try:
        Selection.parse(selection)
    except EngineError as exc:
        raise DomainError(exc.message, field=exc.field or "selection") from None
    return selection


@transaction.atomic
def run_create(*, valuation_date: date, regime: str = "ru", cut_off: datetime | None = None,
               parameters: dict | None = None, selections: dict | None = None, actor,
               rerun_of: ReserveRun | None = None, regime_version: int | None = None) -> ReserveRun:
    """A draft run as at the end of `valuation_date` (a quarter end), seeing what was recorded
    by `cut_off` (default: now)."""
    authorize(actor, Operation.RUN_CREATE)
    if not is_quarter_end(valuation_date):
        raise DomainError(f"{valuation_date} is not a quarter end", field="valuation_date")
    if regime_version is not None:
        reg = Regime.objects.filter(code=regime, version=regime_version).first()
        if reg is None:
            raise DomainError(f"no regime {regime} version {regime_version}", field="regime")
    else:
        reg = regime_effective(code=regime, valuation_date=valuation_date)
    regime_parameters_check(parameters or {})
    for sel in (selections or {}).values():
        _check_selection(sel)
    now = timezone.now()
    cut = cut_off or now
    if cut > now:
        raise DomainError("the cut-off cannot be in the future", field="cut_off")
    run = ReserveRun.objects.create(
        valuation_date=valuation_date, regime=reg, regime_code=reg.code, regime_version=reg.version, cut_off=cut,
        parameters=parameters or {}, selections=selections or {}, engine_version=compute.engine_version(),
        preparer=actor if getattr(actor, "pk", None) else None, rerun_of=rerun_of)
    _event(run, actor=actor, verb=AuditVerb.RUN_CREATE, from_status="", note=f"rerun of {rerun_of.pk}" if rerun_of else "")
    return run


def run_parameters(run: ReserveRun) -> dict:
    return compute.effective_parameters(run.regime.parameters, run.parameters)


# --------------------------------------------------------------------------- checks
@transaction.atomic(durable=True)
def run_checks(*, run: ReserveRun, actor, inputs: dict | None = None) -> list[RunDataCheck]:
    """Run the data checks and store them on the run. A warning acknowledged before keeps its
    acknowledgement when the same check finds the same rows again."""
    authorize(actor, Operation.RUN_COMPUTE)
    run = _locked(run)
    _require_status(run, (S.DRAFT, S.COMPUTED, S.FAILED, S.REJECTED), "check")
    scope = selectors.Scope(valuation_date=run.valuation_date, cut_off=run.cut_off)
    found = data_checks_module.data_checks(scope)
    params = run_parameters(run)
    previous = selectors.run_last_approved(regime_code=run.regime_code, before=run.valuation_date, exclude_id=run.pk)
    if previous is not None and inputs is not None:
        prev = {(r.segment, r.currency): {"upr": r.upr, "rbns": r.rbns} for r in previous.segment_results.all()}
        cur = {k: {"upr": i.upr, "rbns": i.rbns} for k, i in inputs.items()}
        moved = data_checks_module.check_large_movements(current=cur, previous=prev, previous_run_id=previous.pk,
                                                         threshold=float(params["large_movement_threshold"]))
        if moved:
            found.append(moved)
    if inputs is not None:
        grains = compute.grain_decisions(inputs=inputs, params=params, regime_code=run.regime_code,
                                         selections=run.selections, valuation_date=run.valuation_date)
        annual = [g for g in grains if g["grain"] != "OQDQ"]
        if grains:
            found.append(data_checks_module.CheckResult(
                RunDataCheck.Severity.NOTE, "origin_grain",
                f"{len(annual)} of {len(grains)} segments reserved on annual origins (fewer than "
                f"{params['min_claims_per_origin_quarter']} reported claims per origin quarter)"
                if params["grain"] == "auto" else f"grain {params['grain']} for every segment (regime)",
                grains, len(grains)))
    acked = {(c.code, c.row_count, str(c.rows)): c for c in run.data_checks.filter(acknowledged_at__isnull=False)}
    run.data_checks.all().delete()
    stored = []
    for f in found:
        old = acked.get((f.code, f.row_count, str(f.rows)))
        stored.append(RunDataCheck.objects.create(
            run=run, severity=f.severity, code=f.code, message=f.message[:500], rows=f.rows, row_count=f.row_count,
            acknowledged_by=old.acknowledged_by if old else None, acknowledged_at=old.acknowledged_at if old else None))
    _event(run, actor=actor, verb=AuditVerb.RUN_CHECK, from_status=run.status,
           note=", ".join(f"{c.severity}:{c.code}({c.row_count})" for c in stored) or "no findings")
    return stored


@transaction.atomic(durable=True)
def run_check_acknowledge(*, check: RunDataCheck, actor) -> RunDataCheck:
    authorize(actor, Operation.RUN_ACKNOWLEDGE)
    run = _locked(check.run)
    _require_status(run, (S.DRAFT, S.COMPUTING, S.COMPUTED, S.FAILED, S.REJECTED), "acknowledge checks of")
    if check.severity == RunDataCheck.Severity.ERROR:
        raise DomainError("errors cannot be acknowledged; correct the data", field="severity")
    check.acknowledged_by, check.acknowledged_at = actor, timezone.now()
    check.save(update_fields=["acknowledged_by", "acknowledged_at"])
    _event(run, actor=actor, verb=AuditVerb.RUN_ACKNOWLEDGE, from_status=run.status, note=check.code)
    return check


# --------------------------------------------------------------------------- compute
def _dispatch(run_id: int, keys: list[tuple[str, str]]) -> None:
    """Send each segment to the workers. Without a broker (eager Celery) the segments compute in
    this process; the development server of `make demo` (RUN_SEGMENTS_IN_THREAD) computes them in
    a thread of its own, so "compute" returns at once and the run page shows the progress as it
    would with workers, instead of holding the browser until the last segment."""
    if getattr(settings, "RUN_SEGMENTS_IN_THREAD", False) and compute_segment_task.app.conf.task_always_eager:
        threading.Thread(target=_send_in_thread, args=(run_id, list(keys)), daemon=True,
                         name=f"run-{run_id}-segments").start()
        return
    _send(run_id, keys)


def _send(run_id: int, keys: list[tuple[str, str]]) -> None:
    for segment, currency in keys:
        compute_segment_task.delay(run_id, segment, currency)


def _send_in_thread(run_id: int, keys: list[tuple[str, str]]) -> None:
    from django.db import connection

    try:
        _send(run_id, keys)
    finally:
        connection.close()  # the thread's own connection


def run_compute(*, run: ReserveRun, actor) -> ReserveRun:
    """Check the data (stored on the run, committed even when they block), then fingerprint the
    inputs and hand each segment × currency to a Celery task. Errors in the checks refuse."""
    authorize(actor, Operation.RUN_COMPUTE)
    run = ReserveRun.objects.get(pk=run.pk)
    _require_status(run, (S.DRAFT, S.COMPUTED, S.FAILED, S.REJECTED), "compute")
    params = run_parameters(run)
    # the as-at master data built once for the inputs and the data checks: their own
    # as_of_views find these tables open and reuse them (issue 15 §1)
    with selectors.as_of_views(selectors.Scope(valuation_date=run.valuation_date, cut_off=run.cut_off)):
        inputs = compute.collect_inputs(valuation_date=run.valuation_date, cut_off=run.cut_off, params=params)
        stored = run_checks(run=run, actor=actor, inputs=inputs)
    errors = [c for c in stored if c.severity == RunDataCheck.Severity.ERROR]
    if errors:
        raise DomainError("data checks found errors: " + "; ".join(c.message for c in errors), field="data_checks",
                          code="data_errors")
    fp = compute.fingerprint(inputs=inputs, valuation_date=run.valuation_date, cut_off=run.cut_off,
                             regime_code=run.regime_code, regime_version=run.regime_version, parameters=params,
                             selections=run.selections)
    with transaction.atomic():
        run = _locked(run)
        _require_status(run, (S.DRAFT, S.COMPUTED, S.FAILED, S.REJECTED), "compute")
        before = run.status
        run.segment_results.all().delete()
        # the inputs are read once for every segment: each task computes from its stored slice
        run.segment_inputs.all().delete()
        RunSegmentInput.objects.bulk_create([
            RunSegmentInput(run=run, segment=k[0], currency=k[1], inputs=inputs[k].canonical(),
                            earned_gross={q: f"{v:.2f}" for q, v in sorted(inputs[k].earned_gross.items())})
            for k in sorted(inputs)])
        run.status, run.input_fingerprint, run.error = S.COMPUTING, fp, ""
        run.segments_total, run.segments_done = len(inputs), 0
        run.engine_version = compute.engine_version()
        run.compute_started_at, run.computed_at, run.identical = timezone.now(), None, None
        if run.preparer_id is None and getattr(actor, "pk", None):
            run.preparer = actor
        run.save()
        _event(run, actor=actor, verb=AuditVerb.RUN_COMPUTE, from_status=before, note=f"{len(inputs)} segments, fingerprint {fp[:12]}")
        keys = sorted(inputs)
        if not keys:
            _finish_if_done(run)
        else:
            # robust: with eager Celery a failing segment is recorded on the run (failed, retryable), not raised here
            transaction.on_commit(lambda: _dispatch(run.pk, keys), robust=True)
    return ReserveRun.objects.get(pk=run.pk)


def run_retry(*, run: ReserveRun, actor) -> ReserveRun:
    """Dispatch the segments that have no result yet (after a failure or a lost worker); segments
    already stored are not computed again, and a duplicate would only overwrite its own row."""
    authorize(actor, Operation.RUN_RETRY)
    with transaction.atomic():
        run = _locked(run)
        _require_status(run, (S.COMPUTING, S.FAILED), "retry")
        keys = set(run.segment_inputs.values_list("segment", "currency"))
        if not keys:  # a run computed before its inputs were stored
            keys = set(compute.collect_inputs(valuation_date=run.valuation_date, cut_off=run.cut_off,
                                              params=run_parameters(run)))
        done = set(run.segment_results.values_list("segment", "currency"))
        missing = [k for k in sorted(keys) if k not in done]
        before = run.status
        run.status, run.error = S.COMPUTING, ""
        run.save(update_fields=["status", "error"])
        _event(run, actor=actor, verb=AuditVerb.RUN_RETRY, from_status=before, note=f"{len(missing)} segments re-dispatched")
        transaction.on_commit(lambda: _dispatch(run.pk, missing), robust=True)
    return ReserveRun.objects.get(pk=run.pk)


def run_segment_compute(*, run_id: int, segment: str, currency: str) -> str:
    """The body of one segment task: compute in memory, then write the results in ONE
    transaction keyed by (run, segment, currency) — a killed task leaves nothing, a duplicate
    overwrites the same row."""
    run = ReserveRun.objects.select_related("regime").get(pk=run_id)
    if run.status != S.COMPUTING:
        return f"skipped: run {run_id} is {run.status}"
    params = run_parameters(run)
    try:
        # workers on several hosts must run the code the run began with: one on older or newer
        # code would store results the run's version does not describe
        here = compute.engine_version()
        if run.engine_version and run.engine_version != here:
            raise DomainError(f"this worker runs engine version {here[:12]}, the run was begun on "
                              f"{run.engine_version[:12]}: deploy the same code on every worker and retry")
        selection = run.selections.get(_key(segment, currency), {})
        inputs, stored = _segment_inputs(run, segment, currency, selection, params)
        if inputs is None:
            raise DomainError(f"segment {segment} {currency} has no data in this run's scope")
        borrowed = compute.borrowed_incurred(selection=selection, valuation_date=run.valuation_date,
                                             cut_off=run.cut_off, params=params, currency=currency, run_inputs=stored)
        outcome = compute.segment_outcome(inputs=inputs, params=params, selection=selection,
                                          valuation_date=run.valuation_date, borrowed_incurred=borrowed,
                                          seed=int(params["bootstrap_seed"]), regime_code=run.regime_code)
    except (OperationalError, InterfaceError):
        raise  # the database failed, not the computation: the task retries itself (reserving.tasks)
    except Exception as exc:  # noqa: BLE001 - any failure of the computation fails the run, retryable
        run_fail(run_id=run_id, error=f"{segment} {currency}: {type(exc).__name__}: {exc}")
        raise
    _segment_store(run_id=run_id, outcome=outcome)
    return f"{segment} {currency} stored"


def run_inputs(*, run: ReserveRun, key: tuple[str, str] | None = None) -> dict:
    """The inputs the run stored when it began computing, by (segment, currency) (only `key`'s
    when given); {} for a run computed before inputs were stored."""
    rows = run.segment_inputs.all() if key is None else run.segment_inputs.filter(segment=key[0], currency=key[1])
    return {(r.segment, r.currency): compute.inputs_from_canonical(r.inputs) for r in rows}


def _segment_inputs(run: ReserveRun, segment: str, currency: str, selection: dict, params: dict):
    """(the segment's inputs, the stored slices a borrowed pattern may read): from what the run
    stored when it began computing (all segments' only when the selection borrows a pattern),
    else — a run computed before inputs were stored, or never computed — collected now, with
    None for the stored slices."""
    stored = run_inputs(run=run) if selection.get("pattern_from") else run_inputs(run=run, key=(segment, currency))
    if (segment, currency) in stored:
        return stored[(segment, currency)], stored
    fresh = compute.collect_inputs(valuation_date=run.valuation_date, cut_off=run.cut_off, params=params,
                                   segment=segment, currency=currency).get((segment, currency))
    return fresh, None


@transaction.atomic(durable=True)
def _segment_store(*, run_id: int, outcome: compute.SegmentOutcome) -> None:
    run = ReserveRun.objects.select_for_update().get(pk=run_id)
    if run.status != S.COMPUTING:
        return
    fields = {k: getattr(outcome, k) for k in ("upr", "rbns", "ibnr", "ulae", "premium_deficiency", "ibnr_method",
                                               "earned_premium", "paid", "case", "triangles", "factors",
                                               "selections", "bootstrap", "provenance",
                                               "ceded_upr", "ceded_rbns", "ceded_ibnr", "ceded_ulae",
                                               "ceded_premium_deficiency", "cession")}
    result, _ = RunSegmentResult.objects.update_or_create(run=run, segment=outcome.segment, currency=outcome.currency,
                                                          defaults=fields)
    result.origins.all().delete()
    RunOriginResult.objects.bulk_create([
        RunOriginResult(segment_result=result, origin=o.origin, paid=o.paid, case=o.case, ultimate=o.ultimate,
                        ibnr=o.ibnr, mack_se=o.mack_se, method=o.method, ultimates=o.ultimates, maturity=o.maturity,
                        apriori=o.apriori, flags=o.flags) for o in outcome.origins])
    _finish_if_done(run)


def _finish_if_done(run: ReserveRun) -> None:
    """Progress is counted, never incremented, so a duplicated task cannot overcount."""
    run.segments_done = run.segment_results.count()
    fields = ["segments_done"]
    if run.segments_done >= run.segments_total and run.status == S.COMPUTING:
        run.status, run.computed_at = S.COMPUTED, timezone.now()
        fields += ["status", "computed_at"]
        if run.rerun_of_id:
            original = ReserveRun.objects.get(pk=run.rerun_of_id)
            run.save(update_fields=fields)
            run.identical = (original.input_fingerprint == run.input_fingerprint
                             and selectors.run_amounts(run=original) == selectors.run_amounts(run=run))
            fields.append("identical")
        run.save(update_fields=fields)
        _event(run, actor=system_actor(), verb=AuditVerb.RUN_COMPUTED, from_status=S.COMPUTING,
               note="" if run.identical is None else f"identical to run {run.rerun_of_id}: {run.identical}")
    else:
        run.save(update_fields=fields)


@transaction.atomic(durable=True)
def run_fail(*, run_id: int, error: str) -> None:
    run = ReserveRun.objects.select_for_update().get(pk=run_id)
    if run.status != S.COMPUTING:
        return
    run.status, run.error = S.FAILED, error[:4000]
    run.save(update_fields=["status", "error"])
    _event(run, actor=system_actor(), verb=AuditVerb.RUN_FAIL, from_status=S.COMPUTING, note=error[:500])


# --------------------------------------------------------------------------- review
@transaction.atomic(durable=True)
def run_submit(*, run: ReserveRun, actor) -> ReserveRun:
    authorize(actor, Operation.RUN_SUBMIT)
    run = _locked(run)
    _require_status(run, (S.COMPUTED,), "submit")
    open_warnings = selectors.run_open_warnings(run=run)
    if open_warnings.exists():
        codes = ", ".join(sorted(set(open_warnings.values_list("code", flat=True))))
        raise DomainError(f"acknowledge the data-check warnings first: {codes}", field="data_checks",
                          code="unacknowledged")
    if run.data_checks.filter(severity=RunDataCheck.Severity.ERROR).exists():
        raise DomainError("the run has data-check errors", field="data_checks")
    if run.preparer_id is None:
        run.preparer = actor
    run.status, run.submitted_at = S.SUBMITTED, timezone.now()
    run.save()
    _event(run, actor=actor, verb=AuditVerb.RUN_SUBMIT, from_status=S.COMPUTED)
    return run


@transaction.atomic(durable=True)
def run_approve(*, run: ReserveRun, actor) -> ReserveRun:
    """Sign the run off. It becomes the official run of its date and regime: an approved run
    it reruns (or any other approved run of that date and regime) is marked superseded by it.
    A run of a closed period is never approved: the period's figures are final."""
    authorize(actor, Operation.RUN_APPROVE)
    run = _locked(run)
    _require_status(run, (S.SUBMITTED,), "approve")
    _require_independent(run, actor, "approve")
    label = Quarter.of(run.valuation_date).label
    if ReportingPeriod.objects.filter(label=label, status=ReportingPeriod.Status.CLOSED).exists():
        raise DomainError(f"period {label} is closed; its official run can no longer be replaced",
                          field="status", code="period_closed")
    replaced = list(ReserveRun.objects.select_for_update().filter(
        valuation_date=run.valuation_date, regime_code=run.regime_code, status=S.APPROVED,
        superseded_by__isnull=True).exclude(pk=run.pk))
    run.status, run.approver, run.decided_at = S.APPROVED, actor, timezone.now()
    for old in replaced:
        old.superseded_by = run
        old.save(update_fields=["superseded_by"])
        _event(old, actor=actor, verb=AuditVerb.RUN_SUPERSEDE, from_status=S.APPROVED, note=f"superseded by run {run.pk}")
    run.save()
    _event(run, actor=actor, verb=AuditVerb.RUN_APPROVE, from_status=S.SUBMITTED,
           note=", ".join(f"supersedes run {old.pk}" for old in replaced))
    return run


@transaction.atomic(durable=True)
def run_reject(*, run: ReserveRun, actor, reason: str) -> ReserveRun:
    authorize(actor, Operation.RUN_REJECT)
    run = _locked(run)
    _require_status(run, (S.SUBMITTED,), "reject")
    _require_independent(run, actor, "reject")
    if not (reason or "").strip():
        raise DomainError("say why the run is rejected", field="reason")
    run.status, run.approver, run.decided_at, run.reject_reason = S.REJECTED, actor, timezone.now(), reason.strip()
    run.save()
    _event(run, actor=actor, verb=AuditVerb.RUN_REJECT, from_status=S.SUBMITTED, note=reason.strip())
    return run


# --------------------------------------------------------------------------- selections
@transaction.atomic(durable=True)
def run_selection_set(*, run: ReserveRun, segment: str, currency: str, selection: dict, actor) -> ReserveRun:
    """Store a segment's selection (method, LDFs, tail, a-priori loss ratio, borrowed/pooled
    pattern) with its note. Results computed before no longer match: the run returns to draft."""
    authorize(actor, Operation.RUN_SELECT)
    run = _locked(run)
    _require_status(run, (S.DRAFT, S.COMPUTED, S.FAILED, S.REJECTED), "change selections of")
    selection = {k: v for k, v in _check_selection(dict(selection)).items() if v not in (None, "", {})}
    if selection.get("ultimates") and not str(selection.get("note") or "").strip():
        # a typed ultimate sets the projection aside: the approver must read why (D-60)
        raise DomainError(f"a typed ultimate (origin {', '.join(sorted(map(str, selection['ultimates'])))}) needs a "
                          f"note: say why the projection is set aside", field="note")
    if any(k != "note" for k in selection):
        # what can only be judged on the segment's data (an LDF at an age its grain has no, a
        # method without premium, an override for an origin it lacks) is refused before saving
        run_selection_preview(run=run, segment=segment, currency=currency, selection=selection)
    before, old = run.status, run.selections.get(_key(segment, currency))
    selections = dict(run.selections)
    if selection:
        selections[_key(segment, currency)] = selection
    else:
        selections.pop(_key(segment, currency), None)
    run.selections = selections
    run.status = S.DRAFT
    run.save(update_fields=["selections", "status"])
    _event(run, actor=actor, verb=AuditVerb.RUN_SELECT, from_status=before,
           note=f"{segment} {currency}: {selection.get('note', '')}", old={"selection": old},
           new={"selection": selection})
    return run


def run_selection_preview(*, run: ReserveRun, segment: str, currency: str, selection: dict) -> dict:
    """What a changed selection would give, computed now and saved nowhere."""
    selection = {k: v for k, v in _check_selection(dict(selection)).items() if v not in (None, "", {})}
    params = run_parameters(run)
    inputs, stored = _segment_inputs(run, segment, currency, selection, params)
    if inputs is None:
        raise DomainError(f"no data for {segment} {currency} in this run", field="segment")
    borrowed = compute.borrowed_incurred(selection=selection, valuation_date=run.valuation_date,
                                         cut_off=run.cut_off, params=params, currency=currency, run_inputs=stored)
    try:
        out = compute.segment_outcome(inputs=inputs, params=params, selection=selection,
                                      valuation_date=run.valuation_date, borrowed_incurred=borrowed,
                                      regime_code=run.regime_code, with_bootstrap=False)
    except EngineError as exc:
        raise DomainError(f"{segment} {currency}: {exc.message}", field=exc.field or "selection") from None
    current = run.segment_results.filter(segment=segment, currency=currency).first()
    return {
        "segment": segment, "currency": currency, "selection": selection, "ibnr_method": out.ibnr_method,
        "ibnr": str(out.ibnr), "ulae": str(out.ulae), "premium_deficiency": str(out.premium_deficiency),
        "current_ibnr": None if current is None else str(current.ibnr),
        "change": None if current is None else str(out.ibnr - current.ibnr),
        "ldf": out.factors.get("ldf", {}), "tail": out.factors.get("tail"),
        "origins": [{"origin": o.origin, "method": o.method, "ultimate": str(o.ultimate), "ibnr": str(o.ibnr),
                     "mack_se": None if o.mack_se is None else str(o.mack_se)}
                    for o in out.origins],
        "grain": out.provenance.get("grain"), "notes": out.notes,
    }


def run_history_backtest(*, run: ReserveRun, segment: str, currency: str, cuts=(1, 2, 3)):
    """The back-test of every method and the default rule on the segment's own history as this
    run sees it (compute.history_backtest): a DataFrame by cut and method. Reads only."""
    params = run_parameters(run)
    inputs, _ = _segment_inputs(run, segment, currency, {}, params)
    if inputs is None:
        raise DomainError(f"no data for {segment} {currency} in this run", field="segment")
    try:
        return compute.history_backtest(inputs=inputs, params=params, regime_code=run.regime_code,
                                        valuation_date=run.valuation_date, cuts=cuts,
                                        selection=run.selections.get(_key(segment, currency)))
    except EngineError as exc:
        raise DomainError(f"{segment} {currency}: {exc.message}", field=exc.field or "segment") from None


# --------------------------------------------------------------------------- rerun, period close
def run_rerun(*, run: ReserveRun, actor, compute_now: bool = True) -> ReserveRun:
    """A new run linked to `run` with the same valuation date, cut-off, regime version,
    parameters and selections; once computed it records whether it came out identical."""
    authorize(actor, Operation.RUN_RERUN)
    new = run_create(valuation_date=run.valuation_date, regime=run.regime_code, regime_version=run.regime_version,
                     cut_off=run.cut_off, parameters=run.parameters, selections=run.selections, actor=actor,
                     rerun_of=run)
    if compute_now:
        new = run_compute(run=new, actor=actor)
    return new


@transaction.atomic(durable=True)
def period_close(*, label: str, actor):
    """Close a quarter: its run of the official regime must be approved. Afterwards postings
    dated in it are refused (core.services.period_ensure_open)."""
    authorize(actor, Operation.PERIOD_CLOSE)
    try:
        q = Quarter.parse(label)
    except ValueError as exc:
        raise DomainError(str(exc), field="label") from exc
    official = settings.OFFICIAL_REGIME
    if not ReserveRun.objects.filter(regime_code=official, valuation_date=q.end, status=S.APPROVED).exists():
        raise DomainError(f"period {q.label} has no approved {official} run; approve one before closing",
                          field="label", code="no_approved_run")
    return period_mark_closed(label=q.label, actor=actor)


def ensure_roles() -> None:
    """The groups the run workflow checks (the demo users command may create them too)."""
    from django.contrib.auth.models import Group

    for name in Role.values:
        try:
            Group.objects.get_or_create(name=name)
        except IntegrityError:  # created concurrently
            pass


__all__ = [name for name in dir() if name.startswith(("run_", "regime_", "period_", "segment_"))] + ["ensure_roles"]


# --------------------------------------------------------------------------- schedules
FIRST_CUT_TASK_NAME = "reserving: quarter-end first-cut run"


@transaction.atomic(durable=True)
def schedules_install(*, actor):
    """The django-celery-beat schedule of the quarter-end first cut: 02:00 on the 1st of Jan,
    Apr, Jul and Oct in CELERY_TIMEZONE. Idempotent; edit it in the admin afterwards (a re-install
    restores the timing but keeps the task's enabled flag)."""
    authorize(actor, Operation.SCHEDULE_INSTALL)
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_month="1", month_of_year="1,4,7,10", day_of_week="*",
        timezone=settings.CELERY_TIMEZONE)
    task, created = PeriodicTask.objects.get_or_create(
        name=FIRST_CUT_TASK_NAME,
        defaults={"task": "reserving.quarter_end_first_cut", "crontab": crontab,
                  "description": "First-cut draft run of the official regime for the quarter just ended"})
    if not created and (task.crontab_id != crontab.pk or task.task != "reserving.quarter_end_first_cut"):
        task.crontab, task.task = crontab, "reserving.quarter_end_first_cut"
        task.save()
    audit_record(actor=actor, verb=AuditVerb.SCHEDULE_INSTALL, target=task, new={"crontab": str(crontab), "created": created})
    from reserving.watchdog import watchdog_schedule_install  # lazily: the watchdog imports these services

    watchdog_schedule_install(actor=actor)  # every minute: stuck runs re-sent or failed (issue 14 §6)
    retention_schedule_install(actor=actor)  # every night: patients' data past its retention (issue 14 §4)
    return task
