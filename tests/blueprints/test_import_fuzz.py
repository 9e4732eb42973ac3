"""Fuzzing the blueprint JSON import (issue 10).

Whatever document arrives, `blueprint_import` either creates a blueprint or raises a
ValidationError whose messages say why, and then the cycle's blueprints, stages, offers
and conditions are exactly as before.
"""

import copy
import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from blueprints import services
from blueprints.models import Blueprint, Offer, OfferCondition, OfferKind, Stage
from kpis.models import Kpi
from segments.conditions import Operator
from segments.models import Attribute
from segments.services import attribute_save
from tests.fuzzing import any_text as text
from tests.fuzzing import json_values, pages_answer, rolled_back

pytestmark = pytest.mark.django_db

FORMAT = services.FORMAT

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ATTRIBUTES = [
    {"key": "cart_value", "label": "Cart value", "type": "number", "allowed_values": []},
    {"key": "city", "label": "City", "type": "text", "allowed_values": []},
    {"key": "newsletter", "label": "Newsletter", "type": "boolean", "allowed_values": []},
    {
        "key": "visitor_type",
        "label": "Visitor type",
        "type": "category",
        "allowed_values": ["new", "returning"],
    },
]


@pytest.fixture
def shop(world):
    """A blueprint using every kind of attribute, a KPI and dates; `document` is its export."""
    for attribute in ATTRIBUTES:
        attribute_save(organization=world.acme, **attribute)
    world.cycle = world.program.cycles.get()
    team = world.user("team")
    blueprint = services.blueprint_create(cycle=world.cycle, name="Web shop", by=team)
    discover, _consider, purchase, *_rest = blueprint.stages.all()
    welcome = services.offer_save(
        stage=discover, by=team, name="Welcome", propensity=Decimal("0.1"), value=Decimal(5)
    )
    bestsellers = services.offer_save(
        stage=purchase,
        by=team,
        name="Bestsellers",
        kind="recommendation",
        description="Top ten of the week",
        propensity=Decimal("0.02"),
        value=Decimal(40),
        weight=Decimal("1.5"),
        kpi=world.kpi,
        active_from=datetime.date(2026, 1, 1),
        active_to=datetime.date(2026, 12, 31),
    )
    for offer, sentence in [
        (welcome, "visitor type is one of new, returning"),
        (welcome, "city contains Amster"),
        (bestsellers, "cart value is between 10 and 50"),
        (bestsellers, "newsletter is true"),
        (bestsellers, "visitor type is returning"),
    ]:
        services.condition_add(offer=offer, sentence=sentence, by=team)
    world.document = services.blueprint_export(blueprint=blueprint)
    assert [a["key"] for a in world.document["attributes"]] == [a["key"] for a in ATTRIBUTES]
    return world


def rows_of(model, **lookup) -> list:
    fields = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.filter(**lookup).order_by("pk").values_list(*fields))


def blueprint_rows(cycle) -> tuple:
    """Every row an import could touch, as plain values."""
    return (
        rows_of(Blueprint, cycle=cycle),
        rows_of(Stage, blueprint__cycle=cycle),
        rows_of(Offer, stage__blueprint__cycle=cycle),
        rows_of(OfferCondition, offer__stage__blueprint__cycle=cycle),
        rows_of(Attribute, organization=cycle.program.organization),
        rows_of(Kpi, goal__cycle=cycle),
    )


def import_or_refuse(world, data, name: str = "") -> Blueprint | None:
    """Import; on refusal check the messages and that nothing changed. None if refused."""
    before = blueprint_rows(world.cycle)
    try:
        blueprint = services.blueprint_import(
            cycle=world.cycle, data=data, by=world.user("team"), name=name
        )
    except ValidationError as refused:
        assert refused.messages
        assert all(str(m).strip() for m in refused.messages), refused.messages
        assert blueprint_rows(world.cycle) == before
        event("refused", refused.messages[-1][:50])
        return None
    event("imported")
    assert blueprint.cycle_id == world.cycle.pk
    assert len(blueprint_rows(world.cycle)[0]) == len(before[0]) + 1
    # Every accepted blueprint's readers open on it: the board, the simulator, the export
    # and the cycle's list (TESTING.md, 3).
    at = {"pk": world.program.pk, "blueprint_pk": blueprint.pk}
    pages_answer(
        world.user("executive"),
        [
            *(reverse(f"blueprints:{n}", kwargs=at) for n in ("blueprint", "simulator", "export")),
            reverse("blueprints:list", kwargs={"pk": world.program.pk}),
        ],
    )
    return blueprint


