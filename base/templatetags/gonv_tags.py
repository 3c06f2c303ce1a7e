"""Template filters shared by every page: quarters and numbers as Swedish readers write them,
the input an error summary links to, and the wrapper that scrolls a wide table.

The tags about the signed-in user's roles ask gonv.rules and live on top, in gonv_roles.
"""

from decimal import Decimal

from django import template
from django.template.base import FilterExpression, Parser, Token, token_kwargs
from django.utils.html import format_html

from base.editing import first_error_target
from base.formatting import SPACE, format_number
from base.periods import quarter_label

register = template.Library()

register.filter("quarter_label", quarter_label)


@register.filter
def swedish_number(value: Decimal | int | float | None, decimals: int | None = None) -> str:
    """ "1 234,5"; nothing for a missing value."""
    return "" if value is None or value == "" else format_number(value, decimals)


@register.filter
def nobreak(value: object) -> str:
    """The text with no-break spaces, so that a line never breaks inside it ("Kv 4 2026" on
    one line where a narrow column would break it as "Kv / 4 2026")."""
    return str(value).replace(" ", SPACE)


# The input an error summary's link leads to (base.editing.first_error_target).
register.filter("first_invalid_input_id", first_error_target)


class TableWrapNode(template.Node):
    """The wrapper of {% table_wrap %}: see table_wrap."""

    def __init__(self, nodelist: template.NodeList, kwargs: dict[str, FilterExpression]) -> None:
        self.nodelist = nodelist
        self.kwargs = kwargs

    def render(self, context: template.Context) -> str:
        values = {name: value.resolve(context) for name, value in self.kwargs.items()}
        content = self.nodelist.render(context)  # a SafeString: escaped as it rendered
        id_attribute = format_html(' id="{}"', values["id"]) if values.get("id") else ""
        if values.get("controls"):
            return format_html('<div class="table-wrap"{}>{}</div>', id_attribute, content)
        return format_html(
            '<div class="table-wrap"{} tabindex="0" role="region" aria-labelledby="{}">{}</div>',
            id_attribute,
            values["labelledby"],
            content,
        )


@register.tag
def table_wrap(parser: Parser, token: Token) -> TableWrapNode:
    """A table that may be wider than the screen, in the wrapper that scrolls it sideways:

        {% table_wrap labelledby="peers" %}<table><caption id="peers">…{% endtable_wrap %}

    The wrapper is a region named by the table's caption (labelledby: the caption's id) and
    in the tab order, so that a keyboard reaches and scrolls it where it scrolls (zoomed in,
    on a phone: WCAG 2.1.1 and 1.4.10), and a screen reader says what it holds. A table whose
    cells hold inputs (the editing grids: the keyboard goes through them, and the browser
    scrolls each into view) takes controls=True instead: no tab stop of its own, no region.
    id="…": the wrapper's own id (an anchor links to it)."""
    bits = token.split_contents()[1:]
    kwargs = token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError(f"table_wrap takes name=value arguments only: {bits}")
    unknown = set(kwargs) - {"labelledby", "id", "controls"}
    if unknown:
        raise template.TemplateSyntaxError(f"table_wrap: unknown arguments {sorted(unknown)}")
    if "labelledby" not in kwargs and "controls" not in kwargs:
        raise template.TemplateSyntaxError(
            "table_wrap needs labelledby (the caption's id), or controls=True for a grid of inputs"
        )
    nodelist = parser.parse(("endtable_wrap",))
    parser.delete_first_token()
    return TableWrapNode(nodelist, kwargs)
