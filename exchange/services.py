"""Book exchange services: import a whole book all-or-nothing, export the book of record.

`book_import` validates every file against the rules (exchange/bookio/validate.py) before it
writes anything, then writes in bulk (COPY on PostgreSQL), all in one transaction with one
audit row. `book_export` streams the book back out in the same format.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
from django.db import connection, transaction
from django.utils import timezone

from claims.models import Claim, ClaimTransaction
from core.models import AuditVerb
from core.errors import DomainError
from core.roles import Operation, authorize
from core.services import audit_record
from exchange.bookio import format as fmt
from exchange.bookio.parse import ErrorLog
from exchange.bookio.validate import BookPlan, BookValidator, ImportOptions
from exchange.bookio.write import (Progress, bulk_load, history_insert_select, ids_reserve, rows_write,
                                   tables_analyze)
from fx.models import OfficialRate
from policies.models import Insured, Policy, PremiumTransaction
from reinsurance.models import Treaty
from segments.models import Segment


class BookRefused(DomainError):
    """The book breaks rules; `errors` lists every `file:line: reason` (capped)."""

    def __init__(self, errors: list[str], count: int):
        head = f"book refused: {count} error{'s' if count != 1 else ''}; nothing was written"
        super().__init__(head, field="book", code="book_refused")
        self.errors = errors
        self.count = count

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {"book": self.errors}


@dataclass
class ImportReport:
    rows_read: dict[str, int]
    written: dict[str, int]
    topups: int
    derived: int
    seconds: float
    rows_per_second: float = field(default=0.0)
    validate_seconds: float = field(default=0.0)
    write_seconds: float = field(default=0.0)

    @property
    def total_rows(self) -> int:
        return sum(self.rows_read.values())

    def lines(self) -> list[str]:
        out = ["Book imported."]
        for name, n in self.rows_read.items():
            out.append(f"  {name}: {n:,} rows")
        out.append("  written: " + ", ".join(f"{k} {v:,}" for k, v in self.written.items()))
        out.append(f"  reserve top-ups posted: {self.topups:,}; close reserve changes re-created: {self.derived:,}")
        out.append(f"  {self.seconds:,.1f} s, {self.rows_per_second:,.0f} rows/s "
                   f"(parse and validate {self.validate_seconds:,.1f} s, write {self.write_seconds:,.1f} s)")
        return out

    def as_dict(self) -> dict:
        return asdict(self)


def book_sources_from_dir(directory: Path) -> dict[str, Path]:
    """The book files present in a folder (missing optional files are simply absent)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DomainError(f"{directory} is not a folder", field="directory")
    return {spec.name: directory / spec.name for spec in fmt.ALL_FILES if (directory / spec.name).is_file()}


@transaction.atomic
def book_import(*, sources: dict[str, Path | bytes], actor, allow_topup: bool = False,
                recorded_at: datetime | None = None, progress: Progress | None = None,
                allow_new_segments: bool = False) -> ImportReport:
    authorize(actor, Operation.BOOK_IMPORT)
    started = time.monotonic()
    progress = progress or Progress(enabled=False)
    options = ImportOptions(allow_topup=allow_topup, recorded_at=recorded_at, allow_new_segments=allow_new_segments)
    errors = ErrorLog(file_order=tuple(spec.name for spec in fmt.ALL_FILES))
    plan = BookValidator(sources, options, errors, progress).run()
    if plan is None:
        raise BookRefused(errors.messages(), errors.count)
    validated = time.monotonic()
    written = _plan_write(plan, actor=actor, options=options, progress=progress)
    # The planner's statistics of what was just loaded, so that the next reserve run plans for
    # the rows that are there (defect 19; PostgreSQL only, see tables_analyze).
    tables_analyze([model for model, key in _written_models() if written.get(key)])
    seconds = time.monotonic() - started
    report = ImportReport(rows_read=plan.rows_read, written=written, topups=plan.topups, derived=plan.derived,
                          seconds=round(seconds, 3), validate_seconds=round(validated - started, 3),
                          write_seconds=round(time.monotonic() - validated, 3))
    report.rows_per_second = round(report.total_rows / seconds, 1) if seconds > 0 else 0.0
    fingerprint = hashlib.sha256(repr(sorted(plan.rows_read.items())).encode() + str(options.now).encode())
    audit_record(actor=actor, verb=AuditVerb.BOOK_IMPORT, target=_BookTarget(fingerprint.hexdigest()[:16]),
                 new={"rows_read": plan.rows_read, "written": written, "topups": plan.topups,
                      "derived": plan.derived, "allow_topup": allow_topup,
                      "allow_new_segments": allow_new_segments,
                      "segments_added": [row["code"] for row in plan.segments],
                      "recorded_at": recorded_at.isoformat() if recorded_at else None})
    return report


