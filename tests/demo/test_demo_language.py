"""The demo in another language (issue 20, item 8): `seed_demo --language da` gives the
dimension rubrics, KPI library names, default departments and channels, stages and the
demo's own texts in Danish, keeps them there when run again, and its pages read Danish."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import Dimension
from blueprints.models import Offer, Stage
from demo.language import demo_language, in_language
from initiatives.models import Channel, Department
from kpis.models import Goal, Kpi
from programs.models import Organization, Program
from results.models import Measurement, Pull
from segments.conditions import DANISH, describe
from tests.conftest import shown
from tests.fuzzing import pages_answer
from tests.pages import program_pages

pytestmark = pytest.mark.django_db

# Texts of the English demo a Danish reader must not meet, and what they read instead.
ENGLISH = (
    "Convert more first-time visitors",
    "Welcome hero for first visits",
    "Bounce rate",
    "Strategy & vision",
    "Customer service",
    "Discover",
    "Homepage hero by visitor type",
)


@pytest.fixture
def danish_demo(tmp_path, monkeypatch):
    from demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.txt")
    call_command("seed_demo", "--language", "da")
    return Program.objects.get(organization__slug="demo", name="Web shop")


def test_the_demo_is_seeded_in_danish(danish_demo, client):
    org = danish_demo.organization
    assert demo_language(org) == "da"
    dimension = Dimension.objects.get(organization=org, position=0)
    assert (dimension.name, dimension.rubric_low[:5]) == (
        in_language("Strategy & vision", "da"),
        in_language(_rubric_low(0), "da")[:5],
    )
    assert dimension.name != "Strategy & vision"
    assert set(Department.objects.filter(organization=org).values_list("name", flat=True)) >= {
        in_language("Customer service", "da"),
        in_language("Marketing", "da"),
    }
    assert Channel.objects.filter(organization=org, name=in_language("Mobile app", "da")).exists()
    cycle = danish_demo.cycles.get(closed_at__isnull=True)
    stages = list(Stage.objects.filter(blueprint__cycle=cycle).values_list("name", flat=True))
    assert stages[0] == in_language("Discover", "da") != "Discover"
    kpi = Kpi.objects.get(goal__cycle=cycle, library_key="bounce_rate")
    assert kpi.name == in_language("Bounce rate", "da") != "Bounce rate"
    goal = Goal.objects.get(cycle=cycle, kpis=kpi)
    assert goal.title == in_language("Convert more first-time visitors", "da")
    offer = Offer.objects.get(
        stage__blueprint__cycle=cycle, name=in_language("Welcome hero for first visits", "da")
    )
    # Its condition was parsed in English and is stored without language: it reads Danish.
    condition = offer.conditions.select_related("attribute").get()
    sentence = describe(condition.attribute.as_plain(), condition.operator, condition.value, DANISH)
    assert sentence == f"{in_language('Visitor type', 'da')} er new"

    # Its people read it in Danish, and the pages say none of the English demo's texts.
    manager = org.memberships.get(role="manager").user
    client.force_login(manager)
    for name in (
        "cycles:program_home",
        "kpis:summary",
        "initiatives:backlog",
        "progress:dashboard",
    ):
        page = shown(client, reverse(name, kwargs={"pk": danish_demo.pk}))
        assert '<html lang="da"' in page, name
        assert not [t for t in ENGLISH if t in page], name


def test_the_danish_demo_stays_danish_and_keeps_loading_its_results(danish_demo, capsys):
    org = danish_demo.organization
    kpis = Kpi.objects.filter(goal__cycle__program=danish_demo)
    names = sorted(kpis.values_list("name", flat=True))
    # A day of results is missing: run again (as `make run` does), it loads under the
    # Danish names of its KPIs and segments.
    last = Measurement.objects.filter(kpi__in=kpis).latest("period_start").period_start
    missing = Measurement.objects.filter(kpi__in=kpis, period_start=last)
    count = missing.count()
    missing.delete()
    sources = danish_demo.sources.count()
    call_command("seed_demo")
    assert Measurement.objects.filter(kpi__in=kpis, period_start=last).count() == count
    assert danish_demo.sources.count() == sources
    assert not Pull.objects.filter(source__program=danish_demo, status="failed").exists()
    assert sorted(kpis.values_list("name", flat=True)) == names
    assert demo_language(org) == "da"
    manager = org.memberships.get(role="manager").user
    pages_answer(manager, program_pages(danish_demo))


def test_an_unknown_language_or_a_second_one_is_refused(danish_demo):
    with pytest.raises(CommandError, match="not 'fr'"):
        call_command("seed_demo", "--language", "fr")
    with pytest.raises(CommandError, match="empty database"):
        call_command("seed_demo", "--language", "nl")
    assert Organization.objects.filter(slug="demo").count() == 1


def _rubric_low(position: int) -> str:
    from assessments.defaults import DEFAULT_DIMENSIONS

    return DEFAULT_DIMENSIONS[position][1]


def test_an_english_demo_seeded_yesterday_becomes_danish_on_request(tmp_path, monkeypatch):
    from demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.txt")
    call_command("seed_demo")
    org = Organization.objects.get(slug="demo")
    assert demo_language(org) == "en"
    call_command("seed_demo", "--language", "da")
    assert demo_language(org) == "da"
    assert org.memberships.get(role="executive").user.profile.language == "da"
    assert (
        Kpi.objects.filter(goal__cycle__program__organization=org, name="Bounce rate").count() == 0
    )
