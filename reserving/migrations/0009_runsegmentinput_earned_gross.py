from django.db import migrations, models


class Migration(migrations.Migration):
    """The gross earned premium by quarter beside a run's stored inputs, for the loss-ratio
    dashboard (issue 15 §5). Older runs keep {} and the dashboard computes theirs as before."""

    dependencies = [("reserving", "0008_translatable_labels")]

    operations = [
        migrations.AddField(
            model_name="runsegmentinput",
            name="earned_gross",
            field=models.JSONField(blank=True, default=dict, verbose_name="gross earned premium by quarter"),
        ),
    ]
