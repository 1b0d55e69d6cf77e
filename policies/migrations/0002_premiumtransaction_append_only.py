"""The premium ledger refuses UPDATE and DELETE in PostgreSQL (issue 14 §3, D-33); corrections are
reversal rows (policies.services.premium_transaction_reverse)."""
from django.db import migrations

from core.append_only import append_only_operation


class Migration(migrations.Migration):

    dependencies = [
        ("policies", "0001_initial"),
        ("core", "0004_auditevent_append_only"),
    ]

    operations = [append_only_operation("policies", "PremiumTransaction")]