# --- Strategies -----------------------------------------------------------------------

NASTY = [
    *("", " ", None, [], {}, 0, -1, 0.5, 1e308, 10**30, True, "x" * 1000),
    *("NaN", "Infinity", "-0.01", "1e999", "0.00001", "99999999999", "12,50"),
    *("2026-13-01", "2026-02-01T10:00:00+02:00", "20260101", "2025-01-01"),
    *(o.value for o in Operator),
    *("is_not", "IS", "equals"),
    *(a["key"] for a in ATTRIBUTES),
    *("shoe", "Cart value", "Conversion rate", "conversion rate", "Revenue"),
    *("Discover", "discover", "new", "returning", "loyal", ["new", "loyal"], ["10"]),
    *(["1", "2"], ["2", "1"], ["a", "b", "c"], "10, 50"),
    *(k.value for k in OfferKind),
    *("PROMOTION", "fourfold.blueprint/2"),
]


def paths(node, prefix=()):
    """Every place in a JSON document, as a tuple of keys and indexes."""
    yield prefix
    if isinstance(node, dict | list):
        for key, child in list(node.items() if isinstance(node, dict) else enumerate(node)):
            yield from paths(child, (*prefix, key))


def retyped(value) -> list:
    """The same content as other JSON types."""
    if isinstance(value, bool) or value is None:
        return [str(value).lower(), int(bool(value))]
    if isinstance(value, int | float):
        return [str(value), [value], {"value": value}, value > 0]
    if isinstance(value, str):
        return [[value], {"value": value}, len(value), value.upper()]
    if isinstance(value, list):
        return [dict(enumerate(map(str, value))), value[:1], json.dumps(value)]
    return [list(value.values()), list(value), json.dumps(value)]


def at(doc, path: tuple):
    for key in path:
        doc = doc[key]
    return doc


def edited(value: str) -> st.SearchStrategy:
    """The text changed the ways people's files change it, or some nasty text."""
    return st.one_of(
        st.sampled_from(
            [
                value.upper(),
                value.lower(),
                value.upper().replace("I", "İ"),  # Turkish capitals: İ lowers to i in SQL
                f" {value} ",
                value + "\x00",
                value * 60,
                "",
            ]
        ),
        text,
    )


@st.composite
def mutated_documents(draw, base: dict) -> dict:
    """A real export with one to four changes: keys dropped or added, values replaced by
    other types, nasty values or random JSON, list items duplicated."""
    doc = copy.deepcopy(base)
    # Places are picked uniformly; sampled_from would favour the first keys ("format").
    pick = draw(st.randoms(use_true_random=True)).choice
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p in paths(doc) if p]
        strings = [p for p in places if isinstance(at(doc, p), str)]
        if strings and draw(st.booleans()):  # edit a text in place
            path = pick(strings)
            at(doc, path[:-1])[path[-1]] = draw(edited(at(doc, path)))
            continue
        path = pick(places)
        parent = at(doc, path[:-1])
        key, value = path[-1], parent[path[-1]]
        match pick(["drop", "retype", "nasty", "random", "duplicate", "add"]):
            case "drop":
                del parent[key]
            case "retype":
                parent[key] = pick(retyped(value))
            case "nasty":
                parent[key] = copy.deepcopy(pick(NASTY))
            case "random":
                parent[key] = draw(json_values)
            case "duplicate" if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(value))
            case "add" if isinstance(value, dict):
                value[draw(st.sampled_from(["kind", "extra", "conditions", "offers"]) | text)] = (
                    draw(json_values)
                )
            case _:
                parent[key] = draw(json_values)
        if not any(p for p in paths(doc)):
            break
    return doc


def encoded(doc) -> st.SearchStrategy:
    """The document as the view may receive it: str, or bytes in a JSON encoding."""
    return st.tuples(st.booleans(), st.sampled_from([None, "utf-8", "utf-16", "utf-32"])).map(
        lambda choice: (
            json.dumps(doc, ensure_ascii=choice[0])
            if choice[1] is None
            else json.dumps(doc, ensure_ascii=choice[0]).encode(choice[1], "surrogatepass")
        )
    )


# --- Properties -----------------------------------------------------------------------


