"""Back up one program as a JSON file (README: Backup and restore)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups import backup
from programs.models import Program


class Command(BaseCommand):
    help = (
        "Write a program with everything under it (cycles, assessments, goals, KPIs, plans, "
        "blueprints, sources, measurements, reviews and their history) as one JSON file. "
        "Secrets are not in it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("program", type=int, help="The program's id (as in its address).")
        parser.add_argument("-o", "--output", help="The file to write (default: standard output).")

    def handle(self, *args, program: int, output: str | None, **options) -> None:
        found = Program.objects.select_related("organization").filter(pk=program).first()
        if found is None:
            raise CommandError(f"No program with id {program}.")
        text = backup.program_export_text(program=found)
        if output is None:
            sys.stdout.write(text)
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stderr.write(
            f"Wrote “{found.name}” of {found.organization.name} to {output} "
            f"({len(text.encode()):,} bytes)."
        )
