from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kpis import rules
from kpis.models import Goal, Kpi, RoiTarget
from programs.forms import DateInput, StyledForm
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
            "baseline_date": DateInput(),
            "target_date": DateInput(),
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
