"""Segment discovery: K-means finds planted groups, describes them in conditions that reach
them, and the pages upload, run, show and save without losing anything on bad input."""

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from sklearn.metrics import adjusted_rand_score

from programs.jobs import JobStatus
from programs.tables import describe
from segments import clustering, discovery
from segments.clustering import ClusteringError, Settings, TableCondition
from segments.models import Attribute, ClusterRun, CustomerTable, Segment
from segments.views import _reach_sentence
from tests.segments.test_segment_pages import text

pytestmark = pytest.mark.usefixtures("tasks_run_here")


def planted(rows: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Four groups of customers, apart on spend, visits, country and membership."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, rows)
    centres = np.array([[20, 2, 0.1], [80, 10, 0.9], [150, 3, 0.5], [40, 15, 0.2]])
    numbers = centres[truth] + rng.normal(0, [8, 1.2, 0.1], (rows, 3))
    country = np.where(truth == 2, rng.choice(["DE", "AT"], rows), rng.choice(["NL", "BE"], rows))
    member = (rng.random(rows) < np.array([0.03, 0.97, 0.03, 0.97])[truth]).astype(int)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows) + 1000,
            "cart value": numbers[:, 0].round(2),
            "visits": numbers[:, 1].round(1),
            "discount share": numbers[:, 2].round(3),
            "country": country,
            "member": member,
        }
    )
    return frame, truth


def germanic(cluster: dict) -> bool:
    """The planted cluster of German and Austrian big spenders."""
    return any(c["value"] == ["AT", "DE"] for c in cluster["conditions"])


def stored(frame: pd.DataFrame):
    return clustering.store(frame, describe(frame))


FEATURES = ("cart_value", "visits", "discount_share", "country", "member")


@pytest.fixture(scope="module")
def outcome():
    frame, truth = planted(4000)
    columns, arrays = stored(frame)
    return columns, arrays, truth, clustering.run(columns, arrays, Settings(keys=FEATURES, seed=7))


def test_clustering_recovers_planted_clusters(outcome):
    _columns, _arrays, truth, result = outcome
    assert result.k == 4
    assert adjusted_rand_score(truth, result.labels) > 0.9
    assert max(result.silhouettes, key=result.silhouettes.get) == 4


def test_suggested_conditions_reach_most_of_their_cluster(outcome):
    columns, arrays, _truth, result = outcome
    described = [c for c in result.clusters if c["conditions"]]
    assert len(described) >= 3
    for cluster in described:
        conditions = [TableCondition(**c) for c in cluster["conditions"]]
        reached = clustering.reach(columns, arrays, conditions)
        inside = result.labels == cluster["index"]
        assert (reached & inside).sum() / inside.sum() >= clustering.REACH_GOAL
        # ... and mostly that cluster: the description tells it apart from the others.
        assert (reached & inside).sum() / reached.sum() > 0.8


def test_profiles_say_how_each_cluster_differs(outcome):
    _columns, _arrays, _truth, result = outcome
    german = next(c for c in result.clusters if germanic(c))
    country = next(p for p in german["profile"] if p["key"] == "country")
    assert {level["level"] for level in country["levels"][:2]} == {"AT", "DE"}
    assert german["name"].startswith("Country")
    spend = next(p for p in german["profile"] if p["key"] == "cart_value")
    assert spend["cluster"] > 2 * spend["all"] * 0.8  # about 150 against about 72


def test_the_same_seed_gives_the_same_clusters():
    frame, _truth = planted(1500, seed=3)
    columns, arrays = stored(frame)
    first = clustering.run(columns, arrays, Settings(keys=FEATURES, seed=11))
    again = clustering.run(columns, arrays, Settings(keys=FEATURES, seed=11))
    assert np.array_equal(first.labels, again.labels)
    assert first.clusters == again.clusters


