"""An activity plan records whether its last review reopened it for change ("Öppna för
ändring") rather than sending it back, so the VO's lists and "Att göra" word the two apart.

Existing plans (and their history records) are filled from the history: a review (a new
`reviewed_at`) that took an approved plan back to draft reopened it; any other review did not.
"""

from django.db import migrations, models

DRAFT = "utkast"
ACCEPTED = "godkand"


def fill_reopened(apps, schema_editor):
    ActivityPlan = apps.get_model("programmes", "ActivityPlan")
    History = apps.get_model("programmes", "HistoricalActivityPlan")
    reopened_records: list[int] = []
    reopened_plans: list[int] = []
    records = History.objects.order_by("id", "history_date", "history_id").values_list(
        "id", "history_id", "status", "reviewed_at"
    )
    plan_id = None
    before_status = before_review = None
    reopened = False
    reviews: dict[tuple[int, object], bool] = {}
    for record_plan, history_id, status, reviewed_at in records.iterator():
        if record_plan != plan_id:
            plan_id, before_status, before_review, reopened = record_plan, None, None, False
        if reviewed_at is None:
            reopened = False
        elif reviewed_at != before_review:
            reopened = status == DRAFT and before_status == ACCEPTED
            reviews.setdefault((record_plan, reviewed_at), reopened)
        if reopened:
            reopened_records.append(history_id)
        before_status, before_review = status, reviewed_at
    # A plan keeps its last review's word while the VO changes and submits it again.
    for plan, reviewed_at in ActivityPlan.objects.filter(reviewed_at__isnull=False).values_list(
        "pk", "reviewed_at"
    ):
        if reviews.get((plan, reviewed_at)):
            reopened_plans.append(plan)
    # update(), not save(): filling a new field is no change of the plan, so no new history.
    History.objects.filter(history_id__in=reopened_records).update(reopened=True)
    ActivityPlan.objects.filter(pk__in=reopened_plans).update(reopened=True)


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0006_workingmethod_unique_name_per_area"),
    ]

    operations = [
        migrations.AddField(
            model_name="activityplan",
            name="reopened",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="öppnad för ändring"
            ),
        ),
        migrations.AddField(
            model_name="historicalactivityplan",
            name="reopened",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="öppnad för ändring"
            ),
        ),
        migrations.RunPython(fill_reopened, migrations.RunPython.noop),
    ]
