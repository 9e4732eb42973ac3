"""The usual departments and channels are made when an organization is made, no longer
when the map is opened (GET never writes, issue 19): an organization without any gets them
now, as its first visit to the map would have given them."""

from django.db import migrations

# As initiatives/services.py had them when this was written (a migration keeps its data).
DEPARTMENTS = ("Marketing", "E-commerce", "IT", "Analytics", "Customer service", "Merchandising")
CHANNELS = (
    "Website",
    "Mobile app",
    "E-mail",
    "Paid search",
    "Social",
    "Display",
    "Call centre",
    "Store",
)


def give_defaults(apps, schema_editor):
    Organization = apps.get_model("programs", "Organization")
    Department = apps.get_model("initiatives", "Department")
    Channel = apps.get_model("initiatives", "Channel")
    for organization in Organization.objects.filter(departments__isnull=True):
        Department.objects.bulk_create(
            Department(organization=organization, name=name) for name in DEPARTMENTS
        )
    for organization in Organization.objects.filter(channels__isnull=True):
        Channel.objects.bulk_create(
            Channel(organization=organization, name=name) for name in CHANNELS
        )


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0002_cycle_review"),
        ("programs", "0007_dashboard_views_move_to_progress"),
    ]

    operations = [migrations.RunPython(give_defaults, migrations.RunPython.noop)]
