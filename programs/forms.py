import datetime

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import (
    Membership,
    Program,
    Role,
)
from programs.services import DEFAULT_CYCLE_LENGTH


class StyledForm:
    """Gives widgets Bootstrap's classes, and marks invalid fields for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):  # also CheckboxSelectMultiple
                css = "ff-choices"  # Django puts it on the group and on each box
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"


class ProgramForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Program
        fields = ["name", "context", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        twins = self.organization.programs.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if twins.exists():
            raise forms.ValidationError(
                _("This organization already has a program with this name.")
            )
        return name


class ProgramCreateForm(ProgramForm):
    starts_on = forms.DateField(
        label=_("First cycle starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("First cycle ends on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A cycle usually runs a quarter; the review may come earlier."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today + DEFAULT_CYCLE_LENGTH

    def clean(self):
        cleaned = super().clean()
        starts_on: datetime.date | None = cleaned.get("starts_on")
        ends_on: datetime.date | None = cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("The cycle must end after it starts."))
        return cleaned


class InvitationForm(StyledForm, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.TEAM)


class RoleForm(StyledForm, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AccountForm(StyledForm, UserCreationForm):
    """A new account for someone who follows an invitation link without one."""


DEFAULT_PERIOD = "91"


class DashboardFilterForm(StyledForm, forms.Form):
    """The dashboard's filters, read from the URL; a bad value is named and ignored."""

    PERIODS = [("28", _("4 weeks")), ("91", _("13 weeks")), ("365", _("12 months"))]

    segment = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=_("All traffic"), label=_("Segment")
    )
    goal = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=_("Every goal"), label=_("Goal")
    )
    period = forms.ChoiceField(choices=PERIODS, required=False, label=_("Period"))

    def __init__(self, data, *, cycle, **kwargs):
        data = data.copy()
        data.setdefault("period", DEFAULT_PERIOD)  # so the select shows the default, not its first
        super().__init__(data, **kwargs)
        organization = cycle.program.organization
        self.fields["segment"].queryset = organization.segments.all()
        self.fields["goal"].queryset = cycle.goals.all()
        # Our own words for a bad value in the URL, naming what is accepted (Django's
        # "Select a valid choice" says neither); %(value)s is escaped by the template.
        self.fields["segment"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a segment of {organization}: choose one from the list, "
            "or All traffic."
        ).format(organization=organization.name.replace("%", "%%"))
        self.fields["goal"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a goal of this cycle: choose one from the list, or Every goal."
        )
        offered = ", ".join(f"{value} ({label})" for value, label in self.PERIODS[:-1])
        last_value, last_label = self.PERIODS[-1]
        self.fields["period"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a period the dashboard offers: {offered} or {last}."
        ).format(offered=offered, last=f"{last_value} ({last_label})")
        for field in self.fields.values():
            field.widget.attrs["data-autosubmit"] = ""

    def choices(self) -> dict:
        """The valid filters; a field with a wrong value falls back to its default."""
        self.is_valid()
        clean = getattr(self, "cleaned_data", {})
        # A field with a wrong value shows the default the page falls back to (not the
        # select's first option, which the browser shows when no option matches).
        for name in self.errors:
            if name in self.fields:
                self.data[name] = DEFAULT_PERIOD if name == "period" else ""
        return {
            "segment": clean.get("segment"),
            "goal": clean.get("goal"),
            "period": clean.get("period") or DEFAULT_PERIOD,
        }

    def query(self) -> str:
        """The valid filters as a query string (what a saved filter keeps)."""
        from django.http import QueryDict

        chosen = self.choices()
        query = QueryDict(mutable=True)
        if chosen["segment"]:
            query["segment"] = str(chosen["segment"].pk)
        if chosen["goal"]:
            query["goal"] = str(chosen["goal"].pk)
        if chosen["period"] != DEFAULT_PERIOD:
            query["period"] = chosen["period"]
        return query.urlencode()


class SavedFilterForm(StyledForm, forms.Form):
    name = forms.CharField(max_length=80, label=_("Name this view"))


class NotificationsForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["alert_emails", "digest_emails"]
