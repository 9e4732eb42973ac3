from collections import Counter

from django.db import migrations, models


def to_organizations(apps, schema_editor):
    """Each organization's fiscal year starts where its fiscal drivers said (the month most
    of them named); drivers then report in the organization's fiscal calendar."""
    Driver = apps.get_model("assessments", "MeasurementDriver")
    Organization = apps.get_model("programs", "Organization")
    months: dict[int, Counter] = {}
    fiscal = Driver.objects.filter(calendar="fiscal", fiscal_start_month__isnull=False)
    for org_id, month in fiscal.values_list("program__organization_id", "fiscal_start_month"):
        months.setdefault(org_id, Counter())[month] += 1
    for org_id, counts in months.items():
        month = max(sorted(counts), key=counts.__getitem__)
        Organization.objects.filter(pk=org_id, fiscal_year_start=1).update(fiscal_year_start=month)


def to_drivers(apps, schema_editor):
    Driver = apps.get_model("assessments", "MeasurementDriver")
    for driver in Driver.objects.filter(calendar="fiscal").select_related("program__organization"):
        driver.fiscal_start_month = driver.program.organization.fiscal_year_start
        driver.save(update_fields=["fiscal_start_month"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0003_default_dimensions_for_every_organization"),
        ("programs", "0010_fiscal_calendar"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="measurementdriver", name="driver_fiscal_month_fits_calendar"
        ),
        migrations.RunPython(to_organizations, to_drivers),
        migrations.RemoveField(model_name="measurementdriver", name="fiscal_start_month"),
        migrations.RemoveField(model_name="historicalmeasurementdriver", name="fiscal_start_month"),
        *(
            migrations.AlterField(
                model_name=model,
                name="calendar",
                field=models.CharField(
                    choices=[("calendar", "Calendar months"), ("fiscal", "Fiscal calendar")],
                    default="calendar",
                    help_text=(
                        "Fiscal: the organization's fiscal calendar, which its admins set "
                        "under Settings."
                    ),
                    max_length=10,
                    verbose_name="reporting calendar",
                ),
            )
            for model in ("measurementdriver", "historicalmeasurementdriver")
        ),
    ]
