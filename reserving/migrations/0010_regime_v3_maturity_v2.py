"""Version 3 of the starting regimes (issue 12): the default rule maturity-v2 — maturity-v1's
selection on development factors weighted toward 1.0 by their precision — from the engine's
REGIME_VERSIONS; versions 1 and 2 stay as they were (runs point at them)."""
from django.db import migrations


def seed_specs(version: int) -> dict[str, dict]:
    from reserving.engine.rules import REGIME_VERSIONS

    return {code: {"effective_from": r.effective_from.isoformat(), "name": r.name, "description": r.description,
                   "parameters": dict(r.parameters)}
            for code, versions in REGIME_VERSIONS.items() for r in versions if r.version == version}


def seed(apps, schema_editor):
    Regime = apps.get_model("reserving", "Regime")
    for code, spec in seed_specs(3).items():
        Regime.objects.get_or_create(code=code, version=3, defaults=spec)


def unseed(apps, schema_editor):
    apps.get_model("reserving", "Regime").objects.filter(code__in=list(seed_specs(3)), version=3,
                                                         runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reserving", "0009_runsegmentinput_earned_gross")]
    operations = [migrations.RunPython(seed, unseed)]
