"""The upload form: a file, its source system and (for XLSX) a sheet."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import ImportBatch
from .services import ERROR_FILE_TOO_LARGE, file_size_label

SOURCE_CHOICES = [c for c in ImportBatch.Source.choices if c[0] != ImportBatch.Source.DEMO]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fil (CSV eller XLSX)"),
        error_messages={"required": _("Välj en fil att importera."),
                        "empty": _("Filen är tom.")},
    )  # fmt: skip
    source = forms.ChoiceField(
        label=_("Källa"), choices=SOURCE_CHOICES, initial=ImportBatch.Source.CYKLOP
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