def test_a_fixed_k_is_used_as_given():
    frame, _truth = planted(1000)
    columns, arrays = stored(frame)
    result = clustering.run(columns, arrays, Settings(keys=("cart_value",), seed=1, k=3))
    assert result.k == 3 and result.silhouettes == {}
    assert sorted(c["size"] for c in result.clusters)[::-1] == [c["size"] for c in result.clusters]


@pytest.mark.parametrize(
    ("rows", "keys", "k", "message"),
    [
        (5, ("spend",), 8, "fewer than the 8 clusters"),
        (30, ("spend",), 4, "Too little data: 30 rows"),
        (200, ("flat",), 2, "has one value in every row"),
        (200, ("customer_id",), 2, "is an identifier or free text"),
        (200, ("nope",), 2, "no column nope"),
        (200, (), 2, "Choose at least one column"),
        (200, ("spend",), 20, "between 2 and 12"),
    ],
)
def test_runs_that_cannot_be_done_say_why(rows, keys, k, message):
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(rows)],
            "spend": np.arange(rows, dtype=float),
            "flat": [1.5] * rows,
        }
    )
    columns, arrays = stored(frame)
    with pytest.raises(ClusteringError, match=message):
        clustering.run(columns, arrays, Settings(keys=keys, seed=1, k=k))


def test_reach_reads_conditions_as_segments_mean_them():
    frame, _truth = planted(500)
    columns, arrays = stored(frame)
    some = clustering.reach(
        columns,
        arrays,
        [
            TableCondition("country", "is_one_of", ["DE", "AT"]),
            TableCondition("cart_value", "at_least", "100"),
            TableCondition("member", "is_true", True),
        ],
    )
    expected = (
        frame["country"].isin(["DE", "AT"]) & (frame["cart value"] >= 100) & (frame["member"] == 1)
    )
    assert np.array_equal(some, expected.to_numpy())
    with pytest.raises(ClusteringError, match="no column for “age”"):
        clustering.reach(columns, arrays, [TableCondition("age", "at_least", "3")])


# --- The pages ------------------------------------------------------------------------


def csv_upload(frame: pd.DataFrame, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, frame.to_csv(index=False).encode())


def url(name: str, world, **kwargs) -> str:
    return reverse(f"segments:{name}", kwargs={"org": world.acme.slug, **kwargs})


def uploaded(world, frame: pd.DataFrame) -> CustomerTable:
    """A table uploaded and read by its job (run here, as the worker would)."""
    table = discovery.customer_table_upload(
        organization=world.acme,
        name="c.csv",
        stream=io.BytesIO(frame.to_csv(index=False).encode()),
        by=None,
    )
    discovery.customer_table_read(table_id=table.pk)
    table.refresh_from_db()
    return table


def shown(response) -> str:
    return response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")


