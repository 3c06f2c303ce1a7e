"""English formats: the same ISO dates and numbers as the Swedish interface."""

from base.formats.sv.formats import (
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    DECIMAL_SEPARATOR,
    NUMBER_GROUPING,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    THOUSAND_SEPARATOR,
    YEAR_MONTH_FORMAT,
)

__all__ = [
    "DATE_FORMAT",
    "DATE_INPUT_FORMATS",
    "DATETIME_FORMAT",
    "DECIMAL_SEPARATOR",
    "NUMBER_GROUPING",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "THOUSAND_SEPARATOR",
    "YEAR_MONTH_FORMAT",
]
