"""Fill MeasureResult's pages to half, so a recompute that changes every row stays in place.

Since the SPC charts moved to SpcResult (0007), a MeasureResult row is about 110 bytes, and
a page filled to 70 % has room for new versions of only about 40 % of its rows: a rewrite of
every row of a quarter (a re-import) updated half of them outside their page, inserting into
every index. At 50 % every row's new version fits beside the old one (HOT). Measured at
national scale: a quarter with every row changed, about 3.2× the SQL floor at 70, about 2.4×
at 50; the recompute and the first write of a quarter unchanged. PeriodResult stays at 70:
its rows are not rewritten wholesale (they carry no update time).

The setting applies to pages written from now on; VACUUM FULL rewrites the existing ones.
"""

from django.db import migrations

TABLE = "followup_measureresult"


def set_fillfactor(apps, schema_editor, value: int = 50) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no fill factor
    name = schema_editor.quote_name(TABLE)
    schema_editor.execute(f"ALTER TABLE {name} SET (fillfactor = {int(value)})")


def restore_fillfactor(apps, schema_editor) -> None:
    set_fillfactor(apps, schema_editor, 70)


class Migration(migrations.Migration):
    dependencies = [("followup", "0007_spc_results_apart")]

    operations = [migrations.RunPython(set_fillfactor, restore_fillfactor, elidable=False)]
