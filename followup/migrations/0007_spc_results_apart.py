"""SPC charts move from MeasureResult.spc to their own table, SpcResult.

A chart is about 1 kB a series; inline it made each MeasureResult row about ten times its
size, and the roll-up reads three quarters of those rows (the quarter, the previous one and
the same quarter last year) and rewrites one. Measured at national scale: the roll-up's
aggregation took about a third of the SQL floor longer with the charts inline.

Existing charts are carried over, so nothing needs recomputing.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_charts(apps, schema_editor) -> None:
    MeasureResult = apps.get_model("followup", "MeasureResult")
    SpcResult = apps.get_model("followup", "SpcResult")
    rows = (
        MeasureResult.objects.filter(spc__isnull=False)
        .values_list("quarter", "measure_id", "unit_id", "spc")
        .iterator(chunk_size=2000)
    )
    batch = []
    for quarter, measure_id, unit_id, spc in rows:
        batch.append(
            SpcResult(
                quarter=quarter,
                measure_id=measure_id,
                unit_id=unit_id,
                summary=spc,
                digest=spc.pop("digest", ""),
            )
        )
        if len(batch) >= 2000:
            SpcResult.objects.bulk_create(batch)
            batch = []
    SpcResult.objects.bulk_create(batch)


def copy_charts_back(apps, schema_editor) -> None:
    MeasureResult = apps.get_model("followup", "MeasureResult")
    SpcResult = apps.get_model("followup", "SpcResult")
    for chart in SpcResult.objects.iterator(chunk_size=2000):
        MeasureResult.objects.filter(
            quarter=chart.quarter, measure_id=chart.measure_id, unit_id=chart.unit_id
        ).update(spc={**chart.summary, "digest": chart.digest})


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0006_goalresult_inputs_digest"),
        ("organisation", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SpcResult",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quarter", models.CharField(max_length=6)),
                ("summary", models.JSONField()),
                ("digest", models.CharField(max_length=32)),
                (
                    "measure",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spc_results",
                        to="followup.measure",
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spc_results",
                        to="organisation.unit",
                    ),
                ),
            ],
            options={
                "verbose_name": "beräknat styrdiagram",
                "verbose_name_plural": "beräknade styrdiagram",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("quarter", "measure", "unit"), name="spcresult_unique_key"
                    )
                ],
            },
        ),
        migrations.RunPython(copy_charts, copy_charts_back),
        migrations.RemoveField(model_name="measureresult", name="spc"),
    ]