def _written_models() -> tuple:
    """Each table an import writes, with the key of `written` that counts its rows."""
    return ((Segment, "segments"), (OfficialRate, "fx_rates"), (Treaty, "treaties"), (Insured, "insureds"), (Insured.history.model, "insureds"), (Policy, "policies"),
            (Policy.history.model, "policies"), (PremiumTransaction, "premium_transactions"),
            (Claim, "claims"), (Claim.history.model, "claims"), (ClaimTransaction, "claim_transactions"))


class _BookTarget:
    """The audit target of an import: the book itself, which has no table of its own."""

    _meta = SimpleNamespace(label_lower="exchange.book")

    def __init__(self, pk: str):
        self.pk = pk

    def __str__(self) -> str:
        return f"book import {self.pk}"


def _history(columns: dict, ids, dates, actor_id) -> dict:
    n = len(ids)
    return {"id": ids, **columns, "history_date": dates, "history_change_reason": pa.nulls(n, pa.string()),
            "history_type": pa.array(np.full(n, "+"), pa.string()),
            "history_user_id": pa.array(np.full(n, actor_id if actor_id is not None else 0, dtype=np.int64),
                                        mask=np.full(n, actor_id is None))}


def _policy_history_write(columns: dict, policy_ids, original_ids, plan: BookPlan, actor_id, progress) -> None:
    """The policies' created history rows, dated when each policy was recorded (the book's
    recorded_at, which its original premium carries too). PostgreSQL copies them from the rows
    just written, in the database: a second COPY of a million policies' values from Python cost
    as much as the first. Elsewhere they are written from the plan, with the same values."""
    if connection.vendor == "postgresql" and len(original_ids) == len(policy_ids):
        history_insert_select(Policy.history.model, policy_ids, list(columns), dated_by=PremiumTransaction,
                              dated_ids=original_ids, dated_key="policy_id", dated_column="recorded_at",
                              actor_id=actor_id, progress=progress)
        return
    rows_write(Policy.history.model, _history(columns, policy_ids, plan.policy_recorded_at, actor_id), progress)


def _naive_utc(value: datetime) -> np.datetime64:
    return np.datetime64(value.astimezone(dt_timezone.utc).replace(tzinfo=None), "us")


