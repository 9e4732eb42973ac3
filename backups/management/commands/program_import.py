"""Restore a program from a backup file into an organization (README: Backup and restore)."""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from backups import backup
from programs.models import Organization


class Command(BaseCommand):
    help = (
        "Create a program in the organization from a file made by program_export (or the "
        "program page's Download backup). All or nothing: a bad file writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("organization", help="The organization's short name (its slug).")
        parser.add_argument("file", help="The backup file, or - for standard input.")
        parser.add_argument(
            "--name", default="", help="Name of the new program (default: the file's)."
        )

    def handle(self, *args, organization: str, file: str, name: str, **options) -> None:
        target = Organization.objects.filter(slug=organization).first()
        if target is None:
            raise CommandError(
                f"No organization “{organization}”. Create it first: "
                "python manage.py create_organization <name> --admin <username>"
            )
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            restored = backup.program_import(organization=target, data=data, name=name)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        program = restored.program
        self.stdout.write(
            f"Restored “{program.name}” (id {program.pk}) into {target.name}: "
            f"{backup.summary(restored)}."
        )
        for note in restored.notes:
            self.stdout.write(f"  Note: {note}")
