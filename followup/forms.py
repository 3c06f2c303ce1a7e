"""Forms that parse the follow-up pages' query parameters (GET: they change nothing)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organisation.models import Unit

ERROR_UNKNOWN_UNIT = _("Det finns ingen enhet med koden ”%(code)s”; sidan visar regionen.")


class MeasureUnitForm(forms.Form):
    """?enhet=<unit code>&sigma=1 of a measure's page (the quarter is the shared selector's)."""

    enhet = forms.CharField(required=False, max_length=40)
    sigma = forms.BooleanField(required=False)  # show the two-sigma lines

    def clean_enhet(self) -> Unit | None:
        code = self.cleaned_data["enhet"].strip()
        if not code:
            return None
        unit = Unit.objects.select_related("kind").filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(ERROR_UNKNOWN_UNIT, params={"code": code})
        return unit
