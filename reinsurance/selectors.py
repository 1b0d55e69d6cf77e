"""Reads of the treaties."""
from __future__ import annotations

from reinsurance.models import Treaty
from reinsurance.rules import FIELDS


def treaties_as_rows(exclude_code: str | None = None) -> list[dict]:
    qs = Treaty.objects.order_by("underwriting_year", "segment", "code")
    if exclude_code:
        qs = qs.exclude(code=exclude_code)
    return list(qs.values(*FIELDS))


def treaties_by_code() -> dict[str, dict]:
    return {row["code"]: row for row in treaties_as_rows()}


def treaties_for_export():
    return Treaty.objects.order_by("underwriting_year", "segment", "code").values(*FIELDS).iterator()
