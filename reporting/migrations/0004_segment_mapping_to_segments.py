"""The segment → accounting group mapping moves to the segment table (segments.Segment,
issue 17 §0): each mapping's group is written onto its segment (added if missing), then the
mapping table goes. Backwards, the mappings are rebuilt from the segments."""
from django.db import migrations, models
import django.db.models.deletion


def mappings_to_segments(apps, schema_editor):
    SegmentMapping = apps.get_model("reporting", "SegmentMapping")
    Segment = apps.get_model("segments", "Segment")
    for mapping in SegmentMapping.objects.select_related("accounting_group"):
        segment, _ = Segment.objects.get_or_create(code=mapping.segment)
        segment.accounting_group = mapping.accounting_group.code
        segment.save(update_fields=["accounting_group"])


def segments_to_mappings(apps, schema_editor):
    SegmentMapping = apps.get_model("reporting", "SegmentMapping")
    AccountingGroup = apps.get_model("reporting", "AccountingGroup")
    Segment = apps.get_model("segments", "Segment")
    groups = {g.code: g for g in AccountingGroup.objects.all()}
    for segment in Segment.objects.exclude(accounting_group=""):
        if segment.accounting_group in groups:
            SegmentMapping.objects.get_or_create(segment=segment.code,
                                                 defaults={"accounting_group": groups[segment.accounting_group]})


class Migration(migrations.Migration):
    dependencies = [("reporting", "0003_translatable_labels"), ("segments", "0002_seed_demo_segments")]
    operations = [
        migrations.RunPython(mappings_to_segments, segments_to_mappings),
        migrations.DeleteModel(name="SegmentMapping"),
    ]
