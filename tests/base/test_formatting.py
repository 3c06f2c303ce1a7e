"""Swedish number formatting (base.formatting) and the template filters built on it."""

from decimal import Decimal

from django.template import Context, Template

from base.formatting import (
    format_count,
    format_number,
    format_percent,
    format_set_level,
    format_share,
    format_share_change,
)


def test_format_number_uses_space_for_thousands_and_decimal_comma() -> None:
    # A no-break space: a line never breaks inside a number.
    assert format_number(Decimal("1234567.891")) == "1\u00a0234\u00a0567,89"
    assert format_number(Decimal("12.50")) == "12,5"
    assert format_number(150) == "150"
    assert format_number(Decimal("3.14159"), decimals=3) == "3,142"
    assert format_number(Decimal("-0.001")) == "0"


def test_format_number_writes_negative_numbers_with_a_true_minus_sign() -> None:
    assert format_number(Decimal("-1234.5")) == "\u22121\u00a0234,5"


def test_a_share_measured_or_computed_has_one_decimal_zero_too() -> None:
    # Rule 1: a column, a sentence and an "Underlag" box all read "17,0 %", never "17 %".
    assert format_share(Decimal(17)) == "17,0\u00a0%"
    assert format_share(Decimal(1400) / 26) == "53,8\u00a0%"
    assert format_share(Decimal(60)) == "60,0\u00a0%"
    assert format_share(0) == "0,0\u00a0%"
    assert format_share(100) == "100,0\u00a0%"
    assert format_share(Decimal("12.5")) == "12,5\u00a0%"
    # Rounding noise below none is none, without a minus.
    assert format_share(Decimal("-0.001")) == "0,0\u00a0%"


def test_a_share_strictly_between_none_and_all_never_reads_as_either() -> None:
    assert format_share(Decimal("99.96")) == "99,96\u00a0%"
    assert format_share(Decimal("0.04")) == "0,04\u00a0%"
    assert format_share(Decimal(100) * 199 / 200) == "99,5\u00a0%"


def test_a_level_someone_set_is_written_as_set() -> None:
    # Rule 2: a target, an axis tick: no ",0" that nobody typed.
    assert format_set_level(Decimal("50.00")) == "50\u00a0%"
    assert format_set_level(100) == "100\u00a0%"
    assert format_set_level(Decimal("72.50")) == "72,5\u00a0%"
    assert format_set_level(Decimal("33.33")) == "33,33\u00a0%"


def test_a_planned_change_always_shows_its_sign() -> None:
    assert format_set_level(Decimal(50), signed=True) == "+50\u00a0%"
    assert format_set_level(Decimal(-20), signed=True) == "\u221220\u00a0%"
    assert format_set_level(0, signed=True) == "\u00b10\u00a0%"


def test_a_change_of_a_share_is_percentage_points_to_one_decimal() -> None:
    # Rule 3: the sign and ",0" too, zero included.
    assert format_share_change(Decimal("0.66")) == "+0,7 procentenheter"
    assert format_share_change(Decimal(2)) == "+2,0 procentenheter"
    assert format_share_change(Decimal("-0.26")) == "\u22120,3 procentenheter"
    assert format_share_change(0) == "\u00b10,0 procentenheter"
    assert format_share_change(Decimal("0.001")) == "\u00b10,0 procentenheter"
    assert format_share_change(Decimal("-1.2"), "percentage points") == (
        "\u22121,2 percentage points"
    )


def test_a_change_too_small_for_one_decimal_gets_two() -> None:
    assert format_share_change(Decimal("0.04")) == "+0,04 procentenheter"
    assert format_share_change(Decimal("-0.03")) == "\u22120,03 procentenheter"


def test_a_count_is_an_integer_with_its_thousands_grouped() -> None:
    assert format_count(1006) == "1\u00a0006"
    assert format_count(26) == "26"


def test_format_percent_writes_exactly_the_decimals_asked_for() -> None:
    # Under the rules, for two values that must read apart ("69,272 %" → "69,270 %").
    assert format_percent(Decimal("69.272"), 3) == "69,272\u00a0%"
    assert format_percent(50, 0) == "50\u00a0%"


def test_template_filters_write_quarters_and_numbers_the_swedish_way_or_nothing() -> None:
    template = Template(
        "{% load gonv_tags %}{{ q|quarter_label }}|{{ n|swedish_number }}|"
        "{{ n|swedish_number:1 }}|{{ none|swedish_number }}"
    )
    rendered = template.render(Context({"q": "2026Q4", "n": Decimal("53.850000"), "none": None}))
    assert rendered == "Kv 4 2026|53,85|53,9|"
