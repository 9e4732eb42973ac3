from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from blueprints.models import Blueprint, Offer
from kpis.models import Kpi
from programs.forms import DateInput, StyledForm
from programs.models import Cycle
from segments.conditions import plain_number


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
            "active_from": DateInput(),
            "active_to": DateInput(),
        }
        # The model's "Optional: …" read oddly beside the field's required mark: a weight
        # is always there, 1 unless changed.
        help_texts = {"weight": _("1 is neutral; 2 doubles its score, 0.5 halves it.")}

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = Kpi.objects.filter(goal__cycle=cycle)
        # An offer's numbers as written: 40 and 0.035, not 40.00 and 0.0350.
        for name in ("propensity", "value", "weight"):
            if isinstance(self.initial.get(name), Decimal):
                self.initial[name] = plain_number(self.initial[name])

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


class HistoryForm(StyledForm, forms.Form):
    """An exposure history and which of its columns hold what."""

    file = forms.FileField(
        label=_("Exposure history (CSV or Excel)"),
        help_text=_("One row per time an offer was shown; up to 1,000,000 rows."),
    )
    offer_column = forms.CharField(
        label=_("Offer column"),
        max_length=200,
        initial="offer",
        help_text=_("The offer shown, by its name in this blueprint (case does not matter)."),
    )
    converted_column = forms.CharField(
        label=_("Converted column"),
        max_length=200,
        initial="converted",
        help_text=_("Whether it converted: 1/0, true/false or yes/no."),
    )
    value_column = forms.CharField(
        label=_("Value column (optional)"),
        max_length=200,
        required=False,
        help_text=_("What the conversion was worth, e.g. “value”; shown beside the offer's."),
    )
    attribute_columns = forms.CharField(
        label=_("Attribute columns"),
        max_length=2000,
        required=False,
        help_text=_(
            "Comma-separated. Empty: every column named after one of the organization's "
            "customer attributes (the simulator can give those)."
        ),
    )
    seed = forms.IntegerField(
        label=_("Random seed (optional)"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_("Draws the held-out rows. Give an earlier version's seed to reproduce it."),
    )

    def columns(self):
        """The chosen columns (no attribute columns: the service picks the file's columns
        named after customer attributes)."""
        from blueprints.propensity import Columns

        data = self.cleaned_data
        return Columns(
            offer=data["offer_column"].strip(),
            converted=data["converted_column"].strip(),
            features=tuple(c.strip() for c in data["attribute_columns"].split(",") if c.strip()),
            value=data["value_column"].strip(),
        )
