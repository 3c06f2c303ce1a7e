"""Forms that parse the follow-up pages' query parameters (GET: they change nothing)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gonv.periods import InvalidQuarter, Quarter
from organisation.models import Unit

ERROR_UNKNOWN_UNIT = _("Det finns ingen enhet med koden ”%(code)s”; sidan visar regionen.")
ERROR_BAD_QUARTER = _(
    "”%(text)s” är inget kvartal (skriv till exempel 2025Q4); sidan visar det senaste."
)


class MeasureQueryForm(forms.Form):
    """?enhet=<unit code>&kvartal=2025Q4 of the measure pages; both optional."""

    enhet = forms.CharField(required=False, max_length=40)
    kvartal = forms.CharField(required=False, max_length=10)
    sigma = forms.BooleanField(required=False)  # show the two-sigma lines

    def clean_enhet(self) -> Unit | None:
        code = self.cleaned_data["enhet"].strip()
        if not code:
            return None
        unit = Unit.objects.select_related("kind").filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(ERROR_UNKNOWN_UNIT, params={"code": code})
        return unit

    def clean_kvartal(self) -> Quarter | None:
        text = self.cleaned_data["kvartal"].strip()
        if not text:
            return None
        try:
            return Quarter.parse(text)
        except InvalidQuarter:
            raise forms.ValidationError(ERROR_BAD_QUARTER, params={"text": text}) from None

    def value(self, name: str) -> object:
        """The cleaned value, or None where the input was missing or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)
