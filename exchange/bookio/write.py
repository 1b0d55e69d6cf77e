"""The bulk writer: whole columns into a table, by COPY on PostgreSQL (psycopg 3, fed CSV that
pyarrow writes from the columns in C) and by batched INSERTs elsewhere; never a save per row. Primary keys are reserved up front so
that foreign keys (policy → insured, reversal → reversed row) are known before writing."""
from __future__ import annotations

import json
import queue
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timezone as dt_timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import IntegrityError, connection, models

BATCH = 10_000
COPY_CHUNK = 25_000


def ids_reserve(model: type[models.Model], n: int) -> np.ndarray:
    """n fresh primary keys for `model`, taken from its sequence (PostgreSQL) or past the
    current maximum (SQLite, whose writers are serialised by the transaction anyway)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One text value, not n rows: fetching a million one-column rows cost more than
            # the million nextval() calls. Concurrent writers may interleave, so every id is read.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]  # looked up once: per row it cost more than nextval
            cursor.execute("SELECT string_agg(nextval(%s::regclass)::text, ',') FROM generate_series(1, %s)",
                           [sequence, n])
            return np.array(cursor.fetchone()[0].split(","), dtype=np.int64)
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
    return np.arange(start, start + n, dtype=np.int64)


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


# Below this many rows a table keeps its indexes during a load: rebuilding costs more.
REBUILD_MIN = 10_000


@contextmanager
def bulk_load(rows_by_model: dict[type[models.Model], int]):
    """Load into tables without their secondary indexes and their foreign keys to one another,
    then rebuild both once (PostgreSQL; elsewhere nothing changes).

    A COPY into a table with ten indexes updates each index row by row, and every foreign key
    queues a deferred check per row that runs at COMMIT (one index probe and a row lock each:
    a third of a 1M book's load). Built after the load, an index is one sort, and a foreign
    key one anti-join (ALTER TABLE … ADD CONSTRAINT validates the table in one query).

    It applies only to a table that holds fewer rows than the book brings (a first load, or a
    book larger than what is there): rebuilding a big table for a small book would cost more.
    Kept as they are: primary keys and unique constraints (the book's ids, numbers), CHECK
    constraints, triggers (the ledgers' append-only triggers fire on UPDATE and DELETE, never
    touched), and foreign keys to tables the load does not write (auth_user: dropping one locks
    the referenced table for the whole load). Everything is done inside the caller's
    transaction: an error rolls the drop back with the rows, and the recreated objects have
    the same names and definitions (pg_get_indexdef / pg_get_constraintdef). Until COMMIT the
    loaded tables are locked ACCESS EXCLUSIVE (as a dropped index requires), so readers wait
    for the load instead of seeing it half-done."""
    if connection.vendor != "postgresql":
        yield []
        return
    quote = connection.ops.quote_name
    tables = {model._meta.db_table: n for model, n in rows_by_model.items()}
    written = sorted(tables)
    indexes: list[tuple[str, str]] = []
    foreign_keys: list[tuple[str, str, str]] = []
    outer: list[tuple[str, str, str, str, str, str]] = []  # (table, trigger, column, parent, key, name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = bool(cursor.fetchone()[0])
        for table, n in tables.items():
            if n < REBUILD_MIN:
                continue
            cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT %s) AS present", [n])
            if cursor.fetchone()[0] >= n:
                continue
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f' AND confrelid::regclass::text = ANY(%s) ORDER BY conname", [table, written])
            foreign_keys += [(table, name, definition) for name, definition in cursor.fetchall()]
            if superuser:
                # The per-row check triggers of the foreign keys kept (to auth_user), only
                # PostgreSQL's superuser may switch them off; checked in one query at the end.
                cursor.execute(
                    "SELECT t.tgname, a.attname, c.confrelid::regclass::text, fa.attname, c.conname "
                    "FROM pg_constraint c JOIN pg_trigger t ON t.tgconstraint = c.oid AND t.tgrelid = c.conrelid "
                    "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                    "JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1] "
                    "WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND cardinality(c.conkey) = 1 "
                    "AND NOT (c.confrelid::regclass::text = ANY(%s)) ORDER BY t.tgname", [table, written])
                outer += [(table, *row) for row in cursor.fetchall()]
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1", [table])
            indexes += cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")  # already quoted by ::regclass::text
        for table, trigger, *_ in outer:
            cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
    yield [name for name, _ in indexes] + [name for _, name, _ in foreign_keys]
    if not indexes and not foreign_keys and not outer:
        return
    with connection.cursor() as cursor:
        # The sorts of the rebuild in memory, for this transaction only.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # CREATE INDEX and ALTER TABLE refuse a table with deferred checks still queued (those
        # of the foreign keys kept, to auth_user): run them now, then defer again as declared
        # (every deferrable constraint of the schema is INITIALLY DEFERRED, Django's default).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger, column, parent, key, name in outer:
            # What the switched-off trigger did row by row, for the whole table at once: every
            # value names a row of the parent, which is locked FOR KEY SHARE (not deleted or
            # re-keyed before COMMIT). A few distinct values: the import's actor, mostly.
            q_col, q_key = quote(column), quote(key)
            cursor.execute(
                f"SELECT v FROM (SELECT DISTINCT {q_col} AS v FROM {quote(table)} WHERE {q_col} IS NOT NULL) AS used "
                f"WHERE NOT EXISTS (SELECT 1 FROM {quote(parent)} p WHERE p.{q_key} = used.v) LIMIT 1")
            orphan = cursor.fetchone()
            if orphan is not None:
                raise IntegrityError(f"insert or update on table {table} violates foreign key constraint "
                                     f"{name}: key ({column})=({orphan[0]}) is not present in table {parent}")
            cursor.execute(
                f"SELECT 1 FROM {quote(parent)} WHERE {q_key} IN (SELECT DISTINCT {q_col} FROM {quote(table)}) "
                "FOR KEY SHARE")
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(trigger)}")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def id_runs(ids: np.ndarray) -> tuple[list[int], list[int]]:
    """Reserved ids as runs of consecutive values (first and last of each): one run, mostly,
    several where another writer took values of the sequence meanwhile."""
    ids = np.sort(np.asarray(ids, dtype=np.int64))
    if len(ids) == 0:
        return [], []
    breaks = np.flatnonzero(np.diff(ids) != 1)
    return ids[np.r_[0, breaks + 1]].tolist(), ids[np.r_[breaks, len(ids) - 1]].tolist()


def _rows_of(table: str, alias: str, ids: np.ndarray) -> tuple[str, list]:
    """A FROM item (with its parameters) of exactly the rows of `table` whose id is among `ids`:
    a range for one run, else a join with the runs (a range scan each)."""
    lo, hi = id_runs(ids)
    quote = connection.ops.quote_name
    if len(lo) == 1:
        return f"(SELECT * FROM {quote(table)} WHERE id BETWEEN %s AND %s) AS {alias}", [lo[0], hi[0]]
    return (f"(SELECT x.* FROM unnest(%s::bigint[], %s::bigint[]) AS r(lo, hi) JOIN {quote(table)} x "
            f"ON x.id BETWEEN r.lo AND r.hi) AS {alias}"), [lo, hi]


def history_insert_select(history_model: type[models.Model], ids: np.ndarray, names: list[str], *,
                          dated_by: type[models.Model], dated_ids: np.ndarray, dated_key: str, dated_column: str,
                          actor_id: int | None, progress: Progress | None = None) -> int:
    """PostgreSQL: the created ('+') history rows of rows just written, one INSERT … SELECT from
    them instead of a second COPY of the same values from Python; returns the row count.

    `ids` are the rows' primary keys (reserved by this import: no other writer has them, so a
    run of them selects exactly the rows written) and `names` the attnames written. Each
    history row is dated by the row of `dated_by` among `dated_ids` whose `dated_key` names it
    (the policy's original premium and its recorded_at); the rows go in in id order, so the
    history ids follow the rows as a COPY in that order gave them. Reason NULL, the actor's id."""
    source = history_model.instance_type
    quote = connection.ops.quote_name
    hist = {f.attname: f for f in history_model._meta.concrete_fields}
    src = {f.attname: f for f in source._meta.concrete_fields}
    dated = {f.attname: f for f in dated_by._meta.concrete_fields}
    names = ["id", *[name for name in names if name != "id"]]
    targets = ", ".join(quote(hist[name].column) for name in names)
    values = ", ".join(f"s.{quote(src[name].column)}" for name in names)
    user = hist["history_user_id"]
    source_rows, source_params = _rows_of(source._meta.db_table, "s", ids)
    dated_rows, dated_params = _rows_of(dated_by._meta.db_table, "t", dated_ids)
    # One run of ids a side (no other writer took values meanwhile): two ordered range scans
    # and a merge join give the rows in id order without sorting them (the wide side).
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} ({targets}, {quote(hist['history_date'].column)}, "
        f"{quote(hist['history_change_reason'].column)}, {quote(hist['history_type'].column)}, {quote(user.column)}) "
        f"SELECT {values}, t.{quote(dated[dated_column].column)}, NULL, '+', "
        f"%s::{user.target_field.rel_db_type(connection)} "
        f"FROM {source_rows} JOIN {dated_rows} ON t.{quote(dated[dated_key].column)} = s.id ORDER BY s.id")
    with connection.cursor() as cursor:
        # Statistics of a large load first: without them the planner takes the just-filled
        # tables for a few pages and plans bitmap scans, a hash and a sort of the wide rows
        # instead of two range scans and a merge join. A small book keeps the statistics there are.
        if len(ids) >= REBUILD_MIN:
            for table in (source._meta.db_table, dated_by._meta.db_table):
                cursor.execute(f"ANALYZE {quote(table)}")
        # the sort of the dating rows (narrow: a key and a date) in memory, for this statement
        cursor.execute("SELECT current_setting('work_mem')")
        work_mem = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('work_mem', '128MB', true)")
        cursor.execute(sql, [actor_id, *source_params, *dated_params])
        n = cursor.rowcount
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
    if n != len(ids):  # one dating row per row, or the history would be short (or doubled)
        raise IntegrityError(f"{history_model._meta.db_table}: {n} history rows for {len(ids)} rows")
    if progress:
        progress.tick(f"writing {history_model._meta.label}", n, n)
    return n


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


def _rows(values, start: int, stop: int):
    """Rows [start, stop) of a column of any form, without copying where the form allows."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.slice(start, stop - start)
    if isinstance(values, pd.Series):
        return values.iloc[start:stop]
    return values[start:stop]


def _copy(model, columns, names, n, progress, label) -> None:
    """COPY … FROM STDIN (FORMAT csv) fed with pyarrow-written CSV, a chunk at a time: pyarrow
    quotes every text value, so an unquoted empty field is NULL and "" is the empty string."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    quoted = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(fields[name].column) for name in names)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed", batch_size=COPY_CHUNK)
    # The next chunk's CSV is written (pyarrow, without the GIL) while the server parses the
    # previous one: two cores at work instead of one waiting for the other. Two chunks ahead
    # at most, so the text in memory stays a few megabytes.
    chunks: queue.Queue = queue.Queue(maxsize=2)

    def produce():
        try:
            for start in range(0, n, COPY_CHUNK):
                stop = min(start + COPY_CHUNK, n)
                # Converted a chunk at a time: the whole table in COPY's types at once was a
                # second copy of the book's largest columns (a million policies: ~0.3 GB).
                table = pa.table({name: arrow_column(_rows(columns[name], start, stop), fields[name])
                                  for name in names})
                buffer = pa.BufferOutputStream()
                pa_csv.write_csv(table, buffer, options)
                del table
                chunks.put((stop, buffer.getvalue()))
        except BaseException as exc:  # handed to the copying thread, which raises it
            chunks.put((None, exc))
            return
        chunks.put((None, None))

    producer = threading.Thread(target=produce, name=f"copy {label}", daemon=True)
    producer.start()
    try:
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {quoted} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
                while True:
                    stop, data = chunks.get()
                    if stop is None:
                        if data is not None:
                            raise data
                        break
                    copy.write(memoryview(data))
                    if progress:
                        progress.tick(f"writing {label}", stop, n)
    finally:
        while producer.is_alive():  # a failed COPY: let the producer finish its last put
            try:
                chunks.get(timeout=0.1)
            except queue.Empty:
                pass
        producer.join()


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
