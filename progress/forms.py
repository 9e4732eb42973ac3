from django import forms
from django.utils.translation import gettext_lazy as _

from programs.forms import StyledForm
from programs.models import (
    Membership,
)
from progress import selectors
from progress.selectors import DEFAULT_PERIOD


class DashboardFilterForm(StyledForm, forms.Form):
    """The dashboard's filters, read from the URL; a bad value is named and ignored."""

    PERIODS = [(period.key, period.label) for period in selectors.PERIODS.values()]

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
