"""Writes of the segment table, and the check the policy services make."""
from __future__ import annotations

from core.errors import DomainError
from segments.models import Segment
from segments.seed import SEED


class UnknownSegment(DomainError):
    def __init__(self, code: str):
        super().__init__(f"unknown segment {code!r}: add it under Segments first", field="segment",
                         code="unknown_segment")


def segments_ensure_seeded() -> None:
    """The seeded segments, put back when the table is empty (a test database flushed by a
    transactional test); a table that holds any row is left alone."""
    if Segment.objects.exists():
        return
    Segment.objects.bulk_create([
        Segment(code=code, name_en=en, name_ru=ru, name_fa=fa, line_of_business=lob, accounting_group=group)
        for code, en, ru, fa, lob, group in SEED], ignore_conflicts=True)


def segment_check(code: str) -> str:
    """The code if the table knows it; UnknownSegment otherwise."""
    segments_ensure_seeded()
    if not code or not Segment.objects.filter(code=code).exists():
        raise UnknownSegment(code)
    return code
