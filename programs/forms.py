import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from programs import numbers
from programs.models import Organization, Program, Role
from programs.number_reading import NumberProblem, read_number, write_number
from programs.services import DEFAULT_CYCLE_LENGTH


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is ISO (2026-12-04) in every language; the
    browser shows it the way the person's language writes dates."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None):
        super().__init__(attrs, format="%Y-%m-%d")


class NumberInput(forms.TextInput):
    """A number typed the way the person's language writes it ("8,97" in Danish), in a text
    box with the decimal keypad on phones: a browser's number box reads and writes numbers
    in the browser's language, which may not be the page's."""

    def __init__(self, attrs: dict | None = None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            return write_number(value, decimal=numbers.decimal_separator())
        return super().format_value(value)


class LocalNumbers:
    """A number field that reads numbers the way the active language writes them, and
    refuses one that could be read two ways (programs/number_reading.py)."""

    whole = False

    def to_python(self, value):
        if isinstance(value, str) and value.strip() not in self.empty_values:
            try:
                value = str(
                    read_number(
                        value,
                        decimal=numbers.decimal_separator(),
                        thousands=numbers.thousands_separator(),
                        whole=self.whole,
                    )
                )
            except NumberProblem as problem:
                message = numbers.number_problem_message(problem)
                raise ValidationError(message, code="invalid") from None
        return super().to_python(value)


class LocalDecimalField(LocalNumbers, forms.DecimalField):
    pass


class LocalFloatField(LocalNumbers, forms.FloatField):
    pass


class LocalIntegerField(LocalNumbers, forms.IntegerField):
    whole = True


# Each plain number field of a StyledForm becomes its local-reading kind, models' too.
LOCAL_NUMBER_FIELDS = {
    forms.DecimalField: LocalDecimalField,
    forms.FloatField: LocalFloatField,
    forms.IntegerField: LocalIntegerField,
}


class StyledForm:
    """Gives widgets Bootstrap's classes, marks invalid fields for screen readers, and reads
    numbers as the person's language writes them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            local = LOCAL_NUMBER_FIELDS.get(type(field))
            if local is not None:
                field.__class__ = local
                if isinstance(field.widget, forms.NumberInput):
                    kept = field.widget.attrs.items()
                    field.widget = NumberInput(
                        {k: v for k, v in kept if k not in ("step", "min", "max")}
                    )
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
    starts_on = forms.DateField(label=_("First cycle starts on"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("First cycle ends on"),
        widget=DateInput(),
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
    language = forms.ChoiceField(
        label=_("Language of the e-mail"),
        choices=settings.LANGUAGES,
        help_text=_("The person chooses their own language once they join."),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = translation.get_language()

    def clean_language(self) -> str:
        """Unless chosen, the e-mail is written in the language of the admin's page."""
        return self.cleaned_data["language"] or translation.get_language()


class FileFormatForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["csv_delimiter", "csv_decimal"]


class CalendarForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["fiscal_year_start", "fiscal_calendar", "week_start"]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


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
