"""Fuzzing the exposure history upload of learned propensity (issues 10 and 11).

Whatever file and columns arrive, `services.propensity_run_create` either queues a run
(one row, one stored file, nothing read yet) or, for columns that cannot be right whatever
the file holds, raises a ValidationError whose messages say why, and then no row and no
file was added. The job then reads the file: the run ends trained, or failed with a message
and no model kept, never in a crash.
"""

import io

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints import services
from blueprints.history import NEW, RETURNING, TrueOffer, generate, to_csv
from blueprints.models import PropensityModel, PropensityRun
from blueprints.propensity import Columns
from programs.jobs import JobStatus
from tests.blueprints.histories import history_form, make_shop
from tests.fuzzing import rolled_back
from tests.segments.test_discovery_fuzz import (
    COLUMN_NAMES,
    ENCODINGS,
    NASTY_CELLS,
    clear,
    media_files,
    note,
    sometimes,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Enough history for two offers to learn from, small enough to train in a blink.
TRUTH = (
    TrueOffer("Bestsellers", 700, lambda p: -1.5 + 0.8 * NEW(p), value=40),
    TrueOffer("Free shipping", 600, lambda p: -1.2 + 0.6 * RETURNING(p), value=30),
)
BASE = pd.read_csv(io.BytesIO(to_csv(generate(TRUTH, seed=4))), keep_default_na=False)
ROLES = ["offer", "converted", "value"]


@pytest.fixture
def shop(world):
    return make_shop(world)


def saved() -> tuple:
    return (PropensityRun.objects.count(), PropensityModel.objects.count()), media_files()


def create_or_refuse(world, name: str, data: bytes, columns: Columns) -> PropensityRun | None:
    """Upload and run the job; on refusal check the messages and that nothing was kept.
    None if refused by the request, else the run as the job left it."""
    before = saved()
    try:
        run = services.propensity_run_create(
            blueprint=world.blueprint,
            file_name=name,
            data=data,
            columns=columns,
            by=world.user("team"),
            seed=3,
        )
    except ValidationError as refused:
        for message in refused.messages:
            clear(message)
        assert saved() == before
        note("refused", refused.messages[0][:50])
        return None
    counts, files = saved()
    assert counts == (before[0][0] + 1, before[0][1])
    assert files - before[1] == {media_files_path(run)}
    assert (run.status, run.rows) == (JobStatus.QUEUED, None)  # the request read nothing
    services.propensity_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
    if run.status == JobStatus.FAILED:
        clear(run.error)
        assert "unexpectedly" not in run.error, run.error
        assert not run.models.exists()
        note("failed", run.error[:40])
    else:
        note("trained")
        assert run.models.count() == run.offers_done >= 1
    return run


def media_files_path(run: PropensityRun):
    from pathlib import Path

    return Path(run.file.path)


# --- Strategies -----------------------------------------------------------------------


@st.composite
def frames(draw) -> pd.DataFrame:
    """The generated history with some of the ways exposure files go wrong."""
    frame = BASE.copy()
    if sometimes(draw, 2):
        frame = frame.head(draw(st.sampled_from([1000, 600, 499, 60, 2, 1, 0])))
    for _ in range(draw(st.integers(0, 3))):
        columns = list(frame.columns)
        column = draw(st.sampled_from(columns)) if columns else None
        if column is None:
            break
        rows = len(frame)
        match draw(
            st.sampled_from(
                ["drop", "constant", "null", "mixed", "nasty", "huge", "rename", "yes/no"]
            )
        ):
            case "drop":
                frame = frame.drop(columns=[column])
            case "constant":
                frame[column] = draw(st.sampled_from([1, "NL", 0.5, "yes", "Bestsellers"]))
            case "null":
                frame[column] = None
            case "mixed" | "nasty" if rows:
                values = frame[column].astype(object).to_numpy(copy=True)
                cells = st.sampled_from(
                    [
                        *("x", "maybe", "2", "", None, 7, "YES", "Gift wrap", "bestsellers"),
                        *NASTY_CELLS,
                    ]
                )
                for i in draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=5)):
                    values[i] = draw(cells)
                frame[column] = values
            case "huge" if rows:
                frame[column] = draw(st.sampled_from([1e308, -1e308, np.inf, 10**25, -5]))
            case "rename":
                new = draw(COLUMN_NAMES)
                if new not in columns:
                    frame = frame.rename(columns={column: new})
            case "yes/no" if rows:  # 1/0, TRUE/FALSE, y/n
                mapping = draw(
                    st.sampled_from([{"yes": 1, "no": 0}, {"yes": "TRUE", "no": "false"}])
                    | st.just({"yes": "y", "no": "n"})
                )
                frame[column] = frame[column].replace(mapping)
    if len(frame.columns) >= 2 and sometimes(draw, 1):  # a column named twice
        frame.columns = [frame.columns[0], frame.columns[0], *frame.columns[2:]]
    return frame


