import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blueprints import services
from blueprints.models import Blueprint, Offer, OfferCondition, SimulationBatch
from blueprints.tasks import run_batch
from kpis.models import Kpi
from segments.services import attribute_save, segment_condition_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(world):
    org, manager = world.acme, world.user("team")
    world.visitor = attribute_save(
        organization=org,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    world.cart = attribute_save(
        organization=org, key="cart_value", label="Cart value", type="number", allowed_values=[]
    )
    world.blueprint = services.blueprint_create(
        cycle=world.program.cycles.get(), name="Web shop", by=manager
    )
    world.stages = list(world.blueprint.stages.all())
    purchase = world.stages[2]
    world.bestsellers = services.offer_save(
        stage=purchase,
        by=manager,
        name="Bestsellers",
        kind="recommendation",
        propensity=Decimal("0.02"),
        value=Decimal(40),
    )
    world.resume = services.offer_save(
        stage=purchase,
        by=manager,
        name="Pick up where you left off",
        kind="recommendation",
        propensity=Decimal("0.06"),
        value=Decimal(45),
    )
    services.condition_add(offer=world.resume, sentence="visitor type is returning", by=manager)
    return world


def url(name, world, **kwargs):
    return reverse(
        f"blueprints:{name}",
        kwargs={"pk": world.program.pk, "blueprint_pk": world.blueprint.pk, **kwargs},
    )


def test_a_new_blueprint_has_the_five_default_stages(shop):
    assert [s.name for s in shop.stages] == [
        "Discover",
        "Consider",
        "Purchase",
        "Service",
        "Loyalty",
    ]


def test_an_offer_card_shows_the_numbers_its_expected_value_is_made_of(shop, as_user):
    """3.5% times 40 is 1.40: a propensity rounded to a whole percent would read 4%."""
    services.offer_save(
        offer=shop.bestsellers,
        stage=shop.bestsellers.stage,
        by=shop.user("manager"),
        name="Bestsellers",
        kind="recommendation",
        propensity=Decimal("0.035"),
        value=Decimal("40"),
    )
    page = as_user("team").get(url("blueprint", shop)).content.decode()
    card = page[page.index(f'id="offer-{shop.bestsellers.pk}"') :]
    card = card[: card.index("</article>")]
    assert 'data-testid="propensity-estimated">3.5%<' in card
    assert "\N{MULTIPLICATION SIGN} 40<" in card and "= 1.40<" in card


def offer_data(**changes):
    data = {
        "name": "Free shipping",
        "kind": "promotion",
        "description": "",
        "propensity": "0.08",
        "value": "30",
        "weight": "1",
        "kpi": "",
        "active_from": "",
        "active_to": "",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"propensity": "1.5"}, "propensity", "less than or equal to 1"),
        ({"propensity": "-0.1"}, "propensity", "greater than or equal to 0"),
        ({"value": "-10"}, "value", "greater than or equal to 0"),
        (
            {"active_from": "2027-02-01", "active_to": "2027-01-01"},
            "active_to",
            "cannot stop before it starts",
        ),
        ({"name": ""}, "name", "required"),
    ],
)
def test_bad_offer_input_is_refused_and_nothing_is_written(shop, as_user, changes, field, message):
    before = Offer.objects.count()
    response = as_user("team").post(
        url("offer_create", shop, stage_pk=shop.stages[0].pk), offer_data(**changes)
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert Offer.objects.count() == before


def add_condition(client, world, offer, sentence):
    return client.post(
        url("offer_action", world, offer_pk=offer.pk, action="condition"),
        {"sentence": sentence},
        follow=True,
    )


def test_a_negated_condition_is_refused_with_the_positive_form(shop, as_user):
    response = add_condition(as_user("team"), shop, shop.bestsellers, "visitor type is not new")
    body = response.content.decode()
    assert "Conditions are positive statements" in body and "Visitor type is returning" in body
    assert not shop.bestsellers.conditions.exists()


def test_a_condition_on_another_organizations_attribute_is_refused(shop, as_user):
    attribute_save(
        organization=shop.globex,
        key="shoe_size",
        label="Shoe size",
        type="number",
        allowed_values=[],
    )
    response = add_condition(as_user("team"), shop, shop.bestsellers, "shoe size is at least 40")
    assert "names no known attribute" in response.content.decode()
    assert not OfferCondition.objects.filter(offer=shop.bestsellers).exists()


def test_a_value_of_the_wrong_type_is_refused(shop, as_user):
    response = add_condition(
        as_user("team"), shop, shop.bestsellers, "cart value is at least plenty"
    )
    assert "needs a number" in response.content.decode()


def test_duplicate_and_contradictory_conditions_are_flagged(shop, as_user):
    client = as_user("team")
    add_condition(client, shop, shop.resume, "visitor type is returning")
    add_condition(client, shop, shop.resume, "visitor type is new")
    other = services.offer_save(
        stage=shop.stages[2],
        by=shop.user("team"),
        name="Twin",
        propensity=Decimal("0.01"),
        value=Decimal(1),
    )
    services.condition_add(offer=other, sentence="visitor type is returning", by=shop.user("team"))
    services.condition_add(
        offer=shop.bestsellers, sentence="cart value is at least 10", by=shop.user("team")
    )
    body = (
        client.get(url("blueprint", shop))
        .content.decode()
        .replace("&ldquo;", "“")
        .replace("&rdquo;", "”")
    )
    assert "Stated twice: Visitor type is returning" in body
    assert "No customer can qualify: Visitor type cannot be all of" in body
    OfferCondition.objects.filter(offer=shop.resume, value="new").delete()
    OfferCondition.objects.filter(offer=shop.resume).exclude(
        pk=OfferCondition.objects.filter(offer=shop.resume).first().pk
    ).delete()
    body = client.get(url("blueprint", shop)).content.decode()
    assert "have identical conditions" in body


def test_stages_and_offers_can_be_reordered(shop, as_user):
    client = as_user("team")
    discover, consider = shop.stages[0], shop.stages[1]
    client.post(url("stage_action", shop, stage_pk=consider.pk, action="earlier"))
    assert [s.name for s in shop.blueprint.stages.all()][:2] == ["Consider", "Discover"]
    client.post(url("offer_action", shop, offer_pk=shop.resume.pk, action="earlier"))
    assert [o.name for o in shop.stages[2].offers.all()] == [
        "Pick up where you left off",
        "Bestsellers",
    ]
    # Moving past the end changes nothing.
    client.post(url("stage_action", shop, stage_pk=consider.pk, action="earlier"))
    assert shop.blueprint.stages.first().name == "Consider"
    assert discover.pk


def test_the_simulator_shows_propensity_beating_first_match(shop, as_user):
    body = (
        as_user("executive")
        .get(url("simulator", shop), {"visitor_type": "returning"})
        .content.decode()
    )
    purchase = body[body.index(">Purchase<") :]
    assert 'data-testid="chosen">Pick up where you left off<' in purchase
    assert "First match would have shown “Bestsellers”" in purchase.replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )
    assert "No offer is eligible in this stage." in body  # the empty stages say so


