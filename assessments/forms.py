from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import (
    MAX_SCORE,
    MIN_SCORE,
    Dimension,
    DriverChange,
    Gap,
    MeasurementDriver,
)
from programs.forms import DateInput, StyledForm


class MaturityAnswerForm(forms.Form):
    """One dimension's row of the assessment, posted whole on every change."""

    score = forms.TypedChoiceField(
        label=_("Score"),
        choices=[(n, n) for n in range(MIN_SCORE, MAX_SCORE + 1)],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose a score from 1 to 5.")},
    )
    evidence = forms.CharField(label=_("Evidence"), required=False, max_length=5000)
    opportunity = forms.CharField(label=_("Opportunity"), required=False, max_length=5000)


class DriverForm(StyledForm, forms.ModelForm):
    class Meta:
        model = MeasurementDriver
        fields = [
            "name",
            "definition",
            "source_system",
            "owner",
            "calendar",
            "frequency",
        ]
        widgets = {"definition": forms.Textarea(attrs={"rows": 2})}

    calendar_since = forms.DateField(
        label=_("Reporting in the new calendar since"),
        required=False,
        widget=DateInput,
        help_text=_(
            "When you change the reporting calendar: the first day in the new one (today when "
            "empty). The KPIs' charts mark it."
        ),
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.program = program
        if self.instance.pk is None:  # a new driver has no calendar to change from
            del self.fields["calendar_since"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        twins = self.instance.program.drivers.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if twins.exists():
            raise forms.ValidationError(_("This program already has a driver with this name."))
        return name


class DriverChangeForm(StyledForm, forms.ModelForm):
    class Meta:
        model = DriverChange
        fields = ["changed_on", "kind", "description"]
        widgets = {"changed_on": DateInput()}

    def clean_changed_on(self):
        changed_on = self.cleaned_data["changed_on"]
        if changed_on > timezone.localdate():
            raise forms.ValidationError(_("A change cannot be dated in the future."))
        return changed_on


class ValidationForm(StyledForm, forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=300, help_text=_("What was checked, and how.")
    )


class GapCreateForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Gap
        fields = ["title", "priority"]


class GapEditForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Gap
        fields = ["title", "priority", "status", "deferred_reason"]


class DimensionForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Dimension
        fields = ["name", "rubric_low", "rubric_high"]
        widgets = {
            "rubric_low": forms.Textarea(attrs={"rows": 2}),
            "rubric_high": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
