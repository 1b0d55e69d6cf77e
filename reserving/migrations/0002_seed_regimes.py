"""Seed the two starting regimes, "ru" and "ru-51n", version 1. Parameters are frozen here as
literals (a migration must not change when the code does); edit later versions in the admin.
reserving.services.regimes_ensure_seeded reuses REGIMES to restore them in a flushed database."""
from django.db import migrations

COMMON = {
    "upr_method": "pro_rata",
    "premium_base": "net",
    "pre_inception_gross": True,
    "ibnr_method": "chainladder",
    "ibnr_triangle": "incurred",
    "min_origin_quarters": 8,
    "expected_loss_ratio": 0.75,
    "tail": 1.0,
    "origin_basis": "accident",
    "maintenance_expense_ratio": 0.05,
    "bootstrap_sims": 1000,
    "bootstrap_seed": 20240331,
    "large_movement_threshold": 0.25,
}

RU = dict(COMMON, fallback="elr", ulae_method="eiopa", ulae_r=0.03, ulae_a=0.5)
RU_51N = dict(COMMON, fallback="premium_share", fallback_premium_share=0.10, fallback_quarters=4,
              ulae_method="share_of_rbns", ulae_share_of_rbns=0.03)

REGIMES = {
    "ru": {
        "effective_from": "2000-01-01", "name": "Russian statutory (current): ULAE = R·(IBNR + a·RBNS)",
        "parameters": RU,
        "description": "UPR pro rata on base premium (gross − commission), whole gross unearned before inception; "
                       "RBNS; IBNR chain ladder on the incurred quarterly triangle, expected-loss-ratio fallback "
                       "below 8 origin quarters; ULAE by the EIOPA simplification."},
    "ru-51n": {
        "effective_from": "2000-01-01", "name": "Russian 51н: ULAE 3% of RBNS (reported with RBNS as РЗУ)",
        "parameters": RU_51N,
        "description": "As ru, but ULAE = 3% of RBNS and the IBNR fallback is 10% of the base premium of the "
                       "last four quarters."},
}


def seed(apps, schema_editor):
    Regime = apps.get_model("reserving", "Regime")
    for code, spec in REGIMES.items():
        Regime.objects.get_or_create(code=code, version=1, defaults=spec)


def unseed(apps, schema_editor):
    apps.get_model("reserving", "Regime").objects.filter(code__in=list(REGIMES), version=1, runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reserving", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
