"""Reads for the book exchange: which numbers and ids already exist, the master data of
policies a book refers to without carrying them, and the streamed rows of an export."""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection, transaction
from django.db.models import Sum

from claims.models import Claim, ClaimTransaction
from policies.models import Insured, Policy, PremiumTransaction

CHUNK = 5_000


def _chunks(values: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    batch: list[str] = []
    for v in values:
        batch.append(v)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _strings(values) -> pa.Array:
    """Text values of any column form as one pyarrow array (a pandas string column without a copy)."""
    if isinstance(values, pd.Series):
        values = pa.array(values.array, from_pandas=True) if len(values) else pa.array([], pa.string())
    elif not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pa.array(list(values), pa.string())
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


@contextmanager
def _probe(values: pa.Array) -> Iterator[str]:
    """A temporary table (pos, v) holding `values`, COPYed in one stream: the id checks of an
    import join it with a table in one query instead of sending a million values in IN lists
    of 5,000 (issue 16). Dropped on leaving; inside a transaction (a savepoint when the caller
    has one), which is where ON COMMIT DROP and the COPY belong."""
    name = f"exchange_probe_{next(_PROBES)}"
    table = pa.table({"pos": pa.array(np.arange(len(values), dtype=np.int64)), "v": values})
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} (pos bigint, v text) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {name} (pos, v) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, len(values), _PROBE_CHUNK):
                buffer = pa.BufferOutputStream()
                pa_csv.write_csv(table.slice(start, _PROBE_CHUNK), buffer, options)
                copy.write(memoryview(buffer.getvalue()))
        cursor.execute(f"ANALYZE {name}")  # the planner then picks a hash join for a big probe
        try:
            yield name
        finally:
            cursor.execute(f"DROP TABLE {name}")


_PROBES = itertools.count(1)
_PROBE_CHUNK = 100_000


def existing_mask(model, field: str, values) -> np.ndarray:
    """Which of `values` (a list, pandas string column or pyarrow array) are already present in
    model.field: a boolean per value. Free when the table is empty, as it is for a first load.
    PostgreSQL: one COPY of the values and one join (see _probe); elsewhere chunked IN queries."""
    values = _strings(values)
    n = len(values)
    if n == 0 or not model.objects.exists():
        return np.zeros(n, dtype=bool)
    if connection.vendor != "postgresql":
        found: set[str] = set()
        for batch in _chunks(v for v in values.to_pylist() if v is not None):
            found.update(model.objects.filter(**{f"{field}__in": batch}).values_list(field, flat=True))
        if not found:
            return np.zeros(n, dtype=bool)
        hit = pc.is_in(values, value_set=pa.array(sorted(found), values.type))
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field).column)
    mask = np.zeros(n, dtype=bool)
    with _probe(values) as probe, connection.cursor() as cursor:
        # Positions as one text value: fetching a row per match costs more than the join.
        cursor.execute(f"SELECT string_agg(p.pos::text, ',') FROM {probe} p "
                       f"WHERE EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} t WHERE t.{column} = p.v)")
        found = cursor.fetchone()[0]
    if found:
        mask[np.array(found.split(","), dtype=np.int64)] = True
    return mask


def existing_values(model, field: str, values: Iterable[str]) -> set[str]:
    """Those of `values` already present in model.field (unique columns); see existing_mask."""
    values = [v for v in values]
    mask = existing_mask(model, field, values)
    return {v for v, hit in zip(values, mask.tolist()) if hit}


def policy_numbers_existing(numbers: Iterable[str]) -> set[str]:
    return existing_values(Policy, "policy_number", numbers)


def claim_numbers_existing(numbers: Iterable[str]) -> set[str]:
    return existing_values(Claim, "claim_number", numbers)


def premium_ids_existing(ids: Iterable[str]) -> set[str]:
    return existing_values(PremiumTransaction, "transaction_id", ids)


def claim_transaction_ids_existing(ids: Iterable[str]) -> set[str]:
    return existing_values(ClaimTransaction, "transaction_id", ids)


POLICY_FIELDS = ("id", "policy_number", "basis", "retro_date", "currency", "inception_date", "expiry_date",
                 "limit_per_claim", "aggregate_limit", "expenses_within_limits", "status", "cancelled_on")


def policies_by_number(numbers: Iterable[str]) -> dict[str, dict]:
    """Master data of the given policies that exist in the database."""
    out: dict[str, dict] = {}
    for batch in _chunks(numbers):
        for row in Policy.objects.filter(policy_number__in=batch).values(*POLICY_FIELDS):
            out[row["policy_number"]] = row
    return out


