"""Load the seed tariff IR-PARAMED-1399 and the 1399 diyeh from tariff/fixtures/ir_paramed_1399.json,
so every database (demo, tests) can quote out of the box. The fixture stays the one source of
the seed's numbers; rows get fresh primary keys so PostgreSQL sequences stay right."""
import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ir_paramed_1399.json"


def seed_load(apps, schema_editor):
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    versions = {}
    for row in rows:
        model = apps.get_model(*row["model"].split("."))
        fields = dict(row["fields"])
        if row["model"] == "tariff.tariffversion":
            if model.objects.filter(code=fields["code"]).exists():
                return
            versions[row["pk"]] = model.objects.create(**fields)
        elif row["model"] == "tariff.diyehamount":
            fields.pop("created_at", None)
            model.objects.get_or_create(jalali_year=fields["jalali_year"], defaults=fields)
        else:
            fields["version"] = versions[fields["version"]]
            model.objects.create(**fields)


class Migration(migrations.Migration):
    dependencies = [("tariff", "0001_initial")]
    operations = [migrations.RunPython(seed_load, migrations.RunPython.noop)]
