"""Seed the two starting regimes, "ru" and "ru-51n", version 1, from the one copy of their
defaults: the engine's rules (reserving/engine/rules.py REGIME_VERSIONS, version 1; version 2 is
migration 0006). Later versions are added in the admin; a stored version never changes. (Until issue 11 this file held its own literals,
which had drifted: ru lacked 4 keys, ru-51n 3, filled silently from ru at run time.)"""
from django.db import migrations

from reserving.regime_seeding import version_seeder


class Migration(migrations.Migration):
    dependencies = [("reserving", "0001_initial")]
    operations = [migrations.RunPython(*version_seeder(1))]
