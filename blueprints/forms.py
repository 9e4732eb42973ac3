from django import forms
from django.utils.translation import gettext_lazy as _

from blueprints.models import Blueprint, Offer
from kpis.models import Kpi
from programs.forms import StyledForm
from programs.models import Cycle


class BlueprintForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Blueprint
        fields = ["name", "context"]


class StageForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Stage"), max_length=60)


class OfferForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Offer
        fields = [
            "name",
            "kind",
            "description",
            "propensity",
            "value",
            "weight",
            "kpi",
            "active_from",
            "active_to",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "active_from": forms.DateInput(attrs={"type": "date"}),
            "active_to": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = Kpi.objects.filter(goal__cycle=cycle)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("active_from"), cleaned.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", _("An offer cannot stop before it starts."))
        return cleaned


class ConditionForm(StyledForm, forms.Form):
    sentence = forms.CharField(
        label=_("Condition"),
        max_length=300,
        help_text=_(
            "A positive statement, e.g. “visitor type is returning” or “cart value is at least 50”."
        ),
    )


class FileForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("File"))
    name = forms.CharField(
        label=_("Name for the imported blueprint"), required=False, max_length=120
    )
