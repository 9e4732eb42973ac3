import pytest
from django.core.management import call_command

from programs.models import Cycle, Membership, Organization, Program

pytestmark = pytest.mark.django_db


def test_seed_demo_is_safe_to_run_twice(tmp_path, monkeypatch, capsys):
    from programs.management.commands import seed_demo

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
    assert Cycle.objects.filter(program=program).count() == 1
    assert "manager" in first and "already there" in second
    # The printed passwords work.
    saved = dict(
        line.split() for line in (tmp_path / "demo-credentials.txt").read_text().splitlines()
    )
    from django.contrib.auth import authenticate

    assert authenticate(username="manager", password=saved["manager"]) is not None
