"""Seed the demo book's segments (exchange/demo/params.SEGMENTS) with the names core/labels.py
and the catalogues give them, line of business 8 and accounting group 13."""
from django.db import migrations

SEED = (
    ("individual_occurrence", "individual professionals, occurrence basis",
     "индивидуальные специалисты, на базе наступления события", "متخصصان انفرادی، مبنای وقوع حادثه", "8", "13"),
    ("clinic_claims_made", "clinics, claims-made basis", "клиники, на базе предъявления претензий",
     "درمانگاه‌ها، مبنای اعلام خسارت", "8", "13"),
)


def seed(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    for code, en, ru, fa, lob, group in SEED:
        Segment.objects.get_or_create(code=code, defaults={
            "name_en": en, "name_ru": ru, "name_fa": fa, "line_of_business": lob, "accounting_group": group})


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
