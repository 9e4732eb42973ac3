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
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from demo.blueprints import seed_propensity
from demo.language import demo_language, demo_translate
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
from programs.services import membership_add, profile_set_language, program_create

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

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--language",
            help=(
                "The demo's language: "
                + ", ".join(f"{code} ({name})" for code, name in settings.LANGUAGES)
                + ". Default: the language it was seeded in, else English."
            ),
        )

    def handle(self, *args, **options) -> None:
        wanted = options.get("language")
        if wanted is not None and wanted not in dict(settings.LANGUAGES):
            raise CommandError(
                f"Fourfold speaks {', '.join(dict(settings.LANGUAGES))}; not {wanted!r}."
            )
        with transaction.atomic():
            created_logins = self._seed(wanted)
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

    def _seed(self, wanted: str | None = None) -> list[tuple[str, str]]:
        """Seed what is missing in English, then put the demo in its language: `wanted`,
        else the one it was seeded in."""
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
                context=gettext_noop("Web shop — desktop and mobile web"),
                description=(
                    gettext_noop(
                        "Personalize the web shop along the customer journey: recommendations, "
                        "offers and service actions chosen by propensity, measured against a "
                        "control group."
                    )
                ),
                by=manager,
                starts_on=starts_on,
                ends_on=starts_on + datetime.timedelta(days=DEMO_CYCLE_DAYS - 1),
            )
        seeded_in = demo_language(organization)
        if wanted and seeded_in not in ("en", wanted):
            raise CommandError(
                f"The demo is in {dict(settings.LANGUAGES)[seeded_in]} already; a demo in "
                f"another language starts from an empty database."
            )
        # The story is written, and its condition sentences parsed, in English.
        with translation.override("en"):
            seed_assessment(program=program, by=manager)
            seed_goals(program=program, by=manager)
            if created:
                seed_history(program=program, by=manager)
            seed_initiatives(program=program, by=manager)
            seed_blueprint(program=program, by=manager)
            seed_propensity(program=program, by=manager)
            seed_results(program=program, by=manager, language=seeded_in)
            seed_dashboard_story(program=program)
            seed_customers(organization=organization, by=manager)
        language = wanted or seeded_in
        if language != "en":
            demo_translate(organization=organization, language=language)
        if wanted and wanted != seeded_in:  # its people read it in its language
            for membership in organization.memberships.select_related("user"):
                profile_set_language(user=membership.user, language=wanted)
        return created_logins
