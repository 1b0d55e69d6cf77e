from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Segment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(help_text='what policies, runs and the exchange files carry, e.g. "individual_occurrence"', max_length=64, unique=True, verbose_name="code")),
                ("name_en", models.CharField(blank=True, max_length=200, verbose_name="name en")),
                ("name_ru", models.CharField(blank=True, max_length=200, verbose_name="name ru")),
                ("name_fa", models.CharField(blank=True, max_length=200, verbose_name="name fa")),
                ("line_of_business", models.CharField(blank=True, help_text="Solvency II line of business number (8 = general liability, where medical malpractice belongs)", max_length=16, verbose_name="line of business")),
                ("accounting_group", models.CharField(blank=True, help_text="code of the accounting group it reports under in form 0420155 (blank: group 13)", max_length=16, verbose_name="accounting group")),
            ],
            options={"verbose_name": "segment", "verbose_name_plural": "segments", "ordering": ["code"]},
        ),
    ]