def _plan_write(plan: BookPlan, *, actor, options: ImportOptions, progress: Progress) -> dict[str, int]:
    actor_id = getattr(actor, "pk", None)
    written: dict[str, int] = {}
    default = options.default_recorded_at

    # Reference data first: a handful of rows, so the ORM's bulk_create does.
    Segment.objects.bulk_create([Segment(**row) for row in plan.segments])
    written["segments"] = len(plan.segments)
    OfficialRate.objects.bulk_create([OfficialRate(**row) for row in plan.fx_rates])
    written["fx_rates"] = len(plan.fx_rates)
    Treaty.objects.bulk_create([Treaty(**row) for row in plan.treaties])
    written["treaties"] = len(plan.treaties)

    n_insureds = len(plan.insureds.get("name", []))
    n_policies = len(plan.policies.get("policy_number", []))
    n_premiums = (len((plan.original_premiums or {}).get("transaction_id", []))
                  + len(plan.premiums.get("transaction_id", [])))
    n_claims = len(plan.claims.get("claim_number", []))
    n_claim_rows = len(plan.claim_transactions.get("transaction_id", []))
    sizes = {Insured: n_insureds, Insured.history.model: n_insureds, Policy: n_policies,
             Policy.history.model: n_policies, PremiumTransaction: n_premiums, Claim: n_claims,
             Claim.history.model: n_claims, ClaimTransaction: n_claim_rows}
    # A large book loads without secondary indexes and inner foreign keys, rebuilt once after
    # (PostgreSQL, same transaction; see bulk_load).
    with bulk_load(sizes):
        insured_ids = np.asarray(ids_reserve(Insured, n_insureds), dtype=np.int64)
        if n_insureds:
            rows_write(Insured, {"id": insured_ids, **plan.insureds}, progress)
            # Master data as it was when the book says it was learnt: an old run's cut-off sees it.
            first_seen = np.full(n_insureds, _naive_utc(default), dtype="datetime64[us]")
            new = plan.insured_new >= 0
            np.minimum.at(first_seen, plan.insured_new[new], plan.policy_recorded_at[new])
            rows_write(Insured.history.model, _history(plan.insureds, insured_ids, first_seen, actor_id), progress)
        written["insureds"] = n_insureds

        policy_ids = np.asarray(ids_reserve(Policy, n_policies), dtype=np.int64)
        if n_policies:
            insured_col = np.where(plan.insured_new >= 0, insured_ids[np.maximum(plan.insured_new, 0)]
                                   if n_insureds else 0, plan.insured_db)
            policy_columns = {**plan.policies, "insured_id": insured_col}
            rows_write(Policy, {"id": policy_ids, **policy_columns}, progress)
        written["policies"] = n_policies

        # The originals (one per policy, in policy order) first, then the file's premium rows.
        originals = plan.original_premiums or {}
        n_orig = len(originals.get("transaction_id", []))
        n_rows = len(plan.premiums.get("transaction_id", []))
        premium_ids = np.asarray(ids_reserve(PremiumTransaction, n_orig + n_rows), dtype=np.int64)
        if n_orig:
            rows_write(PremiumTransaction, {"id": premium_ids[:n_orig], **originals,
                                            "policy_id": policy_ids, "reverses_id": np.full(n_orig, np.nan)}, progress)
        if n_policies:
            _policy_history_write(policy_columns, policy_ids, premium_ids[:n_orig], plan, actor_id, progress)
        if n_rows:
            rows_write(PremiumTransaction, {
                "id": premium_ids[n_orig:].tolist(), **plan.premiums,
                "policy_id": [int(policy_ids[p]) for p in plan.premium_policy],
                "reverses_id": [None if r is None else int(premium_ids[r]) for r in plan.premium_reverses],
            }, progress)
        written["premium_transactions"] = n_orig + n_rows

        claim_ids = np.asarray(ids_reserve(Claim, len(plan.claims.get("claim_number", []))), dtype=np.int64)
        if len(claim_ids):
            columns = {**plan.claims,
                       "policy_id": [int(policy_ids[v]) if kind == "new" else v for kind, v in plan.claim_policy]}
            rows_write(Claim, {"id": claim_ids, **columns}, progress)
            dates = np.asarray(plan.claim_history_date, dtype="datetime64[us]").copy()
            dates[np.isnat(dates)] = _naive_utc(default)
            rows_write(Claim.history.model, _history(columns, claim_ids, dates, actor_id), progress)
        written["claims"] = len(claim_ids)

        n_rows = len(plan.claim_transactions.get("transaction_id", []))
        row_ids = np.asarray(ids_reserve(ClaimTransaction, n_rows), dtype=np.int64)
        if n_rows:
            reverses = np.asarray(plan.claim_transaction_reverses, dtype=np.int64)
            rows_write(ClaimTransaction, {
                "id": row_ids, **plan.claim_transactions,
                "claim_id": claim_ids[np.asarray(plan.claim_transaction_claim, dtype=np.int64)],
                "reverses_id": pa.array(row_ids[np.maximum(reverses, 0)], mask=reverses < 0),
            }, progress)
        written["claim_transactions"] = len(row_ids)
    return written


class _BookExportTarget(_BookTarget):
    def __str__(self) -> str:
        return f"book export {self.pk}"


@transaction.atomic
def book_export(*, directory: Path, actor) -> dict[str, int]:
    """Write the whole book to `directory` (created if missing); returns rows per file.
    The book holds patients' data (claimants' names, causes), so only the roles allowed
    BOOK_EXPORT may take it, and each download is logged: one audit row (who, when, rows per
    file; never a name), written once the files are (issue 14 §4)."""
    from exchange.bookio.export import book_write

    authorize(actor, Operation.BOOK_EXPORT)
    counts = book_write(Path(directory))
    at = timezone.now()
    key = hashlib.sha256(f"{getattr(actor, 'pk', None)} {at.isoformat()}".encode()).hexdigest()[:16]
    audit_record(actor=actor, verb=AuditVerb.BOOK_EXPORT, target=_BookExportTarget(key),
                 new={"rows": dict(counts), "patients_data": True, "at": at.isoformat()})
    return counts


def book_export_zip(*, actor) -> bytes:
    """The exported book as a zip archive (for the admin download)."""
    import io
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        book_export(directory=Path(tmp), actor=actor)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(tmp).iterdir()):
                archive.write(path, path.name)
    return buffer.getvalue()
