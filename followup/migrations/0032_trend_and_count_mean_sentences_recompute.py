"""A status sentence writes an index's or a mean's monthly trend to the values' one decimal
("+1,3 per månad", not "+1,27"), and a count's baseline of several periods, their mean, to one
decimal where it is not whole ("i snitt 195,5 st"), as the goal's "Underlag" now writes it too;
so are a count goal's target computed from it ("minst 215,1 st", not "215,05"), its forecast and
its trend per month ("+2,4 st per månad", not "+2,35"), as the "Underlag" and the Prognos column
write them; and a count's, an index's or a mean's target as GoalResult stores it (six decimals,
"98,2" of 98,15, not the "98,1" of the computed 98,1499…), as the "Underlag" writes it.
No column changes: the stored sentences are rewritten when their quarters are computed again."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def mark_trend_and_count_mean_goal_quarters(apps, schema_editor):
    """Every quarter with a result whose stored sentence may read otherwise now is marked for
    recompute (the RecomputeRequest outbox the nightly run claims), as 0031 marked the index
    and mean goals': an index or a mean goal's with a forecast (its sentence writes the trend),
    a relative goal's on a count (its baseline may be a mean, its target is computed), a count
    goal's with a forecast (its sentence writes the forecast and the trend), a relative goal's
    on an index or a mean (its target is computed, written as stored). The engine's code is part of
    each goal's digest, but the nightly run computes only the latest two quarters; a quarter
    already marked keeps its mark; a closed report keeps the body it was closed with."""
    GoalResult = apps.get_model("followup", "GoalResult")
    RecomputeRequest = apps.get_model("followup", "RecomputeRequest")
    quarters = set(
        GoalResult.objects.filter(
            Q(goal__measure__value_type__in=("index", "mean"), forecast__isnull=False)
            | Q(
                goal__measure__value_type__in=("count", "index", "mean"),
                goal__relative_change_pct__isnull=False,
            )
            | Q(goal__measure__value_type="count", forecast__isnull=False)
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
        ("followup", "0031_index_mean_sentences_recompute"),
    ]

    operations = [
        migrations.RunPython(
            mark_trend_and_count_mean_goal_quarters, migrations.RunPython.noop, elidable=True
        ),
    ]
