from django import forms

from cycles.models import Countermeasure, CycleReview, InitiativeReview, KpiReview
from programs.forms import StyledForm
from programs.models import Phase


class PhaseForm(StyledForm, forms.Form):
    phase = forms.ChoiceField(choices=Phase.choices)


class CycleReviewForm(StyledForm, forms.ModelForm):
    class Meta:
        model = CycleReview
        fields = ["what_worked", "what_did_not", "lessons"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}


class KpiReviewForm(StyledForm, forms.ModelForm):
    class Meta:
        model = KpiReview
        fields = ["decision", "new_target", "note"]
        # Wide enough to read the choice in a crowded table ("Keep targ").
        widgets = {"decision": forms.Select(attrs={"style": "min-width: 10rem"})}


class InitiativeReviewForm(StyledForm, forms.ModelForm):
    class Meta:
        model = InitiativeReview
        fields = ["outcome", "decision", "note", "next_starts_on", "next_ends_on"]
        widgets = {
            "outcome": forms.Select(attrs={"style": "min-width: 10rem"}),
            "decision": forms.Select(attrs={"style": "min-width: 8.5rem"}),
            "next_starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class CountermeasureForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Countermeasure
        fields = ["what", "who", "due"]
        # Its fields sit below the review's form and are sent with it (issue 18, item 2).
        widgets = {
            "what": forms.TextInput(attrs={"form": "review-form"}),
            "who": forms.TextInput(attrs={"form": "review-form"}),
            "due": forms.DateInput(attrs={"type": "date", "form": "review-form"}),
        }


KpiReviewFormSet = forms.modelformset_factory(KpiReview, form=KpiReviewForm, extra=0)


InitiativeReviewFormSet = forms.modelformset_factory(
    InitiativeReview, form=InitiativeReviewForm, extra=0
)
