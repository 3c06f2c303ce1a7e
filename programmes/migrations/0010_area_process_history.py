import django.db.models.deletion
import simple_history.models
from django.db import migrations, models


def snapshot_links(apps, schema_editor):
    """Each existing record of an area gets its supporting processes as they stood until the
    area's next record (the links' own history; the links as they are for the latest), so the
    first change after this does not read as every link added."""
    area_history = apps.get_model("programmes", "HistoricalProgrammeArea")
    link_history = apps.get_model("programmes", "HistoricalProgrammeAreaProcess")
    link_model = apps.get_model("programmes", "ProgrammeAreaProcess")
    snapshot = apps.get_model("programmes", "HistoricalProgrammeAreaProcessSnapshot")
    area_ids = area_history.objects.values_list("id", flat=True).distinct()
    rows = []
    for area_id in area_ids:
        events = list(
            link_history.objects.filter(programme_area_id=area_id)
            .order_by("history_date", "history_id")
            .values(
                "id",
                "supporting_process_id",
                "provenance",
                "provenance_note",
                "history_type",
                "history_date",
            )
        )
        current = {
            link["id"]: link
            for link in link_model.objects.filter(programme_area_id=area_id).values(
                "id", "supporting_process_id", "provenance", "provenance_note"
            )
        }
        records = list(
            area_history.objects.filter(id=area_id).order_by("history_date", "history_id")
        )
        for index, record in enumerate(records):
            following = records[index + 1].history_date if index + 1 < len(records) else None
            state = {}
            for event in events:
                if following is None or event["history_date"] < following:
                    state[event["id"]] = None if event["history_type"] == "-" else event
                elif event["id"] not in state:  # first recorded later: there before unless new
                    state[event["id"]] = None if event["history_type"] == "+" else event
            for link_id, link in current.items():
                state.setdefault(link_id, link)  # never recorded: there all along
            for link in state.values():
                if link is not None:
                    rows.append(
                        snapshot(
                            id=link["id"],
                            history=record,
                            programme_area_id=area_id,
                            supporting_process_id=link["supporting_process_id"],
                            provenance=link["provenance"],
                            provenance_note=link["provenance_note"],
                        )
                    )
    snapshot.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0009_activity_status_note"),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalProgrammeAreaProcessSnapshot",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "provenance",
                    models.CharField(
                        choices=[
                            ("plan", "Ur planen"),
                            ("exempel", "Exempel – fastställs av regionen"),
                            ("region", "Fastställd av regionen"),
                        ],
                        default="region",
                        help_text="Ur planen, ett exempel som regionen ska fastställa, eller fastställt av regionen.",
                        max_length=10,
                        verbose_name="ursprung",
                    ),
                ),
                (
                    "provenance_note",
                    models.TextField(
                        blank=True,
                        help_text="Planens formulering där rubriken är omskriven, eller vad exemplet antar och regionen behöver ta ställning till.",
                        verbose_name="kommentar om ursprunget",
                    ),
                ),
                ("m2m_history_id", models.AutoField(primary_key=True, serialize=False)),
                (
                    "history",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="programmes.historicalprogrammearea",
                    ),
                ),
                (
                    "programme_area",
                    models.ForeignKey(
                        blank=True,
                        db_column="programmearea_id",
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="programmes.programmearea",
                        verbose_name="programområde",
                    ),
                ),
                (
                    "supporting_process",
                    models.ForeignKey(
                        blank=True,
                        db_column="supportingprocess_id",
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="programmes.supportingprocess",
                        verbose_name="stödjande process",
                    ),
                ),
            ],
            options={
                "verbose_name": "HistoricalProgrammeAreaProcessSnapshot",
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(snapshot_links, migrations.RunPython.noop),
    ]
