"""The upload form: a file, its source system and (for XLSX) a sheet."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import ImportBatch
from .messages import ERROR_FILE_TOO_LARGE
from .services import file_size_label

SOURCE_CHOICES = [c for c in ImportBatch.Source.choices if c[0] != ImportBatch.Source.DEMO]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fil (CSV eller XLSX)"),
        error_messages={"required": _("Välj en fil att importera."),
                        "empty": _("Filen är tom.")},
    )  # fmt: skip
    # Chosen every time, never preselected: a value's source decides whether a system's export
    # is still awaited ("Väntar på import") and whether a later import warns before replacing a
    # value reported by hand, so a guessed source would mislabel what the user uploads.
    source = forms.ChoiceField(
        label=_("Källa"),
        choices=SOURCE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj varifrån värdena kommer.")},
        help_text=_(
            "Välj systemet om filen är en export ur det. Välj Manuell inrapportering för ett "
            "eget kalkylark eller en ifylld mall."
        ),
    )
    sheet = forms.CharField(
        label=_("Blad i Excel-filen (frivilligt)"),
        required=False,
        max_length=100,
        help_text=_("Lämna tomt för att läsa det första bladet."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        limit = settings.GONV_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(ERROR_FILE_TOO_LARGE).format(
                    size=file_size_label(upload.size), limit=file_size_label(limit)
                )
            )
        return upload
