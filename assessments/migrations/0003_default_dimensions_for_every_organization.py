"""Default dimensions are made when an organization is made, no longer when a page of
question 1 is opened (GET never writes, issue 19): an organization without any gets them
now, as its first visit would have given them."""

from django.db import migrations

from assessments.defaults import DEFAULT_DIMENSIONS


def give_defaults(apps, schema_editor):
    Organization = apps.get_model("programs", "Organization")
    Dimension = apps.get_model("assessments", "Dimension")
    for organization in Organization.objects.filter(dimensions__isnull=True):
        Dimension.objects.bulk_create(
            Dimension(
                organization=organization,
                name=str(name),
                rubric_low=str(low),
                rubric_high=str(high),
                position=index,
            )
            for index, (name, low, high) in enumerate(DEFAULT_DIMENSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_maturity_score_confirmed"),
        ("programs", "0007_dashboard_views_move_to_progress"),
    ]

    operations = [migrations.RunPython(give_defaults, migrations.RunPython.noop)]
