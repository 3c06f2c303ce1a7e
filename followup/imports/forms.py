"""The upload form: a file, its source system and (for XLSX) a sheet."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from ..models import ImportBatch
from .messages import ERROR_FILE_TOO_LARGE, SOURCE_MANUAL_ONLY
from .services import IMPORT_SOURCES, check_import_source, file_size_label, import_sources_for

SOURCE_CHOICES = [c for c in ImportBatch.Source.choices if c[0] in IMPORT_SOURCES]


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

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if import_sources_for(user) == [ImportBatch.Source.MANUAL]:
            # Nothing to choose: the page says the values are the user's own report. What is
            # posted is still checked (clean_source), a hand-made "cyklop" refused.
            field = self.fields["source"]
            field.widget = forms.HiddenInput()
            field.required = False
            field.initial = ImportBatch.Source.MANUAL
            field.help_text = _(SOURCE_MANUAL_ONLY)

    @property
    def manual_only(self) -> bool:
        return bool(self.fields["source"].widget.is_hidden)

    def clean_source(self) -> str:
        source: str = self.cleaned_data["source"] or (
            ImportBatch.Source.MANUAL if self.manual_only else ""
        )
        try:
            check_import_source(user=self.user, source=source)
        except PermissionDenied as refusal:
            raise forms.ValidationError(str(refusal), code="source_not_allowed") from refusal
        return source

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
