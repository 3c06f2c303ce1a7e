"""MeasureResult: its own key (quarter, unit, measure) as primary key; no id, no unit index.

One index instead of three: at national scale an id's index cost a quarter's first write about
0.25× the SQL floor and an index on unit alone about 0.4×, while the key serves the reads by
unit (one quarter, or several with quarter IN (…)).

Django cannot migrate a table to or from a composite primary key, so the state changes as
the model says, and the table is rebuilt from that state: its rows are copied aside, the
table is created again (key, columns, checks) and the rows copied back. The same rebuild
from the earlier state reverses it. The rows are derived data (compute_followup --all
rebuilds them), but a migration keeps them all the same.
"""

import django.db.models.deletion
from django.db import migrations, models

COPY = "gonv_measureresult_copy"


def rebuild(apps, schema_editor) -> None:
    """Create the table as the model in `apps` says, with the rows it had."""
    model = apps.get_model("followup", "MeasureResult")
    quote = schema_editor.quote_name
    table = quote(model._meta.db_table)
    # The columns both versions have: every concrete column but the surrogate id.
    columns = ", ".join(
        quote(field.column)
        for field in model._meta.local_concrete_fields
        if field.column and field.column != "id"
    )
    schema_editor.execute(f"CREATE TEMP TABLE {COPY} AS SELECT {columns} FROM {table}")
    schema_editor.execute(f"DROP TABLE {table}")
    schema_editor.create_model(model)
    if schema_editor.connection.vendor == "postgresql":
        # As migration 0008: room on each page for a rewrite's new row versions (HOT updates).
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
    schema_editor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {COPY}")
    schema_editor.execute(f"DROP TABLE {COPY}")


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0009_swedish_labels_of_computed_rows"),
        ("organisation", "0002_initial"),
    ]

    operations = [
        # Backwards, this runs last, on the state with the id: the table gets it back.
        migrations.RunPython(migrations.RunPython.noop, rebuild, elidable=False),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="measureresult",
                    name="measureresult_unique_key",
                ),
                migrations.RemoveField(
                    model_name="measureresult",
                    name="id",
                ),
                migrations.AddField(
                    model_name="measureresult",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "quarter",
                        "unit",
                        "measure",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="measureresult",
                    name="unit",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="measure_results",
                        to="organisation.unit",
                        verbose_name="enhet",
                    ),
                ),
            ],
        ),
        # Forwards, on the new state: the table gets the composite key.
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=False),
    ]
