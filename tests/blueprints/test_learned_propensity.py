"""Propensity from history in the app: upload, the training job, the result page, switching
an offer to learned propensity, and decisions that follow the model."""

import html
import itertools
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from blueprints import engine, selectors, services
from blueprints.models import Offer, PropensityModel, PropensityRun
from blueprints.propensity import Columns, Predictor
from blueprints.tasks import train_propensity
from tests.blueprints.histories import history_form, make_shop, shop_history

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_run_here")]


@pytest.fixture
def shop(world):
    return make_shop(world)


def url(name, world, **kwargs):
    return reverse(
        f"blueprints:{name}",
        kwargs={"pk": world.program.pk, "blueprint_pk": world.blueprint.pk, **kwargs},
    )


def stored_files(world) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "propensity" / f"blueprint-{world.blueprint.pk}"
    return sorted(folder.glob("*")) if folder.exists() else []


@pytest.fixture(scope="module")
def history() -> bytes:
    return shop_history()


def trained(world, history, *, seed=None) -> PropensityRun:
    run = services.propensity_run_create(
        blueprint=world.blueprint,
        file_name="history.csv",
        data=history,
        columns=Columns("offer", "converted", (), value="value"),
        by=world.user("team"),
        seed=seed,
    )
    services.propensity_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_a_team_member_uploads_a_history_and_the_job_learns_every_offer(
    shop, as_user, history, django_capture_on_commit_callbacks
):
    client = as_user("team")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("propensity_upload", shop), history_form(history, value_column="value")
        )
    run = PropensityRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("propensity_run", shop, version=1)
    assert (run.status, run.version, run.rows, run.offers_done) == ("succeeded", 1, 18_000, 3)
    # The attribute columns were picked by name: the file's has_account and country are
    # not customer attributes of this organization.
    assert run.feature_columns == ["visitor_type", "cart_value"]
    assert len(stored_files(shop)) == 1

    page = client.get(url("propensity_run", shop, version=1)).content.decode()
    assert "Learned from “history.csv”: 18,000 exposures. Random seed" in page
    assert "4,500 / 1,500" in page  # exposures trained / held out, per offer
    assert page.count('data-testid="learned-offer"') == 3
    assert "Not in this history" in page and "Gift wrap" in page
    assert page.count('data-testid="use-learned"') == 3
    for model in run.models.all():
        assert f"{model.auc:.2f}" in page
        assert 0.55 < model.auc < 0.85  # the truth allows about 0.6-0.75; the seed is random
        assert model.value_per_conversion == pytest.approx(
            {"Bestsellers": 40, "Pick up where you left off": 45, "Free shipping": 30}[
                model.offer_name
            ],
            rel=0.1,
        )

    charts = client.get(url("propensity_chart", shop, version=1)).content.decode()
    assert charts.count('<script id="reliability-') == 3
    assert "AUC" in charts


@pytest.mark.queued_on_commit  # the page while the run is still queued, then after it ran
def test_the_result_page_follows_a_run_until_it_ends(shop, as_user, history):
    run = services.propensity_run_create(
        blueprint=shop.blueprint,
        file_name="history.csv",
        data=history,
        columns=Columns("offer", "converted", ("visitor_type", "cart_value")),
        by=shop.user("team"),
    )
    client = as_user("executive")

    def status() -> str:
        return client.get(
            url("propensity_run", shop, version=run.version),
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="run-status",
        ).content.decode()

    polling = status()
    assert polling.lstrip().startswith('<div id="run-status"')
    assert 'hx-trigger="every 1s"' in polling and "Queued…" in polling
    assert "Uploaded “history.csv”" in html.unescape(polling)
    # The worker took it and reads the file (the steps a real job passes through).
    running = PropensityRun.objects.filter(pk=run.pk)
    running.update(status="running", task_id=f"direct-{run.pk}")
    polling = status()
    assert 'hx-trigger="every 1s"' in polling and "Reading the file…" in polling
    running.update(rows=18_000, offers_total=3)
    polling = status()
    assert "Training…" in polling and "0 of 3 offers" in polling
    assert "18,000 exposures" in polling
    services.propensity_run_execute(run_id=run.pk, task_id=f"direct-{run.pk}")
    done = status()
    assert 'hx-trigger="every' not in done and "Learned per offer" in done


