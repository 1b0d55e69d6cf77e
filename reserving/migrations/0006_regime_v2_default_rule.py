"""Version 2 of the starting regimes (issue 12, decision D-34): IBNR per origin by the default
rule, origins by cover, the grain rule, from the engine's REGIME_VERSIONS; version 1 stays as it
was (runs point at it). And the data-check severity "note" (how a run was made, e.g. its grain)."""
from django.db import migrations, models


def seed_specs(version: int) -> dict[str, dict]:
    from reserving.engine.rules import REGIME_VERSIONS

    return {code: {"effective_from": r.effective_from.isoformat(), "name": r.name, "description": r.description,
                   "parameters": dict(r.parameters)}
            for code, versions in REGIME_VERSIONS.items() for r in versions if r.version == version}


def seed(apps, schema_editor):
    Regime = apps.get_model("reserving", "Regime")
    for code, spec in seed_specs(2).items():
        Regime.objects.get_or_create(code=code, version=2, defaults=spec)


def unseed(apps, schema_editor):
    apps.get_model("reserving", "Regime").objects.filter(code__in=list(seed_specs(2)), version=2,
                                                         runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reserving", "0005_origin_methods_apriori")]
    operations = [
        migrations.AlterField(
            model_name="rundatacheck", name="severity",
            field=models.CharField(choices=[("error", "error"), ("warning", "warning"), ("note", "note")], max_length=8),
        ),
        migrations.RunPython(seed, unseed),
    ]
