"""Reads of the segment table."""
from __future__ import annotations

from collections.abc import Iterator

from segments.models import Segment

FIELDS = ("code", "name_en", "name_ru", "name_fa", "line_of_business", "accounting_group")


def segment_codes() -> set[str]:
    return set(Segment.objects.values_list("code", flat=True))


def segments_by_code() -> dict[str, dict]:
    return {row["code"]: row for row in Segment.objects.values(*FIELDS)}


def segment_groups() -> dict[str, str]:
    """Segment code → accounting group code, for the segments that name one."""
    return {code: group for code, group in Segment.objects.values_list("code", "accounting_group") if group}


def segments_for_export() -> Iterator[dict]:
    return Segment.objects.order_by("code").values(*FIELDS).iterator()
