"""Template filters shared by every page: quarters and numbers as Swedish readers write them,
and the input an error summary links to.

The tags about the signed-in user's roles ask gonv.rules and live on top, in gonv_roles.
"""

from decimal import Decimal

from django import template

from base.editing import first_error_target
from base.formatting import format_number
from base.periods import quarter_label

register = template.Library()

register.filter("quarter_label", quarter_label)


@register.filter
def swedish_number(value: Decimal | int | float | None, decimals: int | None = None) -> str:
    """ "1 234,5"; nothing for a missing value."""
    return "" if value is None or value == "" else format_number(value, decimals)


# The input an error summary's link leads to (base.editing.first_error_target).
register.filter("first_invalid_input_id", first_error_target)
