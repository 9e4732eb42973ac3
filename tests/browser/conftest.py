"""The rich demo organization for browser tests that walk its pages."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from programs.models import Program
from tests.factories import PASSWORD


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Program:
    """seed_demo's Web shop program; its people (admin, manager, team, executive) log in
    with the tests' password. The demo's own passwords go to a file of the test's own, not
    into var/."""
    from demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.txt")
    call_command("seed_demo", stdout=io.StringIO())
    for user in get_user_model().objects.filter(memberships__organization__slug="demo"):
        user.set_password(PASSWORD)
        user.save()
    return Program.objects.get(organization__slug="demo", name="Web shop")
