import datetime
import itertools

import pytest
from django.core.management import call_command

from programs.models import Cycle, Membership, Organization, Program

pytestmark = pytest.mark.django_db


def test_seed_demo_is_safe_to_run_twice(tmp_path, monkeypatch, capsys):
    from demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.txt")
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    org = Organization.objects.get(slug="demo")
    assert sorted(Membership.objects.filter(organization=org).values_list("role", flat=True)) == [
        "admin",
        "executive",
        "manager",
        "team",
    ]
    program = Program.objects.get(organization=org, name="Web shop")
    # Two reviewed, closed cycles and the open third, each seeded from the one before.
    cycles = list(Cycle.objects.filter(program=program).order_by("number"))
    assert [(c.number, c.is_open) for c in cycles] == [(1, False), (2, False), (3, True)]
    assert [c.previous for c in cycles] == [None, cycles[0], cycles[1]]
    assert all(hasattr(c, "review") for c in cycles[:2])
    # The closed cycles have real past dates: each closed on its last day, the next
    # starting the day after, in the phase they ended in (issue 18, item 16).
    for closed, following in itertools.pairwise(cycles):
        assert closed.closed_at.date() == closed.ends_on < following.starts_on
        assert following.starts_on == closed.ends_on + datetime.timedelta(days=1)
        assert closed.phase == "review" and closed.days_early == 0
    # The open cycle's dashboard has its story: on track, behind and at risk.
    from progress.models import KpiSnapshot

    statuses = sorted(
        KpiSnapshot.objects.filter(kpi__goal__cycle=cycles[2], segment__isnull=True).values_list(
            "status", flat=True
        )
    )
    assert statuses == ["at_risk", "behind", "on_track", "on_track"]
    assert "manager" in first and "already there" in second
    # The printed passwords work.
    saved = dict(
        line.split() for line in (tmp_path / "demo-credentials.txt").read_text().splitlines()
    )
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="manager", password=saved["manager"]) is not None
    # The customer table is read (by the demo itself, not a worker) and clustered once.
    table = org.customer_tables.get()
    assert table.ready and not table.upload and table.runs.get().status == "succeeded"