def test_an_executive_reads_the_results_but_cannot_switch(shop, as_user, history):
    trained(shop, history)
    client = as_user("executive")
    page = client.get(url("propensity_run", shop, version=1)).content.decode()
    assert "Learned per offer" in page and "Use learned" not in page
    assert "Upload an exposure history" not in client.get(url("propensity", shop)).content.decode()
    model = PropensityModel.objects.get(offer=shop.shipping)
    response = client.post(
        url("offer_propensity", shop, offer_pk=shop.shipping.pk), {"model": model.pk}
    )
    assert response.status_code == 403
    shop.shipping.refresh_from_db()
    assert shop.shipping.learned_model is None


def header(text: str) -> bytes:
    return text.encode()


def rows(n: int, line) -> str:
    return "".join(line(i) for i in range(n))


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        (
            None,
            {"converted_column": "bought"},
            "“history.csv” has no column “bought”; its columns are offer, converted, value, "
            "visitor_type, cart_value, has_account, country.",
        ),
        (
            header(
                "offer,converted,visitor_type,cart_value\n"
                + rows(
                    800, lambda i: f"Bestsellers,{i % 5 == 0},{('new', 'returning')[i % 2]},50\n"
                )
            ),
            {},
            "“cart_value” has the same value on every row, so cannot tell customers apart.",
        ),
        (
            header(
                "offer,converted,visitor_type\n"
                + rows(800, lambda i: f"Bestsellers,{('no', 'yes', 'later')[i % 3]},new\n")
            ),
            {},
            "“converted” must say whether each exposure converted: 1/0, true/false or yes/no, "
            "nothing else. It also holds “later” (line 4).",
        ),
        (
            header(
                "offer,converted,visitor_type\n"
                + rows(
                    800,
                    lambda i: (
                        f"{('Bestsellers', 'Spring sale')[i % 2]},{i % 2},"
                        f"{('new', 'returning')[i % 3 == 0]}\n"
                    ),
                )
            ),
            {},
            "The file names offers this blueprint does not have: “Spring sale”. Its offers are "
            "“Bestsellers”, “Free shipping”, “Gift wrap”, “Pick up where you left off”",
        ),
        (
            header(
                "offer,converted,visitor_type\n"
                + rows(300, lambda i: f"Bestsellers,{i % 2},{('new', 'returning')[i % 3 == 0]}\n")
            ),
            {},
            "Too little data to learn any offer's propensity. 300 exposures with 150 "
            "conversions; a model on these columns needs at least 500 exposures",
        ),
        (
            header("offer,converted,country\n" + rows(10, lambda i: f"Bestsellers,{i % 2},NL\n")),
            {},
            "No column of “history.csv” is named after a customer attribute (cart_value, "
            "visitor_type); list the attribute columns to learn from.",
        ),
        (header("just some text"), {"name": "notes.txt"}, "“notes.txt” is not a CSV or XLSX"),
    ],
    ids=[
        "no-such-column",
        "constant",
        "not-yes-no",
        "unknown-offer",
        "too-little",
        "no-attr",
        "txt",
    ],
)
@pytest.mark.usefixtures("jobs_run_now")
def test_bad_files_end_their_run_failed_with_a_clear_message_on_its_page(
    shop, as_user, history, content, fields, message
):
    name = fields.pop("name", "history.csv")
    client = as_user("manager")
    response = client.post(
        url("propensity_upload", shop),
        history_form(history if content is None else content, name=name, **fields),
    )
    # The request stored the file and queued the job; the job read it and refused it.
    assert response.status_code == 302
    assert response["Location"] == url("propensity_run", shop, version=1)
    run = PropensityRun.objects.get()
    assert (run.status, run.version, run.rows) == ("failed", 1, None)
    assert message in run.error
    assert not PropensityModel.objects.exists()
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "No model was trained." in page and message in page
    assert 'hx-trigger="every' not in page
    # A failed run keeps its number, as every failed run does: the next upload is v2.
    client.post(url("propensity_upload", shop), history_form(history))
    assert PropensityRun.objects.get(version=2).status == "succeeded"


