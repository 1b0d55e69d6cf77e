"""The bulk writer: whole columns into a table, by COPY on PostgreSQL (psycopg 3) and by
batched bulk_create elsewhere; never a save per row. Primary keys are reserved up front so
that foreign keys (policy → insured, reversal → reversed row) are known before writing."""
from __future__ import annotations

import json
import sys
import time
from typing import Callable

from django.db import connection, models

BATCH = 10_000


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


def rows_write(model: type[models.Model], columns: dict[str, list], progress: Progress | None = None,
               label: str | None = None) -> int:
    """Insert equal-length columns (keyed by attname) into model's table; returns the row count."""
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    if n == 0:
        return 0
    label = label or model._meta.label
    if connection.vendor == "postgresql":
        _copy(model, columns, names, n, progress, label)
    elif connection.vendor == "sqlite":
        _bulk_insert(model, columns, names, n, progress, label)
    else:
        _bulk_create(model, columns, names, n, progress, label)
    return n


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text_column(field, values: list) -> list[str]:
    """One column in COPY text format: \\N for none, t/f, ISO dates and timestamps, escaped text.
    Done a column at a time: psycopg's per-value dumpers cost several times more."""
    if isinstance(field, models.JSONField):
        values = [_json_dump(v) for v in values]
    if isinstance(field, models.BooleanField):
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if isinstance(field, (models.DateField, models.DateTimeField)):
        return ["\\N" if v is None else v.isoformat() for v in values]
    if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
        text = [None if v is None else str(v) for v in values]
        if any(c in "".join(v for v in text if v is not None) for c in "\\\t\n\r"):
            text = [None if v is None else v.translate(_COPY_ESCAPES) for v in text]
        return ["\\N" if v is None else v for v in text]
    return ["\\N" if v is None else str(v) for v in values]


def _copy(model, columns, names, n, progress, label) -> None:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(fields[name].column) for name in names)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for start in range(0, n, BATCH * 5):
                stop = min(start + BATCH * 5, n)
                text = [_copy_text_column(fields[name], columns[name][start:stop]) for name in names]
                copy.write("".join(line + "\n" for line in map("\t".join, zip(*text))))
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
