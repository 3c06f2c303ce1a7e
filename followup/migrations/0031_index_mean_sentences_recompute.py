"""A status sentence of a goal on an index or a mean writes its values as the goal's "Underlag",
tables and chart do: to the kind's one decimal ("minst 83,6", not "minst 83,59") and without a
scale after them ("79,6", not "79,6 index"). No column changes: the stored sentences are
rewritten when their quarters are computed again."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def mark_index_and_mean_goal_quarters(apps, schema_editor):
    """Every quarter with a result of a goal on an index or a mean measure (or one whose unit is
    a scale, "index") is marked for recompute (the RecomputeRequest outbox the nightly run
    claims), as 0030 marked the weighted means': its stored sentence then reads as its
    "Underlag". A quarter already marked keeps its mark; a closed report keeps the body it was
    closed with."""
    GoalResult = apps.get_model("followup", "GoalResult")
    RecomputeRequest = apps.get_model("followup", "RecomputeRequest")
    quarters = set(
        GoalResult.objects.filter(
            Q(goal__measure__value_type__in=("index", "mean"))
            | Q(goal__measure__unit__iexact="index")
        )
        .values_list("quarter", flat=True)
        .distinct()
    )
    quarters -= set(RecomputeRequest.objects.values_list("quarter", flat=True))
    now = timezone.now()
    RecomputeRequest.objects.bulk_create(
        [
            RecomputeRequest(quarter=quarter, trigger="migration", requested_at=now)
            for quarter in sorted(quarters)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0030_weighted_mean_baselines_recompute"),
    ]

    operations = [
        migrations.RunPython(
            mark_index_and_mean_goal_quarters, migrations.RunPython.noop, elidable=True
        ),
    ]