def test_the_simulator_starts_from_a_segment(shop, as_user):
    from segments.services import segment_save

    segment = segment_save(organization=shop.acme, by=shop.user("manager"), name="Regulars")
    segment_condition_add(
        segment=segment,
        attribute=shop.visitor,
        operator="is",
        value="returning",
        by=shop.user("manager"),
    )
    response = as_user("team").get(
        url("simulator", shop),
        {"segment": segment.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="decisions",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="decisions">')
    assert "Pick up where you left off" in body


def test_coverage_grid_shows_which_segments_each_stage_reaches(shop, as_user):
    from segments.services import segment_save

    newbies = segment_save(organization=shop.acme, by=shop.user("manager"), name="Newbies")
    segment_condition_add(
        segment=newbies, attribute=shop.visitor, operator="is", value="new", by=shop.user("manager")
    )
    from blueprints import selectors

    structure = selectors.blueprint_structure(blueprint=shop.blueprint)
    rows = dict(
        (s.name, cells)
        for s, cells in selectors.segment_coverage(blueprint=shop.blueprint, structure=structure)
    )
    purchase = rows["Newbies"][2]
    assert purchase.reachable and purchase.offers == [
        "Bestsellers"
    ]  # not "pick up where you left off"
    assert not rows["Newbies"][0].reachable  # nothing in Discover


def test_export_then_import_gives_an_equal_blueprint(shop, as_user):
    services.condition_add(
        offer=shop.bestsellers, sentence="cart value is between 10 and 50", by=shop.user("team")
    )
    exported = as_user("team").get(url("export", shop)).content
    document = json.loads(exported)
    assert document["format"] == "fourfold.blueprint/1"
    response = as_user("team").post(
        reverse("blueprints:import", kwargs={"pk": shop.program.pk}),
        {"file": SimpleUploadedFile("bp.json", exported), "name": "Copy"},
    )
    assert response.status_code == 302
    copy = Blueprint.objects.get(name="Copy")
    again = services.blueprint_export(blueprint=copy)
    assert {**again, "name": "Web shop"} == document


def doc(*offers) -> str:
    stage = {"name": "A", "offers": list(offers)}
    return json.dumps({"format": "fourfold.blueprint/1", "stages": [stage]})


def condition(attribute, value) -> dict:
    return {
        "name": "X",
        "propensity": "0.1",
        "value": "1",
        "conditions": [{"attribute": attribute, "operator": "is", "value": value}],
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "other"}', "not a Fourfold blueprint"),
        ('{"format": "fourfold.blueprint/1", "stages": []}', "at least one stage"),
        (doc({"name": "X", "propensity": "2", "value": "-1"}), "propensity: 2 is outside 0 to 1"),
        (doc(condition("visitor_type", "loyal")), "no value “loyal”"),
        (doc(condition("shoe", "1")), "no attribute “shoe”"),
        (doc("not an offer"), "a name is required"),
    ],
)
def test_a_bad_import_writes_nothing_and_says_why(shop, as_user, document, message):
    before = (Blueprint.objects.count(), Offer.objects.count())
    response = as_user("team").post(
        reverse("blueprints:import", kwargs={"pk": shop.program.pk}),
        {"file": SimpleUploadedFile("bp.json", document.encode())},
        follow=True,
    )
    body = (
        response.content.decode()
        .replace("&ldquo;", "“")
        .replace("&rdquo;", "”")
        .replace("&quot;", '"')
    )
    assert message in body
    assert (Blueprint.objects.count(), Offer.objects.count()) == before


