"""Leave room in each page of the two large result tables for rows rewritten in place.

A recompute that changes every row of a quarter (a re-import, say) rewrites each result row.
With free space on its page, PostgreSQL writes the new version beside the old one and touches
no index (a HOT update); on full pages (the default fill factor, 100) every update inserts into
every index. Measured at national scale: a quarter with every row changed, about 4.4× the SQL
floor at fill factor 100, about 3.1× at 70. The setting applies to pages written from now on.
"""

from django.db import migrations

TABLES = ("followup_measureresult", "followup_periodresult")


def set_fillfactor(apps, schema_editor, value: int | None = 70) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no fill factor
    for table in TABLES:
        name = schema_editor.quote_name(table)
        if value is None:
            schema_editor.execute(f"ALTER TABLE {name} RESET (fillfactor)")
        else:
            schema_editor.execute(f"ALTER TABLE {name} SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor) -> None:
    set_fillfactor(apps, schema_editor, None)


class Migration(migrations.Migration):
    dependencies = [("followup", "0004_derived_results_lighter_indexes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