def test_a_team_member_uploads_clusters_and_a_manager_saves_a_segment(
    world, as_user, jobs_run_now, django_capture_on_commit_callbacks
):
    frame, _truth = planted(1200)
    team = as_user("team")
    response = team.post(url("discovery", world), {"file": csv_upload(frame)})
    table = CustomerTable.objects.get()
    assert response["Location"] == url("customer_table", world, table_pk=table.pk)
    page = team.get(response["Location"]).content.decode()
    assert "1,200 customers, 6 columns" in page
    assert "customer_id id or text not used" in text(page)  # numbers, but a key
    with django_capture_on_commit_callbacks(execute=True):
        response = team.post(
            url("customer_table", world, table_pk=table.pk),
            {"keys": list(FEATURES), "k_mode": "auto", "k_min": 2, "k_max": 6, "seed": 5},
        )
    run = ClusterRun.objects.get()
    assert response["Location"] == url("cluster_run", world, run_pk=run.pk)
    assert run.status == JobStatus.SUCCEEDED and run.result["k"] == 4 and run.seed == 5

    page = as_user("executive").get(response["Location"]).content.decode()
    assert "Run 1: 4 clusters" in page
    assert 'data-testid="cluster-map"' in page and 'data-testid="silhouette-chart"' in page
    assert "Country is one of" in page
    assert "Save as segment" not in page  # executives read
    seen = text(page)
    assert "On Cart value, Visits, Discount share, Country, Member ·" in seen
    assert "cart_value" not in seen
    assert "Numbers are averages; yes/no columns and categories are shares" in seen
    german = next(c for c in run.clusters if germanic(c))
    assert _reach_sentence(german["reach"]) in seen

    manager = as_user("manager")
    number = german["number"]
    response = manager.post(
        url("cluster_save", world, run_pk=run.pk, number=number),
        {f"cluster-{number}-name": "Germany and Austria"},
    )
    segment = Segment.objects.get(name="Germany and Austria")
    assert response["Location"] == url("segment", world, segment_pk=segment.pk)
    assert segment.estimated_size == german["size"]
    assert str(segment.conditions.first()) == "Country is one of AT, DE"
    assert Attribute.objects.get(organization=world.acme, key="country").allowed_values == [
        "AT",
        "BE",
        "DE",
        "NL",
    ]
    reach = manager.get(url("segment_reach", world, segment_pk=segment.pk)).content.decode()
    assert f"{german['size']:,}" in reach and "of the cluster is reached" in reach

    # Widening the definition by hand: everyone with a cart value of at least 0 (no country).
    segment.conditions.filter(attribute__key="country").delete()
    reach = discovery.segment_reach(segment)
    assert reach.overlap <= reach.cluster < reach.reached


def test_the_table_page_groups_each_way_of_choosing_the_number_of_clusters(world, as_user):
    frame, _truth = planted(300)
    table = uploaded(world, frame)
    page = as_user("team").get(url("customer_table", world, table_pk=table.pk)).content.decode()
    # The columns table scrolls inside its card instead of running over its edge.
    assert re.search(r'<div class="table-responsive">\s*<table[^>]*data-testid="columns"', page)
    choice = text(page[page.index('data-testid="k-choice"') : page.index("</fieldset>")])
    assert re.search(
        r"Choose by silhouette Try from to clusters Each number in this range is tried.*"
        r"Set by hand Clusters Used only when “Set by hand” is chosen",
        choice,
    )
    method = text(page)
    assert "Customers who look alike are put in the same group. We try 2 to 8 groups" in method
    assert "Technically: K-means on the chosen columns" in method


@pytest.mark.parametrize(
    ("reach", "sentence"),
    [
        (
            {"reached": 1911, "in_cluster": 1911, "of_cluster": 0.81},
            "These conditions reach 1,911 customers: 81% of this cluster, and all 1,911 are in it.",
        ),
        (
            {"reached": 1115, "in_cluster": 1084, "of_cluster": 0.91},
            "These conditions reach 1,115 customers: 91% of this cluster. 1,084 of them are in "
            "it; 31 customers are outside it.",
        ),
        (
            {"reached": 815, "in_cluster": 814, "of_cluster": 0.88},
            "These conditions reach 815 customers: 88% of this cluster. 814 of them are in it; "
            "1 customer is outside it.",
        ),
        (
            {"reached": 0, "in_cluster": 0, "of_cluster": 0.0},
            "No customer in the table meets these conditions.",
        ),
    ],
)
def test_the_reach_of_suggested_conditions_reads_as_one_clear_sentence(reach, sentence):
    assert _reach_sentence(reach) == sentence