def upload_batch(client, world, text):
    return client.post(
        url("batch_create", world),
        {"file": SimpleUploadedFile("people.csv", text.encode())},
        follow=True,
    )


def test_a_batch_decides_every_profile_and_counts_the_winners(
    shop, as_user, django_capture_on_commit_callbacks
):
    rows = "visitor_type,cart_value\n" + "returning,20\n" * 3 + "new,5\n" * 2
    batch_id = services.batch_create(
        blueprint=shop.blueprint, file_name="people.csv", data=rows.encode(), by=shop.user("team")
    ).pk
    run_batch(batch_id=batch_id)
    run_batch(batch_id=batch_id)  # a second delivery does nothing
    batch = SimulationBatch.objects.get(pk=batch_id)
    assert (batch.status, batch.rows_done, batch.rows_total) == ("succeeded", 5, 5)
    assert batch.wins == {"Pick up where you left off": 3, "Bestsellers": 2}
    result = (
        as_user("executive")
        .get(url("batch_download", shop, batch_pk=batch_id))
        .content.decode("utf-8-sig")
    )
    lines = result.splitlines()
    assert lines[0] == "visitor_type,cart_value,Discover,Consider,Purchase,Service,Loyalty"
    assert lines[1] == "returning,20,,,Pick up where you left off,,"
    page = (
        as_user("executive")
        .get(url("batch", shop, batch_pk=batch_id), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "hx-trigger" not in page and "Download the decisions" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The submitted file is empty."),
        ("visitor_type\n", "header but no profiles"),
        ("shoe,hat\n1,2\n", "No column is a customer attribute"),
    ],
)
def test_bad_batch_files_get_clear_messages(shop, as_user, content, message):
    body = upload_batch(as_user("team"), shop, content).content.decode()
    assert message in body
    assert not SimulationBatch.objects.exists()


def test_a_batch_over_100000_rows_is_refused(shop, monkeypatch):
    monkeypatch.setattr(services, "MAX_BATCH_ROWS", 3)
    with pytest.raises(Exception, match="At most 3 profiles"):
        services.batch_create(
            blueprint=shop.blueprint,
            file_name="x.csv",
            data=b"visitor_type\nnew\nnew\nnew\nnew\n",
            by=shop.user("team"),
        )


def test_readers_see_no_edit_controls(shop, as_user):
    body = as_user("executive").get(url("blueprint", shop)).content.decode()
    assert "Add offer" not in body and "Add stage" not in body and 'name="sentence"' not in body
    assert "Decision simulator" in body


def test_a_blueprint_carries_into_the_next_cycle_whole_with_the_kpi_that_went_on(shop):
    """cycles/ starts the next cycle through blueprints' own service: stages, offers with
    their fields and conditions, each offer serving the KPI that went on (issue 19, 4)."""
    import datetime

    from django.utils import timezone

    from programs.services import cycle_open

    team, old_cycle = shop.user("team"), shop.program.cycles.get()
    services.offer_save(stage=shop.bestsellers.stage, by=team, offer=shop.bestsellers, kpi=shop.kpi)
    old_cycle.closed_at = timezone.now()
    old_cycle.save(update_fields=["closed_at"])
    starts_on = old_cycle.ends_on + datetime.timedelta(days=1)
    new_cycle = cycle_open(
        program=shop.program, starts_on=starts_on, ends_on=starts_on + datetime.timedelta(days=90)
    )
    new_kpi = Kpi.objects.get(pk=shop.kpi.pk)  # as the goals' own service would have made it

    (carried,) = services.blueprints_carry_forward(
        old_cycle=old_cycle, new_cycle=new_cycle, kpi_map={shop.kpi.pk: new_kpi}, by=team
    )

    def shape(blueprint):
        return [
            (
                stage.name,
                [
                    (
                        offer.name,
                        offer.kind,
                        offer.value,
                        offer.propensity,
                        offer.weight,
                        offer.kpi_id,
                        [(c.attribute_id, c.operator, c.value) for c in offer.conditions.all()],
                    )
                    for offer in stage.offers.all()
                ],
            )
            for stage in blueprint.stages.all()
        ]

    assert (carried.cycle, carried.name) == (new_cycle, shop.blueprint.name)
    assert carried.pk != shop.blueprint.pk
    assert shape(carried) == shape(shop.blueprint)
    assert Offer.objects.get(stage__blueprint=carried, name="Bestsellers").kpi == new_kpi
    resume = Offer.objects.get(stage__blueprint=carried, name="Pick up where you left off")
    assert resume.kpi is None and resume.conditions.get().value == "returning"
