"""Demo data: an organization with one person per role and the "Web shop" program.

Safe to run again: what exists is kept, nothing is duplicated, passwords are not reset.
Passwords are made at random on first run, printed once, and kept in
var/demo-credentials.txt (readable only by you) so `make run` can show them again.
"""

import datetime
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.blueprints import seed_propensity
from demo.seed import (
    DEMO_CYCLE_DAYS,
    DEMO_CYCLE_DAYS_DONE,
    seed_assessment,
    seed_blueprint,
    seed_customers,
    seed_dashboard_story,
    seed_goals,
    seed_history,
    seed_initiatives,
    seed_results,
)
from programs.models import Membership, Organization, Program, Role
from programs.services import membership_add, program_create

DEMO_ORG_SLUG = "demo"
DEMO_PEOPLE = [
    ("admin", "Ada", "Admin", Role.ADMIN),
    ("manager", "Mia", "Manager", Role.MANAGER),
    ("team", "Tom", "Team", Role.TEAM),
    ("executive", "Eve", "Executive", Role.EXECUTIVE),
]
CREDENTIALS_FILE = Path(settings.VAR_DIR) / "demo-credentials.txt"


class Command(BaseCommand):
    help = "Create (or complete) the demo organization, its people and the Web shop program."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            created_logins = self._seed()
        if created_logins:
            self._remember(created_logins)
            self.stdout.write("Demo logins (username, password; shown once, kept in var/):")
            for username, password in created_logins:
                self.stdout.write(f"  {username:<10} {password}")
        else:
            self.stdout.write("Demo data is already there; passwords unchanged.")

    def _remember(self, logins: list[tuple[str, str]]) -> None:
        """Keep the new passwords beside older ones (a user made again replaces its line)."""
        known: dict[str, str] = {}
        if CREDENTIALS_FILE.exists():
            for line in CREDENTIALS_FILE.read_text().splitlines():
                username, _, password = line.partition(" ")
                known[username] = password.strip()
        known.update(logins)
        CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
        CREDENTIALS_FILE.touch(mode=0o600)
        CREDENTIALS_FILE.write_text(
            "".join(f"{username:<10} {password}\n" for username, password in known.items())
        )

    def _seed(self) -> list[tuple[str, str]]:
        User = get_user_model()
        organization, _ = Organization.objects.get_or_create(
            slug=DEMO_ORG_SLUG,
            # A retailer's year: from the Monday nearest 1 February, in 4-4-5 weeks.
            defaults={"name": "Demo Retail", "fiscal_year_start": 2, "fiscal_calendar": "445"},
        )
        created_logins = []
        manager = None
        for username, first, last, role in DEMO_PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is None:
                password = secrets.token_urlsafe(9)
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.example",
                    is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN,
                )
                created_logins.append((username, password))
            if not Membership.objects.filter(user=user, organization=organization).exists():
                membership_add(organization=organization, user=user, role=role)
            if role == Role.MANAGER:
                manager = user
        program = Program.objects.filter(organization=organization, name="Web shop").first()
        created = program is None
        if created:
            # Two half-year cycles behind it and a third a little past halfway, so the
            # comparison of cycles and the dashboard both have a story to tell.
            today = timezone.localdate()
            starts_on = today - datetime.timedelta(days=DEMO_CYCLE_DAYS_DONE + 2 * DEMO_CYCLE_DAYS)
            program = program_create(
                organization=organization,
                name="Web shop",
                context="Web shop — desktop and mobile web",
                description=(
                    "Personalize the web shop along the customer journey: recommendations, "
                    "offers and service actions chosen by propensity, measured against a "
                    "control group."
                ),
                by=manager,
                starts_on=starts_on,
                ends_on=starts_on + datetime.timedelta(days=DEMO_CYCLE_DAYS - 1),
            )
        seed_assessment(program=program, by=manager)
        seed_goals(program=program, by=manager)
        if created:
            seed_history(program=program, by=manager)
        seed_initiatives(program=program, by=manager)
        seed_blueprint(program=program, by=manager)
        seed_propensity(program=program, by=manager)
        seed_results(program=program, by=manager)
        seed_dashboard_story(program=program)
        seed_customers(organization=organization, by=manager)
        return created_logins
