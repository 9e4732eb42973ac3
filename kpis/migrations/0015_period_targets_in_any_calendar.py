import datetime

from django.db import migrations, models


def month_ends(apps, schema_editor):
    """The monthly targets kept so far cover their whole calendar month."""
    Target = apps.get_model("kpis", "KpiPeriodTarget")
    for target in Target.objects.all():
        following = (target.starts_on.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        target.ends_on = following - datetime.timedelta(days=1)
        target.save(update_fields=["ends_on"])


class Migration(migrations.Migration):
    """Per-period targets in the KPI's calendar (issue 20): weeks, months or quarters, each
    kept with its first and last day."""

    dependencies = [
        ("kpis", "0014_results_move_out"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="kpiperiodtarget", name="period_target_is_a_month"),
        migrations.RemoveConstraint(
            model_name="kpiperiodtarget", name="period_target_one_per_month"
        ),
        migrations.RenameField(
            model_name="kpiperiodtarget", old_name="period", new_name="starts_on"
        ),
        migrations.AlterModelOptions(name="kpiperiodtarget", options={"ordering": ["starts_on"]}),
        migrations.AlterField(
            model_name="kpiperiodtarget",
            name="starts_on",
            field=models.DateField(verbose_name="first day"),
        ),
        migrations.AddField(
            model_name="kpiperiodtarget",
            name="ends_on",
            field=models.DateField(null=True, verbose_name="last day"),
        ),
        migrations.AddField(
            model_name="kpiperiodtarget",
            name="grain",
            field=models.CharField(
                choices=[("week", "Weekly"), ("month", "Monthly"), ("quarter", "Quarterly")],
                default="month",
                max_length=7,
                verbose_name="period",
            ),
        ),
        migrations.RunPython(month_ends, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="kpiperiodtarget",
            name="ends_on",
            field=models.DateField(verbose_name="last day"),
        ),
        migrations.AddConstraint(
            model_name="kpiperiodtarget",
            constraint=models.UniqueConstraint(
                fields=("kpi", "starts_on"), name="period_target_one_per_period"
            ),
        ),
        migrations.AddConstraint(
            model_name="kpiperiodtarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_on__gte", models.F("starts_on"))),
                name="period_target_ends_after_it_starts",
            ),
        ),
        migrations.AddConstraint(
            model_name="kpiperiodtarget",
            constraint=models.CheckConstraint(
                condition=models.Q(("grain__in", ["week", "month", "quarter"])),
                name="period_target_grain_known",
            ),
        ),
    ]
