import datetime

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import (
    Program,
    Role,
)
from programs.services import DEFAULT_CYCLE_LENGTH


class StyledForm:
    """Gives widgets Bootstrap's classes, and marks invalid fields for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):  # also CheckboxSelectMultiple
                css = "ff-choices"  # Django puts it on the group and on each box
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-invalid"] = "true"


class ProgramForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Program
        fields = ["name", "context", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        twins = self.organization.programs.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if twins.exists():
            raise forms.ValidationError(
                _("This organization already has a program with this name.")
            )
        return name


class ProgramCreateForm(ProgramForm):
    starts_on = forms.DateField(
        label=_("First cycle starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("First cycle ends on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A cycle usually runs a quarter; the review may come earlier."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today + DEFAULT_CYCLE_LENGTH

    def clean(self):
        cleaned = super().clean()
        starts_on: datetime.date | None = cleaned.get("starts_on")
        ends_on: datetime.date | None = cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("The cycle must end after it starts."))
        return cleaned


class InvitationForm(StyledForm, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.TEAM)


class RoleForm(StyledForm, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AccountForm(StyledForm, UserCreationForm):
    """A new account for someone who follows an invitation link without one."""


def form_save(form, call) -> bool:
    """Run a service for a valid form; its ValidationError lands on the form's fields."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True
