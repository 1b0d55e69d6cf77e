"""Exactly one official (approved, not superseded) run per valuation date and regime. A
migration of its own: PostgreSQL refuses to alter a table with the previous migration's
deferred foreign-key checks still pending."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reserving", "0003_run_superseded_by"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='reserverun',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'approved'), ('superseded_by__isnull', True)), fields=('valuation_date', 'regime_code'), name='one_official_run_per_date_and_regime'),
        ),
    ]