@settings(FUZZ, max_examples=150)
@given(data=st.data(), name=st.sampled_from(["Copy"] * 6 + ["", "web SHOP", " ", "x" * 121]))
def test_mutated_exports_import_or_are_refused_with_nothing_written(shop, data, name):
    doc = data.draw(mutated_documents(shop.document))
    with rolled_back():
        blueprint = import_or_refuse(shop, data.draw(encoded(doc)), name=name)
        if blueprint is not None:
            planned = [str(s["name"]).strip()[:60] for s in doc["stages"]]
            exported = services.blueprint_export(blueprint=blueprint)
            assert [s["name"] for s in exported["stages"]] == planned
            assert [len(s["offers"]) for s in exported["stages"]] == [
                len(s.get("offers") or []) for s in doc["stages"]
            ]


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=300),
        text,
        json_values.map(json.dumps),
        st.dictionaries(text, json_values).map(lambda d: {**d, "format": FORMAT}),
        json_values.map(lambda stages: {"format": FORMAT, "stages": stages}),
        st.lists(json_values, min_size=1, max_size=4).map(
            lambda stages: {"format": FORMAT, "stages": stages}
        ),
        st.lists(json_values, min_size=1, max_size=4).map(
            lambda offers: {"format": FORMAT, "stages": [{"name": "A", "offers": offers}]}
        ),
        st.sampled_from(["", "null", "[]", "{}", "NaN", '"format"', "\ufeff{}", "{" * 50]),
        # Nesting around json's recursion limit (about 1000, 2000 under Hypothesis).
        st.tuples(st.integers(500, 5000), st.booleans()).map(
            lambda t: "[" * t[0] + "]" * t[0] * t[1]
        ),
    ),
)
def test_random_documents_are_refused_with_a_message(shop, data):
    if isinstance(data, dict):
        data = json.dumps(data)
    with rolled_back():
        import_or_refuse(shop, data)


# --- Round trip -----------------------------------------------------------------------

safe_names = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], max_codepoint=0x2FF), min_size=1, max_size=40
).map(str.strip)
# Condition numbers are kept plain (50.00 is 50): the file says them so, to read back equal.
number = st.decimals(-1000, 1000, places=2).map(lambda d: format(d.normalize() + 0, "f"))


@st.composite
def conditions(draw) -> dict:
    attribute = draw(st.sampled_from(ATTRIBUTES))
    match attribute["type"]:
        case "number":
            operator = draw(st.sampled_from(["is", "at_least", "at_most", "between"]))
            value = draw(number)
            if operator == "between":
                value = sorted([value, draw(number)], key=Decimal)
        case "category":
            operator = draw(st.sampled_from(["is", "is_one_of"]))
            value = draw(st.sampled_from(attribute["allowed_values"]))
            if operator == "is_one_of":
                value = draw(st.lists(st.sampled_from(attribute["allowed_values"]), min_size=1))
        case "boolean":
            operator, value = "is_true", True
        case _:
            operator, value = draw(st.sampled_from(["is", "contains"])), draw(safe_names)
    assume(value != "")
    return {"attribute": attribute["key"], "operator": operator, "value": value}


@st.composite
def offers(draw) -> dict:
    active_from = draw(st.none() | st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 1, 1)))
    active_to = draw(st.none() | st.dates(active_from or datetime.date(2000, 1, 1)))
    amount = st.decimals(0, Decimal("9999999999.99"), places=2).map(lambda d: f"{abs(d):.2f}")
    return {
        "name": draw(safe_names.filter(bool)),
        "kind": draw(st.sampled_from(OfferKind.values)),
        "description": draw(
            st.text(
                st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60
            )
        ),
        "value": draw(amount),
        "propensity": f"{draw(st.decimals(0, 1, places=4)).copy_abs():.4f}",
        "weight": f"{draw(st.decimals(0, Decimal('9999.99'), places=2)).copy_abs():.2f}",
        "kpi": draw(st.sampled_from([None, "Conversion rate"])),
        "active_from": active_from.isoformat() if active_from else None,
        "active_to": active_to.isoformat() if active_to else None,
        "conditions": draw(st.lists(conditions(), max_size=3)),
    }


@st.composite
def blueprints(draw) -> dict:
    stage_names = draw(
        st.lists(safe_names.filter(bool), min_size=1, max_size=4, unique_by=str.lower)
    )
    stages = [{"name": n, "offers": draw(st.lists(offers(), max_size=3))} for n in stage_names]
    used = {c["attribute"] for s in stages for o in s["offers"] for c in o["conditions"]}
    return {
        "format": FORMAT,
        "name": "Copy of " + draw(safe_names),
        "context": draw(safe_names | st.just("")),
        "attributes": [a for a in ATTRIBUTES if a["key"] in used],
        "stages": stages,
    }


