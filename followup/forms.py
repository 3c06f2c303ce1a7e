"""Forms that parse the follow-up pages' query parameters (GET: they change nothing), and the
quarterly report's action form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Value
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from base.editing import COMMENT_MAX_LENGTH, ERROR_COMMENT_TOO_LONG, VersionField
from organisation.models import Unit, UnitClosure

from .imports.parsing import (
    ERROR_TOO_PRECISE,
    MAX_DECIMALS,
    MAX_VALUE,
    CellError,
    parse_number,
    too_large_message,
)
from .imports.rows import percent_message
from .value_rules import number_text

ERROR_UNKNOWN_UNIT = _("Det finns ingen enhet med koden ”%(code)s”; sidan visar regionen.")
ERROR_UNIT_OF_OTHER_ORGANISATION = _(
    "Enheten ”%(code)s” hör inte till %(organisation)s; sidan visar %(organisation)s."
)


class MeasureUnitForm(forms.Form):
    """?enhet=<unit code>&sigma=1 of a measure's page (the quarter is the shared selector's).

    With `organisation` (a programme area's page whose phase has one) only that organisation's
    units: Region B's area does not chart Region A's units.
    """

    enhet = forms.CharField(required=False, max_length=40)
    sigma = forms.BooleanField(required=False)  # show the two-sigma lines

    def __init__(self, *args: Any, organisation: Unit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_enhet(self) -> Unit | None:
        code = self.cleaned_data["enhet"].strip()
        if not code:
            return None
        inside = (
            Exists(
                UnitClosure.objects.filter(
                    ancestor_id=self.organisation.pk, descendant=OuterRef("pk")
                )
            )
            if self.organisation is not None
            else Value(True)
        )
        # Whether it is the organisation's in the same query as the unit.
        unit = Unit.objects.select_related("kind").annotate(inside=inside).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(ERROR_UNKNOWN_UNIT, params={"code": code})
        if self.organisation is not None and not unit.inside:
            raise forms.ValidationError(
                ERROR_UNIT_OF_OTHER_ORGANISATION,
                params={"code": code, "organisation": self.organisation.name},
            )
        return unit


class NumberField(forms.DecimalField):
    """A number typed into a page, read as the import reads a file's cell (parse_number):
    decimal comma or point, space or no-break space between thousands ("1 200", as the pages
    show numbers), a trailing % only where `percent` allows it. Anything else is refused with
    the import's message naming the text, so a filled-in cell is never said to be empty.
    `whole` (a count's value): the message's example is a whole number. `part` ("numerator",
    "denominator"): a percent sign there is told that täljare and nämnare are counts, as the
    import tells it. A number too large or too precise to store gets the import's words, not
    Django's ("Säkerställ att …")."""

    def __init__(
        self, *, percent: bool = False, whole: bool = False, part: str = "value", **kwargs: Any
    ) -> None:
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.percent = percent
        self.whole = whole
        self.part = part
        self.widget.attrs["inputmode"] = "decimal"

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override] # the stubs' int
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = parse_number(value, whole=self.whole)
        except CellError as error:
            raise ValidationError(str(error), code="invalid") from None
        if number.percent and not self.percent:
            raise ValidationError(percent_message(self.part, number.value), code="invalid")
        if abs(number.value) >= MAX_VALUE:
            raise ValidationError(too_large_message(number.value), code="max_whole_digits")
        exponent = number.value.as_tuple().exponent  # the decimals as written, as the import
        if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
            raise ValidationError(
                gettext(ERROR_TOO_PRECISE).format(value=number_text(number.value)),
                code="max_decimal_places",
            )
        return number.value


class QuarterReportActionForm(forms.Form):
    """One transition of a quarterly report: the version the page showed and, for closing,
    approving or sending back, a comment (required to send back: the service says so)."""

    version = VersionField()
    comment = forms.CharField(
        label=_("Kommentar"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        error_messages={"max_length": ERROR_COMMENT_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


ERROR_APPROVAL_NOT_CONFIRMED = _(
    "Kryssa i att du har läst rapporten och godkänner den; ett godkännande kan inte ångras."
)


class QuarterReportApproveForm(QuarterReportActionForm):
    """Approving a report: as any transition, and the approver confirms it in a checkbox first.

    An approved report can be neither reopened nor sent back, so one click must not approve it;
    a required checkbox is a confirmation that works without JavaScript."""

    confirmed = forms.BooleanField(
        label=_("Jag har läst rapporten och godkänner den"),
        required=True,
        error_messages={"required": ERROR_APPROVAL_NOT_CONFIRMED},
    )
