import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.forms import DateInput, StyledForm
from programs.models import CsvDelimiter, DecimalSeparator


class SourceForm(StyledForm, forms.ModelForm):
    """A source's settings. Secrets (header values, the database password) are fields for
    admins only; a manager sees which are stored, never their values."""

    url = forms.URLField(label=_("URL"), required=False, max_length=500, assume_scheme="https")
    header_names = forms.CharField(
        label=_("Request headers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line as Name: value, e.g. Authorization: Bearer …. Stored values are "
            "never shown again; write “Name:” alone to keep a stored value."
        ),
    )

    class Meta:
        from results.models import ResultSource

        model = ResultSource
        fields = [
            "name",
            "kind",
            "url",
            "db_host",
            "db_port",
            "db_name",
            "db_user",
            "db_password",
            "query",
            "schedule",
            "schedule_time",
            "paused",
            "csv_delimiter",
            "csv_decimal",
        ]
        widgets = {
            "query": forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
            "schedule_time": forms.TimeInput(attrs={"type": "time"}),
            "db_password": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args, program, may_set_secrets: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.program = program
        self.may_set_secrets = may_set_secrets
        self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0] != "push"]
        self.fields["db_port"].required = False
        organizations_way = _("As the organization's")
        self.fields["csv_delimiter"].choices = [("", organizations_way), *CsvDelimiter.choices]
        self.fields["csv_decimal"].choices = [("", organizations_way), *DecimalSeparator.choices]
        self.fields["db_password"].help_text = _(
            "Of a read-only role made for Fourfold. Stored and never shown again."
        )
        if self.instance.pk:
            self.fields["header_names"].initial = "\n".join(f"{k}:" for k in self.instance.headers)
            if self.instance.db_password:
                self.fields["db_password"].help_text = _(
                    "Stored and hidden; leave empty to keep it."
                )
        if not may_set_secrets:
            note = _("Only an organization admin can enter secrets.")
            self.fields["header_names"].disabled = True
            self.fields["header_names"].help_text = note
            self.fields["db_password"].disabled = True
            self.fields["db_password"].help_text = note

    # The fields of each kind of source, in the order the form shows them. A group names
    # the kinds it is for; the page shows only the chosen kind's groups (a script follows
    # the kind as it changes; without it a new source's form shows every group under its
    # legend, and a saved one the groups of the kind it is saved as).
    GROUPS = (
        ("", "", ("name", "kind")),
        ("http", _("HTTP pull: the address to read"), ("url", "header_names")),
        (
            "sql",
            _("SQL pull: the database and the query"),
            ("db_host", "db_port", "db_name", "db_user", "db_password", "query"),
        ),
        ("http sql", _("Schedule (HTTP and SQL pulls)"), ("schedule", "schedule_time", "paused")),
        (
            "upload http",
            _("How its CSV files are written (empty: as the organization's)"),
            ("csv_delimiter", "csv_decimal"),
        ),
    )

    def groups(self) -> list[dict]:
        if self.is_bound:
            kind = self.data.get("kind", "")
        else:
            kind = self.instance.kind if self.instance.pk else None
        return [
            {
                "kinds": kinds,
                "legend": legend,
                "fields": [self[name] for name in names],
                "hidden": bool(kinds) and kind is not None and kind not in kinds.split(),
            }
            for kinds, legend, names in self.GROUPS
        ]

    def clean_header_names(self):
        if not self.may_set_secrets:
            # Disabled: the stored headers stay exactly as they are.
            return {name: "" for name in self.instance.headers}
        headers = {}
        for number, line in enumerate(self.cleaned_data["header_names"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise forms.ValidationError(_("Line %(n)s: write Name: value.") % {"n": number})
            headers[name.strip()] = value.strip()
        return headers

    def clean_db_port(self):
        return self.cleaned_data.get("db_port") or 5432

    def clean_db_password(self):
        # Empty keeps the stored password; the service drops it when the server or the
        # login changes. A disabled field would give back the stored one as if typed.
        if not self.may_set_secrets:
            return ""
        return self.cleaned_data.get("db_password") or ""


class UploadForm(StyledForm, forms.Form):
    """A file, and for a CSV how it is written: the source's or the organization's way
    unless this file says otherwise (a file from Excel in Danish: semicolons, 8,97)."""

    file = forms.FileField(label=_("CSV or Excel file"))
    delimiter = forms.ChoiceField(
        label=_("Columns separated by"), choices=CsvDelimiter.choices, required=False
    )
    decimal = forms.ChoiceField(
        label=_("Decimal separator"), choices=DecimalSeparator.choices, required=False
    )

    def __init__(self, *args, source=None, **kwargs):
        super().__init__(*args, **kwargs)
        if source is not None:
            delimiter, decimal = source.csv_format()
            self.fields["delimiter"].initial = delimiter
            self.fields["decimal"].initial = decimal


class TokenForm(StyledForm, forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=80, help_text=_("Which system uses it.")
    )
    expires_at = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DateInput(),
        help_text=_("Optional: the token stops working after this day."),
    )

    def clean_expires_at(self) -> datetime.datetime | None:
        """The last day it works, as the moment it stops: the end of that day."""
        day = self.cleaned_data["expires_at"]
        if day is None:
            return None
        if day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return datetime.datetime.combine(day, datetime.time.max, timezone.get_current_timezone())
