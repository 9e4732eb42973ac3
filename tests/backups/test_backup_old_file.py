"""A backup written before the apps were split by concept (issue 19) restores after it.

fixtures/backup-before-layers.json is the demo program as `program_export` wrote it at
commit 9287f56: version 1 of the format, the cycle review under programs.*. Restored, it
exports again as the same program under today's names, and its pages open."""

import json
from pathlib import Path

import pytest

from backups import backup
from cycles.models import CycleReview
from tests.backups.test_backup import body, organization_with_people
from tests.fuzzing import pages_answer
from tests.pages import program_pages

pytestmark = pytest.mark.django_db

OLD_FILE = Path(__file__).parent / "fixtures" / "backup-before-layers.json"


def test_a_backup_made_before_the_apps_moved_restores_whole_and_opens():
    text = OLD_FILE.read_text()
    old = json.loads(text)
    assert old["version"] == 1 and "programs.cyclereview" in old["models"]
    organization = organization_with_people(old)

    restored = backup.program_import(organization=organization, data=text)

    again = backup.program_export(program=restored.program)
    # Fields added since the file was written come back with their defaults.
    added = {
        "results.resultsource": {"csv_delimiter": "", "csv_decimal": ""},
        "results.pull": {"csv_delimiter": "", "csv_decimal": ""},
        "results.historicalresultsource": {"csv_delimiter": "", "csv_decimal": ""},
    }
    # The drivers' fiscal start month is the organization's calendar now, not in the file.
    retired = {
        "assessments.measurementdriver": {"fiscal_start_month"},
        "assessments.historicalmeasurementdriver": {"fiscal_start_month"},
    }
    expected = {
        **old,
        "version": backup.VERSION,
        "models": {
            backup.MOVED.get(k, k): [
                {
                    **{f: v for f, v in row.items() if f not in retired.get(k, ())},
                    **added.get(backup.MOVED.get(k, k), {}),
                }
                for row in rows
            ]
            for k, rows in old["models"].items()
        }
        | {"kpis.historicalkpiperiodtarget": []},
    }
    assert body(again) == body(expected)
    reviews = CycleReview.objects.filter(cycle__program=restored.program)
    assert sorted(r.what_worked for r in reviews) == sorted(
        row["what_worked"] for row in old["models"]["programs.cyclereview"]
    )
    manager = organization.memberships.filter(role="manager").first().user
    pages_answer(manager, program_pages(restored.program))
