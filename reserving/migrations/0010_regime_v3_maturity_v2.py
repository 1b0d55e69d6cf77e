"""Version 3 of the starting regimes (issue 12): the default rule maturity-v2 — maturity-v1's
selection on development factors credibility-weighted toward the triangle's own exponential decay curve (D-51) — from the engine's
REGIME_VERSIONS; versions 1 and 2 stay as they were (runs point at them)."""
from django.db import migrations

from reserving.regime_seeding import version_seeder


class Migration(migrations.Migration):
    dependencies = [("reserving", "0009_runsegmentinput_earned_gross")]
    operations = [migrations.RunPython(*version_seeder(3))]