def test_bad_uploads_end_failed_with_their_reason_and_keep_no_file(
    world, as_user, jobs_run_now, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    team = as_user("team")
    for upload, message in [
        (SimpleUploadedFile("c.txt", b"a,b\n1,2\n"), "is not a CSV or XLSX file"),
        (SimpleUploadedFile("c.csv", b"a,b\n"), "has a header but no rows"),
        (SimpleUploadedFile("c.csv", b"a,a\n1,2\n"), "names a column twice: a"),
        (SimpleUploadedFile("c.csv", b"a,b\n1,2,3\n"), "line 2 has 3 values; the header has 2"),
        (SimpleUploadedFile("c.csv", "a,é\n1,2\n".encode("latin-1")), "is not UTF-8"),
    ]:
        response = team.post(url("discovery", world), {"file": upload})
        table = CustomerTable.objects.latest("pk")
        assert table.status == JobStatus.FAILED and message in table.error
        assert not table.upload and not table.data and table.rows == 0
        page = shown(team.get(response["Location"]))
        assert "The file could not be read; nothing of it is kept." in page and message in page
        assert 'data-testid="table-reading"' not in page and 'data-testid="run-form"' not in page
    listing = text(team.get(url("discovery", world)))
    assert listing.count("Could not be read") == 5
    assert not list(tmp_path.rglob("*.*"))


def test_an_xlsx_table_is_read_too(world, as_user, jobs_run_now):
    frame, _truth = planted(300)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    as_user("manager").post(
        url("discovery", world), {"file": SimpleUploadedFile("c.xlsx", buffer.getvalue())}
    )
    table = CustomerTable.objects.get()
    assert table.rows == 300
    assert [c["kind"] for c in table.columns] == [
        "other",
        "numeric",
        "numeric",
        "numeric",
        "category",
        "boolean",
    ]


def test_a_long_xlsx_table_is_refused_with_advice(world, as_user, jobs_run_now, monkeypatch):
    from programs import tables

    monkeypatch.setattr(tables, "MAX_XLSX_ROWS", 100)
    frame, _truth = planted(101)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    team = as_user("team")
    response = team.post(
        url("discovery", world), {"file": SimpleUploadedFile("c.xlsx", buffer.getvalue())}
    )
    page = shown(team.get(response["Location"]))
    assert "has more than 100 rows; Excel files of more than 100 rows" in page
    assert "save it as CSV" in page
    assert CustomerTable.objects.get().status == JobStatus.FAILED


def test_runs_that_cannot_be_done_are_refused_in_the_form(
    world, as_user, jobs_run_now, django_capture_on_commit_callbacks
):
    frame = pd.DataFrame({"id": range(30), "spend": range(30), "flat": [2] * 30})
    team = as_user("team")
    team.post(url("discovery", world), {"file": csv_upload(frame)})
    table = CustomerTable.objects.get()
    for data, message in [
        ({"keys": ["spend"], "k_mode": "fixed", "k": 5, "k_min": 2, "k_max": 8}, "Too little"),
        ({"keys": ["flat"], "k_mode": "auto", "k_min": 2, "k_max": 8}, "not one of the available"),
        ({"keys": ["spend"], "k_mode": "fixed", "k_min": 2, "k_max": 8}, "Say how many"),
        ({"keys": ["spend"], "k_mode": "auto", "k_min": 6, "k_max": 3}, "lower number"),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = team.post(url("customer_table", world, table_pk=table.pk), data)
        assert response.status_code == 422, data
        assert message in response.content.decode()
    assert not ClusterRun.objects.exists()


def test_a_run_on_a_table_without_enough_distinct_rows_fails_visibly(
    world, as_user, jobs_run_now, django_capture_on_commit_callbacks
):
    frame = pd.DataFrame({"id": range(100), "spend": [1, 2] * 50})
    team = as_user("team")
    team.post(url("discovery", world), {"file": csv_upload(frame)})
    table = CustomerTable.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = team.post(
            url("customer_table", world, table_pk=table.pk),
            {"keys": ["spend"], "k_mode": "fixed", "k": 3, "k_min": 2, "k_max": 8},
        )
    run = ClusterRun.objects.get()
    assert run.status == JobStatus.FAILED and not run.labels
    page = team.get(response["Location"]).content.decode()
    assert "fewer distinct rows than clusters" in page


def test_the_upload_request_only_keeps_the_file_and_the_page_waits_for_the_job(
    world, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    def no_parsing_here(*args, **kwargs):
        raise AssertionError("the request parsed the file")

    monkeypatch.setattr(discovery, "read_table", no_parsing_here)
    frame, _truth = planted(200)
    team = as_user("team")
    with django_capture_on_commit_callbacks() as queued:
        response = team.post(url("discovery", world), {"file": csv_upload(frame)})
    table = CustomerTable.objects.get()
    assert response["Location"] == url("customer_table", world, table_pk=table.pk)
    assert table.status == JobStatus.QUEUED and table.reading and not table.ready
    assert table.rows == 0 and table.columns == [] and not table.data
    assert Path(table.upload.path).read_bytes() == frame.to_csv(index=False).encode()
    assert len(queued) == 1

    page = team.get(response["Location"]).content.decode()
    assert "Reading the file… its columns appear here in a moment." in page
    assert 'hx-trigger="every 1s"' in page and 'hx-swap="outerHTML"' in page
    assert 'data-testid="run-form"' not in page and 'data-testid="columns"' not in page
    assert "Reading the file…" in text(team.get(url("discovery", world)))
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "table-reading"}
    fragment = team.get(response["Location"], **poll).content.decode()
    assert 'id="table-reading"' in fragment and "<html" not in fragment

    monkeypatch.undo()
    upload = table.upload.path
    queued[0]()  # the worker's turn
    table.refresh_from_db()
    assert table.status == JobStatus.SUCCEEDED and table.rows == 200 and not table.upload
    assert not Path(upload).exists()
    done = team.get(response["Location"], **poll)
    assert done["HX-Refresh"] == "true"
    page = team.get(response["Location"]).content.decode()
    assert "200 customers, 6 columns" in page and 'id="table-reading"' not in page


@pytest.mark.queued_on_commit  # the page while the table's reading job has not run yet
def test_clustering_is_refused_while_the_file_is_read(world, as_user):
    frame, _truth = planted(100)
    table = discovery.customer_table_upload(
        organization=world.acme,
        name="c.csv",
        stream=io.BytesIO(frame.to_csv(index=False).encode()),
        by=None,
    )
    team = as_user("team")
    chosen = {"keys": ["cart_value"], "k_mode": "fixed", "k": 2, "k_min": 2, "k_max": 8}
    response = team.post(url("customer_table", world, table_pk=table.pk), chosen, follow=True)
    assert "The file is still being read; start a run when its columns appear." in text(response)
    with pytest.raises(ValidationError, match="still being read"):
        discovery.cluster_run_queue(
            table=table, keys=["cart_value"], k=2, k_range=(2, 8), seed=1, by=None
        )
    CustomerTable.objects.filter(pk=table.pk).update(status=JobStatus.FAILED, error="Bad file.")
    response = team.post(url("customer_table", world, table_pk=table.pk), chosen, follow=True)
    assert "This table could not be read, so it cannot be clustered." in text(response)
    assert "Bad file." in text(response)
    assert not ClusterRun.objects.exists()


def test_a_read_past_its_time_limit_or_memory_fails_and_keeps_no_file(world, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    for problem, message in [
        (SoftTimeLimitExceeded(), "took longer than its time limit"),
        (MemoryError(), "needed more memory than a job may use"),
    ]:

        def read_table(*args, problem=problem, **kwargs):
            raise problem

        monkeypatch.setattr(discovery, "read_table", read_table)
        table = discovery.customer_table_upload(
            organization=world.acme, name="c.csv", stream=io.BytesIO(b"a,b\n1,2\n"), by=None
        )
        upload = table.upload.path
        discovery.customer_table_read(table_id=table.pk)
        table.refresh_from_db()
        assert table.status == JobStatus.FAILED and message in table.error
        assert not table.upload and not Path(upload).exists()


def test_a_table_read_twice_or_deleted_before_its_job_is_left_alone(world, as_user):
    frame, _truth = planted(100)
    table = uploaded(world, frame)
    read = (table.data.name, table.rows)
    discovery.customer_table_read(table_id=table.pk)
    table.refresh_from_db()
    assert (table.data.name, table.rows) == read
    waiting = discovery.customer_table_upload(
        organization=world.acme, name="d.csv", stream=io.BytesIO(b"a,b\n1,2\n"), by=None
    )
    upload = waiting.upload.path
    as_user("team").post(url("customer_table_delete", world, table_pk=waiting.pk))
    assert not Path(upload).exists()
    discovery.customer_table_read(table_id=waiting.pk)  # a quiet no-op
    assert list(CustomerTable.objects.all()) == [table]


def test_a_run_delivered_twice_runs_once(world):
    run = clustered_on_cart_value(world)
    finished = (run.finished_at, run.labels.name, run.result)
    discovery.cluster_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.finished_at, run.labels.name, run.result) == finished


def test_a_status_fragment_is_served_while_the_run_works(world, as_user):
    frame, _truth = planted(100)
    table = uploaded(world, frame)
    run = ClusterRun.objects.create(
        table=table, number=1, keys=["cart_value"], seed=3, status=JobStatus.RUNNING, progress=40
    )
    run.step = "Trying 3 clusters"
    run.save()
    client = as_user("executive")
    fragment = client.get(url("cluster_run", world, run_pk=run.pk), HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "Trying 3 clusters" in text and "40%" in text and "<html" not in text
    ClusterRun.objects.filter(pk=run.pk).update(status=JobStatus.FAILED, error="boom")
    done = client.get(url("cluster_run", world, run_pk=run.pk), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def clustered_on_cart_value(world) -> ClusterRun:
    """400 planted customers uploaded and split in two on cart value."""
    frame, _truth = planted(400)
    table = uploaded(world, frame)
    run = ClusterRun.objects.create(table=table, number=1, keys=["cart_value"], k=2, seed=3)
    discovery.cluster_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_deleting_a_table_keeps_its_segments(world, as_user):
    run = clustered_on_cart_value(world)
    table = run.table
    segment = discovery.segment_from_cluster(run=run, number=1, name="Low spend", by=None)
    files = [table.data.path, run.labels.path]
    as_user("team").post(url("customer_table_delete", world, table_pk=table.pk))
    assert not CustomerTable.objects.exists()
    segment.refresh_from_db()
    assert segment.discovered_in is None and segment.conditions.exists()
    assert not any(__import__("os").path.exists(f) for f in files)


def test_a_cluster_column_clashing_with_an_attribute_is_refused(world):
    from segments.services import attribute_save

    attribute_save(
        organization=world.acme,
        key="cart_value",
        label="Cart value",
        type="category",
        allowed_values=["small", "big"],
    )
    run = clustered_on_cart_value(world)
    with pytest.raises(Exception, match="is a category, but the table's column"):
        discovery.segment_from_cluster(run=run, number=1, name="Low spend", by=None)
    assert not Segment.objects.filter(name="Low spend").exists()


def test_a_segment_reaching_nobody_says_so_and_its_figures_sit_two_by_two(world, as_user):
    from segments.services import segment_condition_add

    run = clustered_on_cart_value(world)
    segment = discovery.segment_from_cluster(run=run, number=1, name="Low spend", by=None)
    client = as_user("executive")
    reach = client.get(url("segment_reach", world, segment_pk=segment.pk)).content.decode()
    assert '<div class="row row-cols-2 g-3">' in reach  # four figures, two rows of two
    assert "of the cluster is reached" in text(reach)

    segment_condition_add(
        segment=segment,
        attribute=Attribute.objects.get(organization=world.acme, key="cart_value"),
        operator="at_least",
        value="100000",
        by=world.user("manager"),
    )
    reach = text(client.get(url("segment_reach", world, segment_pk=segment.pk)))
    assert "No customer in the table meets these conditions: loosen one." in reach
    assert "The table has 400 customers;" in reach
    assert "of the cluster is reached" not in reach and "0.0%" not in reach
