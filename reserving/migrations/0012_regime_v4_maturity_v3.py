"""Version 4 of the starting regimes (issue 12): the default rule maturity-v3 — maturity-v2 with
Bornhuetter–Ferguson up to 95% maturity, then chain ladder (no Benktander band) — from the
engine's REGIME_VERSIONS; versions 1–3 stay as they were (runs point at them)."""
from django.db import migrations

from reserving.regime_seeding import version_seeder


class Migration(migrations.Migration):
    dependencies = [("reserving", "0011_run_ceded")]
    operations = [migrations.RunPython(*version_seeder(4))]