@settings(FUZZ, max_examples=30)
@given(doc=blueprints())
def test_valid_blueprints_survive_import_then_export(shop, doc):
    with rolled_back():
        blueprint = import_or_refuse(shop, json.dumps(doc))
        assert blueprint is not None
        assert services.blueprint_export(blueprint=blueprint) == {
            **doc,
            "name": doc["name"].strip(),
        }


# --- Known bugs (found by the properties above; strict, so a fix turns them green) ---


def one_offer(**changes) -> str:
    offer = {"name": "X", "propensity": "0.1", "value": "1", **changes}
    return json.dumps({"format": FORMAT, "stages": [{"name": "A", "offers": [offer]}]})


def test_deeply_nested_json_is_refused_with_a_message(shop):
    with pytest.raises(ValidationError):
        services.blueprint_import(cycle=shop.cycle, data="[" * 100_000, by=shop.user("team"))


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({"format": FORMAT, "name": "A\x00", "stages": [{"name": "A"}]}),
        json.dumps({"format": FORMAT, "stages": [{"name": "A\x00"}]}),
        one_offer(description="\x00"),
        one_offer(conditions=[{"attribute": "city", "operator": "is", "value": "a\x00"}]),
    ],
    ids=["blueprint-name", "stage-name", "offer-description", "text-condition"],
)
def test_a_nul_character_is_refused_with_a_message(shop, data):
    before = blueprint_rows(shop.cycle)
    with pytest.raises(ValidationError):
        services.blueprint_import(cycle=shop.cycle, data=data, by=shop.user("team"))
    assert blueprint_rows(shop.cycle) == before


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({"format": FORMAT, "stages": [{"name": "A\ud800"}]}),
        one_offer(description="\udfff"),
        one_offer(conditions=[{"attribute": "city", "operator": "is", "value": "\ud800"}]),
    ],
    ids=["stage-name", "offer-description", "text-condition"],
)
def test_a_lone_surrogate_is_refused_with_a_message(shop, data):
    assert "\\ud" in data  # valid JSON: the escape of half a UTF-16 pair
    before = blueprint_rows(shop.cycle)
    with pytest.raises(ValidationError):
        services.blueprint_import(cycle=shop.cycle, data=data, by=shop.user("team"))
    assert blueprint_rows(shop.cycle) == before


def test_the_text_backslash_u0000_is_not_taken_for_a_nul(shop):
    data = one_offer(description="Write \\u0000 for NUL")
    assert json.loads(data)["stages"][0]["offers"][0]["description"] == "Write \\u0000 for NUL"
    blueprint = services.blueprint_import(
        cycle=shop.cycle, data=data, by=shop.user("team"), name="Copy"
    )
    assert blueprint.stages.get().offers.get().description == "Write \\u0000 for NUL"


def test_stage_names_equal_to_postgresql_are_refused_with_a_message(shop):
    data = json.dumps({"format": FORMAT, "stages": [{"name": "i"}, {"name": "İ"}]})
    with pytest.raises(ValidationError):
        services.blueprint_import(cycle=shop.cycle, data=data, by=shop.user("team"))


@pytest.mark.parametrize(
    "changes",
    [
        {"propensity": "0.00001"},
        {"value": "10000000000"},
        {"active_from": "2026-02-01", "active_to": "2026-01-01"},
    ],
    ids=["five-decimals", "too-many-digits", "stops-before-it-starts"],
)
def test_every_refused_offer_is_named(shop, changes):
    with pytest.raises(ValidationError) as refused:
        services.blueprint_import(cycle=shop.cycle, data=one_offer(**changes), by=shop.user("team"))
    assert any("offer 1" in m for m in refused.value.messages), refused.value.messages


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({"format": FORMAT, "stages": [{"name": None}]}),
        one_offer(name=None),
        one_offer(name=["X"]),
    ],
    ids=["stage-null", "offer-null", "offer-list"],
)
def test_a_name_that_is_not_text_is_refused(shop, data):
    with pytest.raises(ValidationError) as refused:
        services.blueprint_import(cycle=shop.cycle, data=data, by=shop.user("team"))
    assert "a name is required" in refused.value.messages[-1]
