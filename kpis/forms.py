import datetime
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis import rules
from kpis.models import Goal, Kpi, RoiTarget
from programs.forms import StyledForm
from programs.models import Cycle


class GoalForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["title", "why", "line", "horizon", "owner", "segments"]
        widgets = {
            "why": forms.Textarea(attrs={"rows": 2}),
            "segments": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        organization = cycle.program.organization
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(memberships__organization=organization)
            .order_by("first_name", "username")
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["segments"].queryset = organization.segments.all()


class KpiForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Kpi
        fields = [
            "name",
            "definition",
            "unit",
            "currency_code",
            "direction",
            "baseline",
            "baseline_date",
            "target",
            "target_date",
            "segments",
            "driver",
            "personalized_share",
            "alert_threshold",
        ]
        widgets = {
            "definition": forms.Textarea(attrs={"rows": 2}),
            "baseline_date": forms.DateInput(attrs={"type": "date"}),
            "target_date": forms.DateInput(attrs={"type": "date"}),
            "segments": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segments"].queryset = cycle.program.organization.segments.all()
        self.fields["driver"].queryset = cycle.program.drivers.all()
        self.fields["currency_code"].help_text = _("Only for currency KPIs, e.g. EUR.")
        self.fields["personalized_share"].required = False  # empty: an even split

    def clean_personalized_share(self):
        share = self.cleaned_data.get("personalized_share")
        return Decimal("0.5") if share is None else share

    def clean_currency_code(self):
        return self.cleaned_data["currency_code"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        errors = rules.kpi_errors(
            unit=cleaned.get("unit", ""),
            direction=cleaned.get("direction", ""),
            baseline=cleaned.get("baseline"),
            target=cleaned.get("target"),
            baseline_date=cleaned.get("baseline_date"),
            target_date=cleaned.get("target_date"),
            currency_code=cleaned.get("currency_code", ""),
        )
        # Errors land on their fields, which also spares the database constraints on the
        # same rules from repeating them as form-wide messages.
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


class RoiForm(StyledForm, forms.ModelForm):
    class Meta:
        model = RoiTarget
        fields = [
            "currency_code",
            "one_off_investment",
            "running_cost_per_month",
            "return_basis",
            "expected_return_per_month",
            "horizon_months",
            "acceptable_roi_percent",
            "attribution_kpi",
            "value_per_conversion",
        ]

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribution_kpi"].queryset = Kpi.objects.filter(goal__cycle=cycle)

    def clean(self):
        cleaned = super().clean()
        kpi, value = cleaned.get("attribution_kpi"), cleaned.get("value_per_conversion")
        if kpi and value is None:
            self.add_error(
                "value_per_conversion", _("Say what one extra conversion is worth to count it.")
            )
        if value is not None and not kpi:
            self.add_error("attribution_kpi", _("Choose the KPI whose extra conversions count."))
        return cleaned


class StrategicAnswerForm(forms.Form):
    answer = forms.CharField(required=False, max_length=5000)
    confidence = forms.ChoiceField(
        required=False,
        choices=[("", "—"), ("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))],
    )


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
        from kpis.models import ResultSource

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
    file = forms.FileField(label=_("CSV or Excel file"))


class TokenForm(StyledForm, forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=80, help_text=_("Which system uses it.")
    )
    expires_at = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
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
