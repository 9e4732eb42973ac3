"""Numbers the way each language writes them (issue 20, item 3): pages write 1.234,5 in
Danish, Slovenian and Dutch; forms read "8,97" there, and refuse what could be read two
ways ("1.234") or was written the other language's way ("8.97") with a message."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kpis.models import Kpi
from programs import numbers
from programs.number_reading import NumberProblem, Problem, read_number, write_number
from tests.kpis.test_goals import kpi_data, url

SEPARATORS = [(".", ","), (",", ".")]


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("8,97", ",", ".", Decimal("8.97")),
        ("1.234,5", ",", ".", Decimal("1234.5")),
        ("1.234.567", ",", ".", Decimal("1234567")),
        ("1 234,5", ",", ".", Decimal("1234.5")),
        ("\u22122,5", ",", ".", Decimal("-2.5")),  # a minus sign, as typography writes it
        ("1,234.5", ".", ",", Decimal("1234.5")),
        ("8.97", ".", ",", Decimal("8.97")),
    ],
)
def test_numbers_read_as_their_language_writes_them(text, decimal, thousands, expected):
    assert read_number(text, decimal=decimal, thousands=thousands) == expected


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "problem", "suggestions"),
    [
        ("1.234", ",", ".", Problem.AMBIGUOUS, ("1234", "1,234")),
        ("1,234", ".", ",", Problem.AMBIGUOUS, ("1234", "1.234")),
        ("8.97", ",", ".", Problem.OTHER_DECIMAL, ("8,97",)),
        ("-8,97", ".", ",", Problem.OTHER_DECIMAL, ("-8.97",)),
        ("1.234,5", ".", ",", Problem.NOT_A_NUMBER, ()),
        ("12.34.5", ",", ".", Problem.NOT_A_NUMBER, ()),
        ("1e5", ",", ".", Problem.NOT_A_NUMBER, ()),
        ("NaN", ".", ",", Problem.NOT_A_NUMBER, ()),
    ],
)
def test_what_could_be_read_wrong_is_refused(text, decimal, thousands, problem, suggestions):
    with pytest.raises(NumberProblem) as refused:
        read_number(text, decimal=decimal, thousands=thousands)
    assert refused.value.problem is problem
    assert refused.value.suggestions == suggestions


@given(
    value=st.decimals(-(10**12), 10**12, places=4, allow_nan=False, allow_infinity=False),
    separators=st.sampled_from(SEPARATORS),
)
def test_a_number_a_form_shows_reads_back_as_itself(value, separators):
    decimal, thousands = separators
    shown = write_number(value, decimal=decimal)
    assert read_number(shown, decimal=decimal, thousands=thousands) == value


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "1,234,567.5"), ("da", "1.234.567,5"), ("sl", "1.234.567,5"), ("nl", "1.234.567,5")],
)
def test_pages_write_numbers_in_the_persons_language(language, shown):
    with translation.override(language):
        assert numbers.number("1234567.5") == shown


@pytest.mark.django_db
def test_a_danish_manager_types_a_decimal_comma_and_sees_it_back(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="da")
    client.force_login(world.user("manager"))
    response = client.post(
        url("kpi_create", world, goal_pk=world.goal.pk),
        kpi_data(world, name="Order value", baseline="41,5", target="1.234,75"),
    )
    assert response.status_code == 302, response.content.decode()[:300]
    kpi = Kpi.objects.get(name="Order value")
    assert (kpi.baseline, kpi.target) == (Decimal("41.5"), Decimal("1234.75"))
    form = client.get(url("kpi_edit", world, kpi_pk=kpi.pk)).content.decode()
    assert 'value="41,5"' in form and 'inputmode="decimal"' in form


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.234", "“1.234” kan læses på to måder: skriv 1234 for heltallet eller 1,234"),
        ("41.5", "“41.5”: decimaltegnet her er “,”; skriv 41,5."),
        ("mange", "“mange” er ikke et tal."),
    ],
)
def test_a_number_that_could_be_read_wrong_is_refused_in_danish(world, typed, message):
    client = Client(HTTP_ACCEPT_LANGUAGE="da")
    client.force_login(world.user("manager"))
    before = Kpi.objects.count()
    response = client.post(
        url("kpi_create", world, goal_pk=world.goal.pk),
        kpi_data(world, name="Order value", baseline=typed, target="60"),
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["baseline"])
    assert Kpi.objects.count() == before


@pytest.mark.django_db
def test_a_date_field_keeps_its_value_in_every_language(world):
    for language in ("da", "sl", "nl"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(world.user("manager"))
        form = client.get(url("kpi_edit", world, kpi_pk=world.kpi.pk)).content.decode()
        assert f'value="{world.kpi.target_date.isoformat()}"' in form, language


def test_the_page_tells_plotly_its_separators(client, db):
    for language, separators in (("en", ".,"), ("da", ",."), ("nl", ",.")):
        page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'data-separators="{separators}"' in page
