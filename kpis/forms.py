from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kpis import rules
from kpis.conditions import AttributeType, Operator
from kpis.models import Attribute, Goal, Kpi, RoiTarget, Segment
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
        ]


class StrategicAnswerForm(forms.Form):
    answer = forms.CharField(required=False, max_length=5000)
    confidence = forms.ChoiceField(
        required=False,
        choices=[("", "—"), ("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))],
    )


class SegmentForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description", "estimated_size", "estimated_value"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        twins = self.instance.organization.segments.filter(name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if twins.exists():
            raise forms.ValidationError(_("There is already a segment with this name."))
        return name


class ConditionForm(StyledForm, forms.Form):
    attribute = forms.ModelChoiceField(label=_("Attribute"), queryset=Attribute.objects.none())
    operator = forms.ChoiceField(
        label=_("Operator"),
        choices=[(o.value, o.value.replace("_", " ")) for o in Operator],
    )
    value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=500,
        help_text=_("For “is one of”, separate values with commas; for “between”, two numbers."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].queryset = organization.attributes.all()


class AttributeForm(StyledForm, forms.Form):
    key = forms.SlugField(
        label=_("Key"), max_length=60, help_text=_("As in the data, e.g. cart_value.")
    )
    label = forms.CharField(label=_("Label"), max_length=80)
    type = forms.ChoiceField(
        label=_("Type"), choices=[(t.value, t.value.title()) for t in AttributeType]
    )
    allowed_values = forms.CharField(
        label=_("Allowed values"),
        required=False,
        help_text=_("Categories only: comma-separated, e.g. new, returning."),
    )

    def clean_allowed_values(self):
        return [v.strip() for v in self.cleaned_data["allowed_values"].split(",") if v.strip()]
