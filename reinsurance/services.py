"""Writes of the treaties: one save = one transaction = one audit row (TREATY_SAVE)."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from core.models import AuditVerb
from core.roles import Operation, authorize
from core.services import audit_record
from reinsurance import rules, selectors
from reinsurance.models import Treaty
from segments.selectors import segment_codes


def _jsonable(row: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def treaty_check(*, actor, **fields) -> dict:
    """The terms `treaty_save` would write, checked against the rules and the other treaties
    (the admin form asks before it saves, so that a refusal shows beside its field)."""
    authorize(actor, Operation.TREATY_SAVE)
    return rules.treaty_check(fields, segments=segment_codes(),
                              others=selectors.treaties_as_rows(exclude_code=fields.get("code")))


@transaction.atomic
def treaty_save(*, actor, **fields) -> Treaty:
    """Add the treaty of `fields["code"]`, or change it; refused (nothing written) when it
    breaks a rule of reinsurance.rules, overlapping another treaty included."""
    authorize(actor, Operation.TREATY_SAVE)
    Treaty.objects.select_for_update().filter(segment=fields.get("segment")).exists()  # serialise savers per segment
    checked = treaty_check(actor=actor, **fields)
    treaty = Treaty.objects.filter(code=checked["code"]).first()
    old = {} if treaty is None else _jsonable({f: getattr(treaty, f) for f in rules.FIELDS})
    treaty = treaty or Treaty(code=checked["code"])
    for f, v in checked.items():
        setattr(treaty, f, v)
    treaty.save()
    audit_record(actor=actor, verb=AuditVerb.TREATY_SAVE, target=treaty, old=old, new=_jsonable(checked))
    return treaty
