"""A weighted mean's baseline of several periods is weighted by the periods' nämnare (Σ värde ×
nämnare ÷ Σ nämnare), no longer the mean of their values: no column changes, since each
period's total weight has been stored since 0028 (PeriodResult.denominator)."""

from django.db import migrations
from django.utils import timezone


def mark_weighted_mean_goal_quarters(apps, schema_editor):
    """Every quarter with a result of a relative goal on a weighted mean is marked for recompute
    (the RecomputeRequest outbox the nightly run claims), as 0028 marked the shares': its
    baseline is then weighted. A quarter already marked keeps its mark; the other quarters' goals
    are re-evaluated on their next run anyway (the engine's code is part of each goal's
    digest)."""
    GoalResult = apps.get_model("followup", "GoalResult")
    RecomputeRequest = apps.get_model("followup", "RecomputeRequest")
    quarters = set(
        GoalResult.objects.filter(
            goal__relative_change_pct__isnull=False,
            goal__measure__aggregation="weighted_mean",
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
        ("followup", "0029_quarter_report_body_in_its_version"),
        ("goals", "0006_status_labels_wording"),
    ]

    operations = [
        migrations.RunPython(
            mark_weighted_mean_goal_quarters, migrations.RunPython.noop, elidable=True
        ),
    ]
