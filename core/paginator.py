"""A list page's row count that does not read a large table in full (issue 16 §3, the 1M book).

Django's admin counts the rows of every list it pages (COUNT(*) over the table: seconds on a
million policies in PostgreSQL). An unfiltered list of a large table takes PostgreSQL's own
estimate instead (pg_class.reltuples, kept by ANALYZE and autovacuum; the import ANALYZEs what
it wrote); a filtered or searched list, and any table under ESTIMATE_ABOVE rows, is counted."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

ESTIMATE_ABOVE = 100_000


def table_estimate(using: str, table: str) -> int | None:
    """PostgreSQL's estimate of a table's rows; None elsewhere or when it has never been analysed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [connection.ops.quote_name(table)])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where:
            estimate = table_estimate(rows.db, rows.model._meta.db_table)
            if estimate is not None and estimate > ESTIMATE_ABOVE:
                return estimate
        return super().count
