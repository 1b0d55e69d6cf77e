"""Version 2 of the starting regimes (issue 12, decision D-34): IBNR per origin by the default
rule, origins by cover, the grain rule, from the engine's REGIME_VERSIONS; version 1 stays as it
was (runs point at it). And the data-check severity "note" (how a run was made, e.g. its grain)."""
from django.db import migrations, models

from reserving.regime_seeding import version_seeder


class Migration(migrations.Migration):
    dependencies = [("reserving", "0005_origin_methods_apriori")]
    operations = [
        migrations.AlterField(
            model_name="rundatacheck", name="severity",
            field=models.CharField(choices=[("error", "error"), ("warning", "warning"), ("note", "note")], max_length=8),
        ),
        migrations.RunPython(*version_seeder(2)),
    ]
