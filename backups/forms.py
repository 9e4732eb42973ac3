from django import forms
from django.utils.translation import gettext_lazy as _

from programs.forms import StyledForm


class RestoreForm(StyledForm, forms.Form):
    """A backup file to restore as a new program (backups.backup). A web worker holds
    the whole file in memory, about nine times its size; larger files go through
    program_import on the server (README: Backup and restore)."""

    MAX_BYTES = 50 * 1024 * 1024

    file = forms.FileField(
        label=_("Backup file"),
        help_text=_("A .json file made by Download backup or program_export; up to 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    name = forms.CharField(
        label=_("Name of the new program"),
        required=False,
        max_length=120,
        help_text=_("Empty: the name in the file; if it is taken here, “(2)” is added."),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than 50 MB. Restore it on the server: "
                    "python manage.py program_import <organization> <file>"
                )
            )
        return file
