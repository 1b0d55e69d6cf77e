"""Seed the accounting groups, the demo segments' mapping and the pre-2025 chart of accounts."""
from django.db import migrations

GROUPS = [
    ("1", "Добровольное медицинское страхование", "Voluntary health insurance", True),
    ("2.1", "Страхование от несчастных случаев и болезней", "Accident and sickness insurance", True),
    ("3", "ОСАГО", "Compulsory motor third-party liability", True),
    ("7", "Страхование средств наземного транспорта", "Land vehicles", True),
    ("13", "Страхование гражданской ответственности за причинение вреда третьим лицам",
     "Liability for harm caused to third parties (incl. medical professional liability)", False),
    ("16", "Страхование лиц, выезжающих за пределы постоянного места жительства", "Travel insurance", True),
]
SEGMENTS = {"individual_occurrence": "13", "clinic_claims_made": "13"}
# (reserve type, reserve account, release/income, charge/expense, verified)
CHART = [
    ("upr", "331", "71403", "71404", False),
    ("premium_deficiency", "331", "71403", "71404", False),
    ("rbns", "332", "71403", "71404", False),
    ("ibnr", "333", "71403", "71404", False),
    ("ulae", "334", "71403", "71404", False),
]
CEDED = [("upr", "340"), ("premium_deficiency", "340"), ("rbns", "341"), ("ibnr", "342"), ("ulae", "343")]


def seed(apps, schema_editor):
    AccountingGroup = apps.get_model("reporting", "AccountingGroup")
    SegmentMapping = apps.get_model("reporting", "SegmentMapping")
    GLAccountMapping = apps.get_model("reporting", "GLAccountMapping")
    DashboardSetting = apps.get_model("reporting", "DashboardSetting")
    groups = {}
    for code, ru, en, verified in GROUPS:
        groups[code], _ = AccountingGroup.objects.get_or_create(code=code, defaults={"name_ru": ru, "name_en": en, "verified": verified})
    for segment, code in SEGMENTS.items():
        SegmentMapping.objects.get_or_create(segment=segment, defaults={"accounting_group": groups[code]})
    for reserve_type, reserve, release, charge, verified in CHART:
        GLAccountMapping.objects.get_or_create(
            accounting_regime="ru-pre2025", reserve_type=reserve_type, side="gross",
            defaults={"reserve_account": reserve, "release_account": release, "charge_account": charge, "verified": verified})
    for reserve_type, account in CEDED:  # reinsurers' shares: accounts confirmed, ready for the reinsurance work
        GLAccountMapping.objects.get_or_create(
            accounting_regime="ru-pre2025", reserve_type=reserve_type, side="ceded",
            defaults={"reserve_account": account, "release_account": "71404", "charge_account": "71403", "verified": False})
    DashboardSetting.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
