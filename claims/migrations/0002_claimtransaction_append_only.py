"""The claim ledger is append-only in PostgreSQL (D-33): a reserve change, payment or recovery is
corrected by its reversal row, never rewritten."""
from django.db import migrations

from core.append_only import append_only_operation


class Migration(migrations.Migration):

    dependencies = [
        ("claims", "0001_initial"),
        ("core", "0004_auditevent_append_only"),
    ]

    operations = [append_only_operation("claims", "ClaimTransaction")]
