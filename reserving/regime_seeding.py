"""Seeding one regime version from the single copy of its defaults, the engine's REGIME_VERSIONS,
for the migrations that add a version (0002, 0006, 0010, …). A stored version never changes, so
each migration names the version it adds; backwards removes it only where no run points at it."""
from __future__ import annotations

from collections.abc import Callable

from reserving.engine.rules import REGIME_VERSIONS


def regime_specs(version: int) -> dict[str, dict]:
    """{regime code: the Regime row's fields} for every starting regime that has `version`."""
    return {code: {"effective_from": r.effective_from.isoformat(), "name": r.name, "description": r.description,
                   "parameters": dict(r.parameters)}
            for code, versions in REGIME_VERSIONS.items() for r in versions if r.version == version}


def version_seeder(version: int) -> tuple[Callable, Callable]:
    """(forward, backward) for migrations.RunPython adding `version` of the starting regimes."""

    def seed(apps, schema_editor):
        regime = apps.get_model("reserving", "Regime")
        for code, spec in regime_specs(version).items():
            regime.objects.get_or_create(code=code, version=version, defaults=spec)

    def unseed(apps, schema_editor):
        apps.get_model("reserving", "Regime").objects.filter(
            code__in=list(regime_specs(version)), version=version, runs__isnull=True).delete()

    return seed, unseed
