"""Patients' data out of the audit trail and the notes (issue 14 §4): every audit row's old and
new values of `claimant` and `cause` become "changed (patients' data, not recorded)", and the
claim-ledger and pending-change notes that name their claim's claimant or cause are emptied.

The audit table and the claim ledger are append-only on PostgreSQL (core 0004, claims 0002): the
row triggers are disabled for these statements only, inside this migration's transaction, and
enabled again before it ends (the migration runs as the tables' owner; the application's role
could not). Amounts, dates and every other column are untouched. Not reversible: what was
erased is gone."""
from django.db import migrations

FIELDS = ("claimant", "cause")
MARK = "changed (patients' data, not recorded)"


def _triggers(schema_editor, tables, enable: bool):
    if schema_editor.connection.vendor != "postgresql":
        return
    q = schema_editor.quote_name
    for table in tables:
        schema_editor.execute(f"ALTER TABLE {q(table)} {'ENABLE' if enable else 'DISABLE'} TRIGGER "
                              f"{q(table + '_append_only')}", params=None)


def scrub(apps, schema_editor):
    from claims.privacy import note_mentions

    AuditEvent = apps.get_model("core", "AuditEvent")
    Claim = apps.get_model("claims", "Claim")
    ClaimTransaction = apps.get_model("claims", "ClaimTransaction")
    PendingClaimChange = apps.get_model("claims", "PendingClaimChange")
    db = schema_editor.connection.alias

    audit = []
    for event in AuditEvent.objects.using(db).only("id", "old", "new").iterator():
        old, new = dict(event.old or {}), dict(event.new or {})
        if any(k in FIELDS and d[k] != MARK for d in (old, new) if isinstance(d, dict) for k in d):
            audit.append((event.id, {k: (MARK if k in FIELDS else v) for k, v in old.items()},
                          {k: (MARK if k in FIELDS else v) for k, v in new.items()}))
    people = {c.id: (c.claimant, c.cause) for c in Claim.objects.using(db).exclude(claimant="", cause="")
              .only("id", "claimant", "cause")}
    rows = [r.id for r in ClaimTransaction.objects.using(db).exclude(note="").filter(claim_id__in=people)
            .only("id", "claim_id", "note").iterator()
            if note_mentions(r.note, claimant=people[r.claim_id][0], cause=people[r.claim_id][1])]
    pending = []
    for p in PendingClaimChange.objects.using(db).filter(claim_id__in=people).only("id", "claim_id", "note",
                                                                                   "decision_note"):
        who, cause = people[p.claim_id]
        fields = [f for f in ("note", "decision_note") if note_mentions(getattr(p, f), claimant=who, cause=cause)]
        if fields:
            pending.append((p.id, fields))
    if not (audit or rows or pending):
        return
    tables = [AuditEvent._meta.db_table, ClaimTransaction._meta.db_table]
    _triggers(schema_editor, tables, enable=False)
    for pk, old, new in audit:
        AuditEvent.objects.using(db).filter(pk=pk).update(old=old, new=new)
    ClaimTransaction.objects.using(db).filter(pk__in=rows).update(note="")
    for pk, fields in pending:
        PendingClaimChange.objects.using(db).filter(pk=pk).update(**{f: "" for f in fields})
    _triggers(schema_editor, tables, enable=True)


class Migration(migrations.Migration):

    dependencies = [
        ("claims", "0004_claim_anonymised_at"),
        ("core", "0007_audit_verb_patient_data"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