def test_the_upload_request_stores_the_file_and_queues_the_job_without_reading_it(
    shop, as_user, history, monkeypatch, django_capture_on_commit_callbacks
):
    def no_parse_in_the_request(*args, **kwargs):
        raise AssertionError("the request parsed the file")

    monkeypatch.setattr(services.tables, "read_table", no_parse_in_the_request)
    client = as_user("team")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            url("propensity_upload", shop), history_form(history, value_column="value")
        )
    assert response.status_code == 302
    run = PropensityRun.objects.get()
    assert (run.status, run.version, run.rows, run.offers_total) == ("queued", 1, None, 0)
    assert (run.feature_columns, run.feature_kinds) == ([], {})
    assert stored_files(shop) == [Path(run.file.path)]
    assert Path(run.file.path).read_bytes() == history
    assert len(queued) == 1 and not run.models.exists()
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Version 1 is queued: the file is read and checked, then each offer trained." in page
    assert "Queued…" in page and "Uploaded “history.csv”" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"converted_column": "offer"}, "must be three different columns"),
        ({"value_column": "converted"}, "must be three different columns"),
        (
            {"attribute_columns": "visitor_type, offer"},
            "“offer” cannot be an attribute and the offer, converted or value column too.",
        ),
    ],
)
def test_columns_that_cannot_be_right_are_refused_at_once_and_nothing_is_saved(
    shop, as_user, history, fields, message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = as_user("manager").post(
            url("propensity_upload", shop), history_form(history, **fields)
        )
    assert response.status_code == 422
    assert message in html.unescape(response.content.decode())
    assert not PropensityRun.objects.exists() and not queued
    assert stored_files(shop) == []


def test_the_training_job_is_safe_to_run_twice(shop, history):
    run = services.propensity_run_create(
        blueprint=shop.blueprint,
        file_name="history.csv",
        data=history,
        columns=Columns("offer", "converted", ("visitor_type", "cart_value")),
        by=shop.user("team"),
    )
    train_propensity(run_id=run.pk)
    first = {m.offer_name: (m.pk, m.model, m.auc) for m in run.models.all()}
    train_propensity(run_id=run.pk)  # a second delivery finds the run done: nothing happens
    assert {m.offer_name: (m.pk, m.model, m.auc) for m in run.models.all()} == first
    # Re-delivered after its worker died mid-run: the same task resumes and upserts.
    PropensityRun.objects.filter(pk=run.pk).update(status="running", task_id="task-1")
    services.propensity_run_execute(run_id=run.pk, task_id="task-1")
    assert {m.offer_name: (m.pk, m.model, m.auc) for m in run.models.all()} == first
    # Another worker's run in progress is left alone.
    PropensityRun.objects.filter(pk=run.pk).update(status="running", task_id="task-2")
    services.propensity_run_execute(run_id=run.pk, task_id="task-3")
    assert PropensityRun.objects.get(pk=run.pk).status == "running"
    train_propensity(run_id=987654)  # gone: a quiet no-op


def test_the_versions_list_newest_first_with_what_each_learned(shop, as_user, history):
    trained(shop, history)
    trained(shop, history)
    page = as_user("executive").get(url("propensity", shop)).content.decode()
    assert page.index(">v2</a>") < page.index(">v1</a>")
    assert page.count("3 learned") == 2


def test_the_upload_form_starts_from_the_last_versions_columns_and_says_so(shop, as_user, history):
    client = as_user("team")
    assert 'data-testid="columns-from"' not in client.get(url("propensity", shop)).content.decode()
    trained(shop, history)  # read its value from "value"
    page = client.get(url("propensity", shop)).content.decode()
    assert "The column names below are version 1's." in page
    assert 'name="value_column" value="value"' in page


def test_the_recorded_seed_and_file_reproduce_a_version(shop, history):
    first = trained(shop, history, seed=1234)
    again = trained(shop, history, seed=1234)
    other = trained(shop, history)
    assert (first.version, again.version, other.version) == (1, 2, 3)
    assert first.seed == again.seed == 1234

    def models(run):
        return {m.offer_name: m.model for m in run.models.all()}

    assert models(first) == models(again)
    assert models(first) != models(other)


def test_switching_an_offer_to_learned_propensity_and_back(shop, as_user, history):
    trained(shop, history)
    client = as_user("team")
    model = PropensityModel.objects.get(offer=shop.shipping)
    blueprint_page = client.get(url("blueprint", shop)).content.decode()
    assert blueprint_page.count('data-testid="use-learned"') == 3  # not Gift wrap
    response = client.post(
        url("offer_propensity", shop, offer_pk=shop.shipping.pk), {"model": model.pk}
    )
    assert response.status_code == 302
    shop.shipping.refresh_from_db()
    assert shop.shipping.learned_model == model
    page = client.get(url("blueprint", shop)).content.decode()
    assert f"Uses learned propensity (v1: AUC {model.auc:.2f}, 6,000 exposures)" in page
    assert "instead of the estimate 8.0%" in page
    assert "“Free shipping” is scored with its learned propensity (version 1)" in page

    client.post(url("offer_propensity", shop, offer_pk=shop.shipping.pk), {"model": "estimated"})
    shop.shipping.refresh_from_db()
    assert shop.shipping.learned_model is None


def test_only_a_trained_model_of_the_offer_itself_can_be_used(shop, as_user, history):
    trained(shop, history)
    client = as_user("team")
    others = PropensityModel.objects.get(offer=shop.bestsellers)
    client.post(url("offer_propensity", shop, offer_pk=shop.shipping.pk), {"model": others.pk})
    client.post(url("offer_propensity", shop, offer_pk=shop.shipping.pk), {"model": "nonsense"})
    assert Offer.objects.get(pk=shop.shipping.pk).learned_model is None
    page = client.get(url("blueprint", shop)).content.decode()
    assert "That model was not trained for this offer." in page
    assert "Choose a learned model of this offer, or the estimate." in page


def test_an_offer_with_too_little_data_keeps_its_estimate(shop, as_user):
    from blueprints.history import NEW, TrueOffer, generate, to_csv

    truth = (
        TrueOffer("Bestsellers", 3_000, lambda p: -2.0 + 0.8 * NEW(p)),
        TrueOffer("Gift wrap", 200, lambda p: -2.0 + 0.0 * NEW(p)),
    )
    run = trained(shop, to_csv(generate(truth, seed=2)))
    thin = run.models.get(offer=shop.gift)
    assert not thin.is_trained and thin.model == {}
    page = as_user("executive").get(url("propensity_run", shop, version=1)).content.decode()
    assert "Too little data: no model, the estimate stays" in page
    assert "Gift wrap</strong>: 200 exposures with" in page
    response = as_user("team").post(
        url("offer_propensity", shop, offer_pk=shop.gift.pk), {"model": thin.pk}
    )
    assert response.status_code == 302
    assert Offer.objects.get(pk=shop.gift.pk).learned_model is None


def test_the_engine_with_learned_propensity_picks_the_highest_predicted_value(shop, history):
    trained(shop, history)
    for offer in (shop.bestsellers, shop.resume, shop.shipping):
        model = PropensityModel.objects.get(offer=offer)
        services.offer_propensity_use(offer=offer, model=model, by=shop.user("team"))
    structure = selectors.blueprint_structure(blueprint=shop.blueprint)
    compiled = engine.compile_blueprint(selectors.to_engine(structure))
    predictors = {
        o.offer.pk: Predictor(o.offer.learned_model.model)
        for view in structure
        for o in view.offers
        if o.offer.learned_model
    }
    chosen = set()
    for visitor, cart in itertools.product(("new", "returning"), (5, 25, 40, 60, 120)):
        profile = {"visitor_type": visitor, "cart_value": str(cart)}
        purchase = next(d for d in engine.decide(compiled, profile) if d.stage.name == "Purchase")
        eligible = [v.offer for v in purchase.verdicts if v.eligible]
        expected = max(
            eligible,
            key=lambda o: (
                (predictors[o.id](profile) if o.id in predictors else o.propensity)
                * o.value
                * o.weight
            ),
        )
        assert purchase.chosen == expected, profile
        assert all(v.learned == (v.offer.id in predictors) for v in purchase.verdicts)
        assert engine.decide_winners(compiled, profile)[2] == expected.id
        chosen.add(expected.name)
    # The learned models, not fixed numbers, decide: the winner changes with the customer.
    assert chosen == {"Bestsellers", "Pick up where you left off", "Free shipping"}


def test_the_simulator_explains_a_learned_offer(shop, as_user, history):
    trained(shop, history)
    model = PropensityModel.objects.get(offer=shop.shipping)
    services.offer_propensity_use(offer=shop.shipping, model=model, by=shop.user("team"))
    client = as_user("executive")
    page = client.get(
        url("simulator", shop), {"visitor_type": "returning", "cart_value": "80"}
    ).content.decode()
    expected = Predictor(model.model)({"visitor_type": "returning", "cart_value": "80"})
    assert f"learned: {expected:.1%} for this profile" in page
    assert "estimated: 2.0%" in page  # Bestsellers, still on its estimate
    partial = client.get(url("simulator", shop), {"visitor_type": "new"}).content.decode()
    assert "Cart value not given: used the history's average, " in html.unescape(partial)


def test_an_offer_that_is_out_gets_no_notes_on_filled_in_values(shop, as_user, history):
    """Returning visitors only: for a new one the offer is out, and how its model would
    have filled in the missing cart value is beside the point."""
    trained(shop, history)
    for offer in (shop.resume, shop.shipping):
        model = PropensityModel.objects.get(offer=offer)
        services.offer_propensity_use(offer=offer, model=model, by=shop.user("team"))
    page = as_user("manager").get(url("simulator", shop), {"visitor_type": "new"}).content
    rows = {
        row.split("</td>", 1)[0].rsplit(">", 1)[-1]: row
        for row in page.decode().split("<tr")[1:]
        if "propensity-note" in row
    }
    assert "out: needs" in rows["Pick up where you left off"]
    assert 'data-testid="filled-note"' not in rows["Pick up where you left off"]
    assert 'data-testid="filled-note"' in rows["Free shipping"]  # in, so its notes count


def test_a_closed_cycle_takes_no_history(shop, as_user, history):
    shop.program.cycles.update(closed_at=timezone.now())
    response = as_user("manager").post(url("propensity_upload", shop), history_form(history))
    assert response.status_code == 422
    assert "Cycle 1 is closed" in response.content.decode()
    assert not PropensityRun.objects.exists() and stored_files(shop) == []


@pytest.mark.queued_on_commit  # the offers change between the upload and the run
def test_a_run_whose_offers_changed_since_the_upload_fails_and_keeps_nothing(shop, history):
    run = services.propensity_run_create(
        blueprint=shop.blueprint,
        file_name="history.csv",
        data=history,
        columns=Columns("offer", "converted", ("visitor_type", "cart_value")),
        by=shop.user("team"),
    )
    services.offer_save(stage=shop.shipping.stage, offer=shop.shipping, by=shop.user("team"),
                        name="Free delivery")  # fmt: skip
    services.propensity_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and not run.models.exists()
    assert "does not have: “Free shipping”" in run.error


def test_a_version_downloads_as_json_with_its_seed_and_models(shop, as_user, history):
    run = trained(shop, history, seed=99)
    response = as_user("executive").get(url("propensity_download", shop, version=run.version))
    doc = json.loads(response.content)
    assert (doc["version"], doc["seed"], doc["rows"], doc["holdout"]) == (1, 99, 18_000, 0.25)
    assert doc["columns"]["attributes"] == {"visitor_type": "category", "cart_value": "number"}
    assert {o["offer"] for o in doc["offers"]} == {
        "Bestsellers",
        "Pick up where you left off",
        "Free shipping",
    }
    shipping = next(o for o in doc["offers"] if o["offer"] == "Free shipping")
    profile = {"visitor_type": "new", "cart_value": "70"}
    stored = PropensityModel.objects.get(offer=shop.shipping).model
    assert Predictor(shipping["model"])(profile) == Predictor(stored)(profile)


def test_the_demo_blueprint_learns_from_its_history(world):
    from demo.blueprints import seed_propensity
    from demo.seed import seed_blueprint, seed_goals

    manager = world.user("manager")
    seed_goals(program=world.program, by=manager)
    seed_blueprint(program=world.program, by=manager)
    seed_propensity(program=world.program, by=manager)
    seed_propensity(program=world.program, by=manager)  # again: nothing new
    run = PropensityRun.objects.get()
    assert (run.version, run.status, run.offers_done) == (1, "succeeded", 14)
    assert run.feature_columns == ["visitor_type", "cart_value", "has_account", "country"]
    thin = run.models.filter(auc__isnull=True)
    assert [m.offer_name for m in thin] == ["Size advice chat"]
    assert run.models.filter(offer__isnull=False).count() == 14
    assert all(0.5 < m.auc < 0.8 for m in run.models.filter(auc__isnull=False))
    assert not Offer.objects.filter(learned_model__isnull=False).exists()


def test_the_django_admin_shows_versions_without_changing_them(shop, admin_client, history):
    run = trained(shop, history)
    model = run.models.first()
    for path in (
        "/admin/blueprints/propensityrun/",
        f"/admin/blueprints/propensityrun/{run.pk}/change/",
        f"/admin/blueprints/propensitymodel/{model.pk}/change/",
    ):
        assert admin_client.get(path).status_code == 200, path
    assert admin_client.get("/admin/blueprints/propensityrun/add/").status_code == 403
