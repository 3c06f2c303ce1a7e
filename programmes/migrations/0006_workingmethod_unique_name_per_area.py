"""A working method's name is unique within its programme area, upper and lower case alike.

Names an area already has twice (saved before this rule) get a number first: the second
"Teamrond" becomes "Teamrond (2)", keeping its goals and adoption records, so that the strategist
can tell them apart, then move what belongs together and delete the one left unused.
"""

import django.db.models.functions.text
from django.db import migrations, models


def number_duplicate_names(apps, schema_editor):
    WorkingMethod = apps.get_model("programmes", "WorkingMethod")
    seen: dict[tuple[int, str], int] = {}
    taken = {
        (area, name.casefold())
        for area, name in WorkingMethod.objects.values_list("programme_area_id", "name")
    }
    for method in WorkingMethod.objects.order_by("programme_area_id", "pk"):
        key = (method.programme_area_id, method.name.casefold())
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1:
            continue
        number = seen[key]
        while (method.programme_area_id, f"{method.name} ({number})".casefold()) in taken:
            number += 1
        method.name = f"{method.name} ({number})"
        taken.add((method.programme_area_id, method.name.casefold()))
        method.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0004_unit_search_text"),
        ("programmes", "0005_activity_by_date"),
    ]

    operations = [
        migrations.RunPython(number_duplicate_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="workingmethod",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                models.F("programme_area"),
                name="workingmethod_unique_name_per_area",
                violation_error_message=(
                    "Programområdet har redan ett arbetssätt med det namnet (stora och små "
                    "bokstäver räknas lika)."
                ),
            ),
        ),
    ]