@st.composite
def files(draw) -> tuple[str, bytes]:
    frame = draw(frames())
    if sometimes(draw, 2):
        buffer = io.BytesIO()
        frame.map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v).to_excel(
            buffer, index=False
        )
        data = buffer.getvalue()
        if sometimes(draw, 2):  # cut short
            data = data[: len(data) * draw(st.integers(0, 999)) // 1000]
        return "history.xlsx", data
    text = frame.to_csv(index=False, sep=draw(st.sampled_from([",", ",", ";", "\t"])))
    encoding = draw(st.sampled_from(ENCODINGS)) if sometimes(draw, 2) else "utf-8"
    name = draw(st.sampled_from(["history.csv"] * 5 + ["../history.csv", "history.txt", ""]))
    return name, text.encode(encoding, errors="replace")


names = st.sampled_from(
    [*ROLES, "visitor_type", "cart_value", "has_account", "country", "", "Offer", "nope"]
)
columns_chosen = st.one_of(
    st.just(Columns("offer", "converted", (), value="value")),
    st.just(Columns("offer", "converted", ("visitor_type", "cart_value"))),
    st.builds(
        Columns,
        offer=names,
        converted=names,
        features=st.lists(names | COLUMN_NAMES, max_size=4).map(tuple),
        value=names,
    ),
)


# --- Properties -----------------------------------------------------------------------


@settings(FUZZ, max_examples=50)
@given(file=files(), columns=columns_chosen)
def test_near_valid_histories_train_or_are_refused_with_nothing_saved(shop, file, columns):
    with rolled_back():
        create_or_refuse(shop, *file, columns)


@FUZZ
@given(
    file=st.tuples(
        st.sampled_from(["history.csv", "history.xlsx", "history"]),
        st.one_of(
            st.binary(max_size=400),
            st.text(max_size=200).map(str.encode),
            st.sampled_from([b"", b"\n", b"offer,converted\n", b"PK\x03\x04", b"\x00" * 9]),
        ),
    )
)
def test_random_bytes_end_their_run_failed_with_a_message(shop, file):
    with rolled_back():
        run = create_or_refuse(shop, *file, Columns("offer", "converted", ()))
        assert run is not None and run.status == JobStatus.FAILED


@pytest.mark.queued_on_commit  # what the request stores before the training job runs
def test_the_valid_history_trains(shop):
    run = create_or_refuse(
        shop, "history.csv", BASE.to_csv(index=False).encode(), Columns("offer", "converted", ())
    )
    assert run is not None and run.status == JobStatus.SUCCEEDED
    assert sorted(run.models.values_list("offer_name", flat=True)) == [
        "Bestsellers",
        "Free shipping",
    ]


@pytest.mark.usefixtures("jobs_run_now")
def test_a_broken_upload_on_the_page_says_why_and_keeps_no_model(shop, as_user):
    url = reverse(
        "blueprints:propensity_upload",
        kwargs={"pk": shop.program.pk, "blueprint_pk": shop.blueprint.pk},
    )
    good = BASE.to_csv(index=False)
    maybe = BASE.copy()
    maybe.loc[0, "converted"] = "maybe"
    client = as_user("team")
    for content, fields, message in [
        (maybe.to_csv(index=False).encode(), {}, "must say whether each exposure converted"),
        (good.encode("utf-16"), {}, "is not UTF-8"),
        (good.encode(), {"offer_column": "shown"}, "has no column “shown”"),
        (b"PK\x03\x04 broken", {"name": "history.xlsx"}, "is not a readable Excel workbook"),
    ]:
        response = client.post(url, history_form(content, **fields))
        assert response.status_code == 302  # to the run's page, where the job's verdict shows
        page = client.get(response["Location"]).content.decode()
        page = page.replace("&ldquo;", "“").replace("&rdquo;", "”")
        assert "No model was trained." in page and message in page, message
    assert set(PropensityRun.objects.values_list("status", flat=True)) == {JobStatus.FAILED}
    assert not PropensityModel.objects.exists()
