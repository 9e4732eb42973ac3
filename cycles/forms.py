from django import forms

from cycles.models import Countermeasure, CycleReview, InitiativeReview, KpiReview
from programs.forms import DateInput, StyledForm
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
            "next_starts_on": DateInput(),
            "next_ends_on": DateInput(),
        }


class CountermeasureForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Countermeasure
        fields = ["what", "who", "due"]
        # Its fields sit below the review's form and are sent with it (issue 18, item 2).
        widgets = {
            "what": forms.TextInput(attrs={"form": "review-form"}),
            "who": forms.TextInput(attrs={"form": "review-form"}),
            "due": DateInput(attrs={"form": "review-form"}),
        }


class RowForms:
    """One form per review row, each named after its KPI or initiative (kpi-12-decision),
    so the page can show rows not saved yet and the save finds each row's answers."""

    def __init__(self, form_class, data, rows, *, prefix: str, key: str):
        self.forms = [
            form_class(data, instance=row, prefix=f"{prefix}-{getattr(row, key)}") for row in rows
        ]

    def __iter__(self):
        return iter(self.forms)

    def __len__(self) -> int:
        return len(self.forms)

    def is_valid(self) -> bool:
        return all([f.is_valid() for f in self.forms])


def kpi_review_forms(data, rows) -> RowForms:
    return RowForms(KpiReviewForm, data, rows, prefix="kpi", key="kpi_id")


def initiative_review_forms(data, rows) -> RowForms:
    return RowForms(InitiativeReviewForm, data, rows, prefix="initiative", key="initiative_id")
