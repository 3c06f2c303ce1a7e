"""Swedish number formatting (base.formatting) and the template filters built on it."""

from decimal import Decimal

from django.template import Context, Template

from base.formatting import format_number, format_percent


def test_format_number_uses_space_for_thousands_and_decimal_comma() -> None:
    # A no-break space: a line never breaks inside a number.
    assert format_number(Decimal("1234567.891")) == "1\u00a0234\u00a0567,89"
    assert format_number(Decimal("12.50")) == "12,5"
    assert format_number(150) == "150"
    assert format_number(Decimal("3.14159"), decimals=3) == "3,142"
    assert format_number(Decimal("-0.001")) == "0"


def test_format_number_writes_negative_numbers_with_a_true_minus_sign() -> None:
    assert format_number(Decimal("-1234.5")) == "\u22121\u00a0234,5"


def test_format_percent_rounds_computed_shares_to_whole_percent() -> None:
    assert format_percent(Decimal(1400) / 26) == "54\u00a0%"
    assert format_percent(Decimal(50)) == "50\u00a0%"


def test_format_percent_keeps_an_exact_decimal() -> None:
    assert format_percent(Decimal("12.5")) == "12,5\u00a0%"


def test_format_percent_never_rounds_a_partial_share_to_none_or_all() -> None:
    assert format_percent(Decimal("0.3")) == "0,3\u00a0%"
    assert format_percent(Decimal(100) * 199 / 200) == "99,5\u00a0%"
    assert format_percent(Decimal("99.96")) == "99,96\u00a0%"


def test_template_filters_write_quarters_and_numbers_the_swedish_way_or_nothing() -> None:
    template = Template(
        "{% load gonv_tags %}{{ q|quarter_label }}|{{ n|swedish_number }}|"
        "{{ n|swedish_number:1 }}|{{ none|swedish_number }}"
    )
    rendered = template.render(Context({"q": "2026Q4", "n": Decimal("53.850000"), "none": None}))
    assert rendered == "Kv 4 2026|53,85|53,9|"
