"""A programme area says whether it asks each VO for an activity plan (`requests_activity_plans`).

Phase 2's plan asks only PO 1 (Teamarbete, Teamrond: "varje VO lämnar in en aktivitetsplan och
tidplan"), so the areas numbered 1 that exist are set to ask; every other area does not. Areas
are identified by their number, as the data set loader identifies them. The history records
written before the field existed keep its default (they are the area as it was then).
"""

from django.db import migrations, models


def po1_requests_plans(apps, schema_editor):
    ProgrammeArea = apps.get_model("programmes", "ProgrammeArea")
    ProgrammeArea.objects.filter(number=1).update(requests_activity_plans=True)


FIELD = dict(
    default=False,
    help_text=(
        "Varje verksamhetsområde lämnar då in en aktivitetsplan med tidplan för "
        "programområdet. Annars visas ”Ingen plan begärd” i stället för en saknad plan."
    ),
    verbose_name="begär aktivitetsplaner",
)


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0012_support_need_status_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalprogrammearea",
            name="requests_activity_plans",
            field=models.BooleanField(**FIELD),
        ),
        migrations.AddField(
            model_name="programmearea",
            name="requests_activity_plans",
            field=models.BooleanField(**FIELD),
        ),
        migrations.RunPython(po1_requests_plans, migrations.RunPython.noop),
    ]
