from django import forms
from django.utils.translation import gettext_lazy as _

from programs.forms import StyledForm
from segments import wording
from segments.conditions import AttributeType, Operator
from segments.models import Attribute, Segment


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
    operator = forms.ChoiceField(label=_("Operator"), choices=[(o, o.value) for o in Operator])
    value = forms.CharField(label=_("Value"), required=False, max_length=500)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].queryset = organization.attributes.all()
        words = wording.current()
        self.fields["operator"].choices = [(o.value, words.label(o)) for o in Operator]
        self.fields["value"].help_text = _(
            "For “%(one_of)s”, separate values with commas; for “%(between)s”, two numbers "
            "joined by “%(and)s”."
        ) % {
            "one_of": words.label(Operator.IS_ONE_OF),
            "between": words.label(Operator.BETWEEN),
            "and": words.and_word,
        }


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


class CustomerTableForm(StyledForm, forms.Form):
    file = forms.FileField(
        label=_("Customer table (CSV or Excel)"),
        help_text=_(
            "One row per customer with a header line: an id column, and the numeric and "
            "categorical columns to group customers by. Up to 1,000,000 rows."
        ),
    )


class ClusterRunForm(StyledForm, forms.Form):
    """What to cluster on and how many clusters; the table's own rules are checked by the
    service (segments.clustering.check), so the page shows them beside these fields."""

    keys = forms.MultipleChoiceField(
        label=_("Columns to group customers by"), widget=forms.CheckboxSelectMultiple
    )
    k_mode = forms.ChoiceField(
        label=_("Number of clusters"),
        choices=[("auto", _("Choose by silhouette")), ("fixed", _("Set by hand"))],
        initial="auto",
        widget=forms.RadioSelect,
    )
    k = forms.IntegerField(
        label=_("Clusters (set by hand)"), required=False, min_value=2, max_value=12
    )
    k_min = forms.IntegerField(label=_("From"), initial=2, min_value=2, max_value=12)
    k_max = forms.IntegerField(label=_("To"), initial=8, min_value=2, max_value=12)
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("Leave empty for a new one; give a run's seed to repeat it exactly."),
    )

    def __init__(self, *args, columns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keys"].choices = [(c.key, f"{c.name} ({c.kind})") for c in columns if c.usable]
        self.fields["keys"].initial = [c.key for c in columns if c.usable]

    def clean(self):
        data = super().clean()
        if data.get("k_mode") == "fixed" and not data.get("k"):
            self.add_error("k", _("Say how many clusters, or let the silhouette choose."))
        if (data.get("k_min") or 0) > (data.get("k_max") or 99):
            self.add_error("k_max", _("The range must run from the lower number to the higher."))
        return data


class SaveClusterForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Segment name"), max_length=120)
