"""Seed the two starting regimes, "ru" and "ru-51n", version 1, from the one copy of their
defaults: the engine's rules (reserving/engine/rules.py REGIME_VERSIONS, version 1; version 2 is
migration 0006). Later versions are added in the admin; a stored version never changes. (Until issue 11 this file held its own literals,
which had drifted: ru lacked 4 keys, ru-51n 3, filled silently from ru at run time.)"""
from django.db import migrations


def seed_specs() -> dict[str, dict]:
    from reserving.engine.rules import REGIME_VERSIONS

    return {code: {"effective_from": r.effective_from.isoformat(), "name": r.name, "description": r.description,
                   "parameters": dict(r.parameters)}
            for code, r in ((code, versions[0]) for code, versions in REGIME_VERSIONS.items())}


def seed(apps, schema_editor):
    Regime = apps.get_model("reserving", "Regime")
    for code, spec in seed_specs().items():
        Regime.objects.get_or_create(code=code, version=1, defaults=spec)


def unseed(apps, schema_editor):
    apps.get_model("reserving", "Regime").objects.filter(code__in=list(seed_specs()), version=1, runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reserving", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
