from django import forms
from django.utils.translation import gettext_lazy as _

from initiatives.models import STAGES, EffectDirection, Initiative
from kpis.models import Kpi
from programs.forms import DateInput, StyledForm
from programs.models import Cycle


class InitiativeForm(StyledForm, forms.ModelForm):
    stages = forms.MultipleChoiceField(
        label=_("Journey stages"),
        required=False,
        choices=[(s, s) for s in STAGES],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Initiative
        fields = [
            "name",
            "objective",
            "kind",
            "status",
            "owner_department",
            "departments",
            "channels",
            "stages",
            "starts_on",
            "ends_on",
            "cost",
            "gaps",
        ]
        widgets = {
            "objective": forms.Textarea(attrs={"rows": 2}),
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "departments": forms.CheckboxSelectMultiple,
            "channels": forms.CheckboxSelectMultiple,
            "gaps": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        organization = cycle.program.organization
        self.fields["owner_department"].queryset = organization.departments.all()
        self.fields["departments"].queryset = organization.departments.all()
        self.fields["channels"].queryset = organization.channels.all()
        self.fields["gaps"].queryset = cycle.gaps.exclude(status="closed")

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("An initiative cannot end before it starts."))
        return cleaned


class EffectForm(StyledForm, forms.Form):
    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=Kpi.objects.none())
    direction = forms.ChoiceField(label=_("Moves it"), choices=EffectDirection.choices)
    size = forms.CharField(label=_("By roughly"), required=False, max_length=60)

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = Kpi.objects.filter(goal__cycle=cycle).select_related("goal")


class PieForm(StyledForm, forms.Form):
    potential = forms.IntegerField(label=_("Potential"), min_value=1, max_value=10)
    importance = forms.IntegerField(label=_("Importance"), min_value=1, max_value=10)
    ease = forms.IntegerField(label=_("Ease"), min_value=1, max_value=10)


class AcknowledgeForm(StyledForm, forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why it is acceptable"), max_length=500)


class ImportForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("CSV file"))


class VocabularyForm(StyledForm, forms.Form):
    kind = forms.ChoiceField(choices=[("department", _("Department")), ("channel", _("Channel"))])
    name = forms.CharField(label=_("Name"), max_length=80)


class OverloadForm(StyledForm, forms.Form):
    overload_limit = forms.IntegerField(
        label=_("Significant initiatives per channel at once"), min_value=1, max_value=20
    )
