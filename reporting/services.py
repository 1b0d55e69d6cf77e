"""Writes of the reporting app: producing an export (recorded in the audit trail) and the
reference data finance staff maintain."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core.models import AuditVerb
from core.errors import DomainError
from core.roles import Operation, authorize
from core.services import audit_record
from reporting import selectors
from reporting.exports.f0420155 import write_0420155
from reporting.exports.gl import Accounts, write_gl_csv
from reporting.exports.s1901 import write_s1901_csv, write_s1901_xlsx
from reporting.exports.summary import write_summary_csv
from reporting.models import CapitalEntry, GLAccountMapping
from reserving.models import ReserveRun

FORMATS = {
    "0420155-xlsx": ("xlsx", "Form 0420155 working paper (XLSX)"),
    "s1901-csv": ("csv", "S.19.01 claims triangles (CSV)"),
    "s1901-xlsx": ("xlsx", "S.19.01 claims triangles (XLSX)"),
    "summary-csv": ("csv", "Reserve summary (CSV)"),
    "gl-csv": ("csv", "GL journal of reserve movements (CSV)"),
}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes


def gl_chart(accounting_regime: str = "ru-pre2025") -> dict[str, Accounts]:
    return {
        m.reserve_type: Accounts(m.reserve_account, m.release_account, m.charge_account, m.verified)
        for m in GLAccountMapping.objects.filter(accounting_regime=accounting_regime, side=GLAccountMapping.Side.GROSS)
    }


def report_render(*, run: ReserveRun, fmt: str, language: str = "en") -> Export:
    """The export's bytes. `language` is the reader's for the reserve summary (its headers and
    names, reporting.exports.summary); 0420155 is Russian and S.19.01 and the GL journal carry
    their codes in every language."""
    if fmt not in FORMATS:
        raise DomainError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")
    if run.status != ReserveRun.Status.APPROVED:
        raise DomainError(f"run {run.pk} is {run.status}: reports are made from approved runs only", field="run")
    data = selectors.report_data(run=run)
    if fmt == "0420155-xlsx":
        # every segment, other currencies converted at the official rates (RateMissing if one is missing)
        content = write_0420155(selectors.report_data_converted(data))
    elif fmt == "s1901-csv":
        content = write_s1901_csv(data)
    elif fmt == "s1901-xlsx":
        content = write_s1901_xlsx(data)
    elif fmt == "summary-csv":
        content = write_summary_csv(data, language=language)
    else:
        chart = gl_chart()
        content = write_gl_csv(data, chart or None)
    ext = FORMATS[fmt][0]
    return Export(f"run{run.pk}-{run.valuation_date.isoformat()}-{fmt}.{ext}", CONTENT_TYPES[ext], content)


@transaction.atomic(durable=True)
def report_export(*, run: ReserveRun, fmt: str, actor, language: str = "en") -> Export:
    """Render an export of an approved run (in `language` where the format has words to
    translate) and record who took it."""
    authorize(actor, Operation.REPORT_EXPORT)
    export = report_render(run=run, fmt=fmt, language=language)
    audit_record(actor=actor, verb=AuditVerb.REPORT_EXPORT, target=run,
                 new={"format": fmt, "filename": export.filename, "bytes": len(export.content), "language": language})
    return export


@transaction.atomic
def capital_entry_save(*, period: str, currency: str, actor, **values) -> CapitalEntry:
    authorize(actor, Operation.CAPITAL_SAVE)
    from core.money import currency_check
    from core.periods import Quarter

    try:
        label = Quarter.parse(period).label
    except ValueError as exc:
        raise DomainError(str(exc), field="period") from exc
    currency = currency_check(currency)
    entry = CapitalEntry.objects.filter(period=label, currency=currency).first()
    old = {} if entry is None else {k: str(getattr(entry, k)) for k in values}
    if entry is None:
        entry = CapitalEntry(period=label, currency=currency)
    for k, v in values.items():
        setattr(entry, k, v)
    entry.entered_by = actor if getattr(actor, "pk", None) else None
    entry.save()
    audit_record(actor=actor, verb=AuditVerb.CAPITAL_SAVE, target=entry, old=old, new={k: str(v) for k, v in values.items()})
    return entry