def aggregate_used_by_policy(policy_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """Payments net of reversals per policy and cost type (recoveries do not give limits back)."""
    out: dict[int, dict[str, object]] = {}
    for batch in _chunks(policy_ids):
        rows = (ClaimTransaction.objects.filter(claim__policy_id__in=batch, effect_kind="payment")
                .values("claim__policy_id", "cost_type").annotate(total=Sum("amount")))
        for row in rows:
            out.setdefault(row["claim__policy_id"], {})[row["cost_type"]] = row["total"]
    return out


def insured_ids_by_name(names: Iterable[str]) -> dict[str, int]:
    """The first insured of each name already in the database: a book names insureds, it has no ids."""
    if not Insured.objects.exists():
        return {}
    names = list(names)
    out: dict[str, int] = {}
    if connection.vendor == "postgresql" and names:
        quote = connection.ops.quote_name
        with _probe(_strings(names)) as probe, connection.cursor() as cursor:
            cursor.execute(f"SELECT t.name, min(t.id) FROM {probe} p JOIN {quote(Insured._meta.db_table)} t "
                           "ON t.name = p.v GROUP BY t.name")
            out.update(cursor.fetchall())
        return out
    for batch in _chunks(names):
        for pk, name in Insured.objects.filter(name__in=batch).order_by("id").values_list("id", "name"):
            out.setdefault(name, pk)
    return out


# --- export --------------------------------------------------------------------------------

POLICY_EXPORT_FIELDS = (
    "id", "policy_number", "insured__name", "insured__kind", "profession", "risk_group", "segment", "basis",
    "retro_date", "currency", "inception_date", "expiry_date", "issue_date", "limit_per_claim", "aggregate_limit",
    "deductible_amount", "deductible_percent", "expenses_within_limits", "tariff_version", "cover_in_diyeh",
    "diyeh_year", "diyeh_increase_endorsement",
)


def policies_for_export(chunk: int = 20_000) -> Iterator[dict]:
    """Policies in policy_number order, each with its original premium row (`original`, or None),
    fetched a chunk at a time: one query per chunk, not per policy."""
    rows = Policy.objects.order_by("policy_number").values(*POLICY_EXPORT_FIELDS).iterator(chunk_size=chunk)
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            yield from _with_originals(batch)
            batch = []
    if batch:
        yield from _with_originals(batch)


def _with_originals(batch: list[dict]) -> Iterator[dict]:
    originals: dict[int, dict] = {}
    for row in (PremiumTransaction.objects.filter(policy_id__in=[p["id"] for p in batch], kind="original")
                .order_by("id").values("policy_id", "transaction_id", "gross_premium", "commission", "recorded_at")):
        originals.setdefault(row["policy_id"], row)
    for p in batch:
        p["original"] = originals.get(p["id"])
        yield p


def premium_transactions_for_export(chunk: int = 20_000) -> Iterator[dict]:
    """Premium rows other than each policy's first original, in booking order."""
    return (
        PremiumTransaction.objects.exclude(kind="original")
        .order_by("policy__policy_number", "accounting_date", "id")
        .values("id", "transaction_id", "policy__policy_number", "policy__currency", "kind", "accounting_date",
                "effective_date", "gross_premium", "commission", "recorded_at", "reverses__transaction_id", "note")
        .iterator(chunk_size=chunk)
    )


def claims_for_export(chunk: int = 20_000) -> Iterator[dict]:
    return (
        Claim.objects.order_by("claim_number")
        .values("claim_number", "policy__policy_number", "occurrence_date", "report_date", "cause", "litigated",
                "claimant", "awarded_diyeh_share")
        .iterator(chunk_size=chunk)
    )


def claim_transactions_for_export(chunk: int = 20_000) -> Iterator[dict]:
    """Claim rows other than the derived reserve changes of a close, in booking order per claim."""
    return (
        ClaimTransaction.objects.filter(derived=False)
        .order_by("claim__claim_number", "accounting_date", "id")
        .values("transaction_id", "claim__claim_number", "claim__policy__currency", "accounting_date", "kind",
                "cost_type", "amount", "recorded_at", "reverses__transaction_id", "topup", "note")
        .iterator(chunk_size=chunk)
    )


def book_end_date():
    """The last accounting date in the book (None for an empty book)."""
    from django.db.models import Max

    dates = [
        PremiumTransaction.objects.aggregate(d=Max("accounting_date"))["d"],
        ClaimTransaction.objects.aggregate(d=Max("accounting_date"))["d"],
    ]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None
