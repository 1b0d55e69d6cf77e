"""The bulk writer: whole columns into a table, by COPY on PostgreSQL (psycopg 3, fed CSV that
pyarrow writes from the columns in C) and by batched INSERTs elsewhere; never a save per row. Primary keys are reserved up front so
that foreign keys (policy → insured, reversal → reversed row) are known before writing."""
from __future__ import annotations

import json
import sys
import time
from datetime import timezone as dt_timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection, models

BATCH = 10_000
COPY_CHUNK = 100_000


def ids_reserve(model: type[models.Model], n: int) -> list[int]:
    """n fresh primary keys for `model`, taken from its sequence (PostgreSQL) or past the
    current maximum (SQLite, whose writers are serialised by the transaction anyway)."""
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + n))


class Progress:
    """Rows per stage with rates, to stderr, every `every` rows; silent when not a terminal."""

    def __init__(self, stream=None, every: int = 50_000, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.every = every
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._next: dict[str, int] = {}

    def tick(self, stage: str, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if done < self._next.get(stage, self.every) and done != total:
            return
        self._next[stage] = (done // self.every + 1) * self.every
        elapsed = max(time.monotonic() - self.started, 1e-6)
        of = f"/{total:,}" if total else ""
        self.stream.write(f"\r{stage}: {done:,}{of} rows, {done / elapsed:,.0f} rows/s, {elapsed:,.1f} s   ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"{text}\n")
            self.stream.flush()


def tables_analyze(models_written: list[type[models.Model]]) -> list[str]:
    """Refresh the planner's statistics of the tables a bulk load wrote; returns their names.

    PostgreSQL: COPY leaves pg_class.reltuples and pg_statistic as they were (empty tables look
    empty) until autovacuum gets round to them, and a reserve run started meanwhile plans its
    joins for empty tables (defect 19: 47 times slower than the run after it). ANALYZE runs
    inside the import's transaction, which it may, and counts that transaction's own rows; it
    reads a sample of at most 300 × default_statistics_target rows a table, so its cost does not
    grow with the book.
    SQLite: nothing. Its ANALYZE reads every index in full (no sampling unless analysis_limit is
    set), and the planner there does without sqlite_stat1; SQLite serves development and tests."""
    if connection.vendor != "postgresql":
        return []
    tables = list(dict.fromkeys(model._meta.db_table for model in models_written))
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables


def _json_dump(value):
    return None if value is None else json.dumps(value)


def rows_write(model: type[models.Model], columns: dict[str, object], progress: Progress | None = None,
               label: str | None = None) -> int:
    """Insert equal-length columns (keyed by attname) into model's table; returns the row count.
    A column is a list of Python values, a numpy array, a pandas Series or a pyarrow array."""
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    if n == 0:
        return 0
    label = label or model._meta.label
    if connection.vendor == "postgresql":
        _copy(model, columns, names, n, progress, label)
        return n
    columns = {name: _as_list(columns[name]) for name in names}
    if connection.vendor == "sqlite":
        _bulk_insert(model, columns, names, n, progress, label)
    else:
        _bulk_create(model, columns, names, n, progress, label)
    return n


def _as_list(values) -> list:
    """Python values of any column form (the SQLite and generic paths bind per value anyway)."""
    if isinstance(values, list):
        return values
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if pa.types.is_timestamp(values.type):
            return [None if v is None else v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
                    for v in values.to_pylist()]
        return values.to_pylist()
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            return arrow_column(values).to_pylist()
        if values.dtype.kind == "b":
            return values.tolist()
        if values.dtype.kind in "iu":
            return values.tolist()
        return [None if (v is None or (isinstance(v, float) and v != v)) else v for v in values.tolist()]
    return list(values)


def arrow_column(values, field: models.Field | None = None) -> pa.Array:
    """One column as a pyarrow array of the type COPY expects for `field` (None = infer)."""
    want = _arrow_type(field) if field is not None else None
    if isinstance(field, models.JSONField):
        dumped: dict[int, str | None] = {}  # a column often repeats one object (say, [] per row)
        values = [dumped[id(v)] if id(v) in dumped else dumped.setdefault(id(v), _json_dump(v))
                  for v in _as_list(values)]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        arr = values
    elif isinstance(values, pd.Series):
        arr = pa.array(values, from_pandas=True)
    elif isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            unit = np.datetime_data(values.dtype)[0]
            arr = pa.array(values, type=pa.date32() if unit == "D" else pa.timestamp("us"), from_pandas=True)
        elif values.dtype.kind == "f":
            arr = pa.array(values, from_pandas=True)
        else:
            arr = pa.array(values, from_pandas=True)
    else:
        if want is not None and pa.types.is_string(want):
            values = [None if v is None else str(v) for v in values]
        elif want is not None and pa.types.is_timestamp(want):
            values = [None if v is None else v.astimezone(dt_timezone.utc).replace(tzinfo=None) for v in values]
            arr = pa.array(values, type=pa.timestamp("us"))
            return arr.cast(want)
        arr = pa.array(values, type=want)
    if want is None or arr.type == want or (pa.types.is_large_string(arr.type) and pa.types.is_string(want)):
        return arr  # pandas' strings are large_string: written as they are, without a copy
    if pa.types.is_timestamp(want) and pa.types.is_timestamp(arr.type):
        return arr.cast(pa.timestamp("us")).cast(want) if arr.type.tz is None else arr.cast(want)
    if pa.types.is_string(want) and pa.types.is_floating(arr.type):
        # whole numbers held as float64 with NaN for none (integer columns typed by parse.Typer)
        return arr.cast(pa.int64()).cast(want)
    if pa.types.is_integer(want) and pa.types.is_floating(arr.type):
        return arr.cast(want)
    if pa.types.is_large_string(arr.type) and pa.types.is_string(want):
        return arr.cast(want)
    return arr.cast(want)


def _arrow_type(field: models.Field) -> pa.DataType:
    if isinstance(field, models.BooleanField):
        return pa.bool_()
    if isinstance(field, models.DateTimeField):
        return pa.timestamp("us", tz="UTC")
    if isinstance(field, models.DateField):
        return pa.date32()
    if isinstance(field, (models.AutoField, models.BigAutoField, models.IntegerField, models.ForeignKey,
                          models.OneToOneField)) and not isinstance(field, models.DecimalField):
        target = field.target_field if field.is_relation else field
        if isinstance(target, (models.CharField, models.TextField)):
            return pa.string()
        return pa.int64()
    return pa.string()  # text, JSON text and decimals (PostgreSQL parses the decimal strings exactly)


def _copy(model, columns, names, n, progress, label) -> None:
    """COPY … FROM STDIN (FORMAT csv) fed with pyarrow-written CSV, a chunk at a time: pyarrow
    quotes every text value, so an unquoted empty field is NULL and "" is the empty string."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    table = pa.table({name: arrow_column(columns[name], fields[name]) for name in names})
    quoted = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(fields[name].column) for name in names)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed", batch_size=COPY_CHUNK)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {quoted} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, n, COPY_CHUNK):
                stop = min(start + COPY_CHUNK, n)
                buffer = pa.BufferOutputStream()
                pa_csv.write_csv(table.slice(start, stop - start), buffer, options)
                copy.write(memoryview(buffer.getvalue()))
                if progress:
                    progress.tick(f"writing {label}", stop, n)


def _sqlite_converter(field):
    """Python value → what Django itself would hand the SQLite driver for this field."""
    if isinstance(field, models.JSONField):
        return _json_dump
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else connection.ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    return None


def _bulk_insert(model, columns, names, n, progress, label) -> None:
    """Batched multi-row INSERTs (executemany) — bulk_create without building model instances,
    whose per-value overhead dominated a large load."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    lists = []
    for name in names:
        convert = _sqlite_converter(fields[name])
        lists.append(columns[name] if convert is None else [convert(v) for v in columns[name]])
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(fields[name].column) for name in names)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(names))})"
    rows = zip(*lists)
    done = 0
    with connection.cursor() as cursor:
        while done < n:
            chunk = [row for _, row in zip(range(BATCH), rows)]
            cursor.executemany(sql, chunk)
            done += len(chunk)
            if progress:
                progress.tick(f"writing {label}", done, n)


def _bulk_create(model, columns, names, n, progress, label) -> None:
    """Any other database: Django's own batched bulk_create."""
    lists = [columns[name] for name in names]
    rows = zip(*lists)
    done = 0
    while done < n:
        chunk = [model(**dict(zip(names, row))) for _, row in zip(range(BATCH), rows)]
        model.objects.bulk_create(chunk, batch_size=BATCH)
        done += len(chunk)
        if progress:
            progress.tick(f"writing {label}", done, n)
