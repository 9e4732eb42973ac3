from django.db import migrations, models

MONTHS = [
    (1, "January"),
    (2, "February"),
    (3, "March"),
    (4, "April"),
    (5, "May"),
    (6, "June"),
    (7, "July"),
    (8, "August"),
    (9, "September"),
    (10, "October"),
    (11, "November"),
    (12, "December"),
]


class Migration(migrations.Migration):
    """The organization's fiscal calendar (issue 20): where its year starts, and whether
    its periods are calendar months or a retail calendar of weeks."""

    dependencies = [
        ("programs", "0009_csv_format"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="fiscal_year_start",
            field=models.PositiveSmallIntegerField(
                choices=MONTHS,
                default=1,
                help_text="The fiscal year is named after the calendar year it ends in.",
                verbose_name="fiscal year starts in",
            ),
        ),
        migrations.AddField(
            model_name="organization",
            name="fiscal_calendar",
            field=models.CharField(
                choices=[
                    ("months", "Calendar months"),
                    ("445", "Retail 4-4-5 weeks"),
                    ("454", "Retail 4-5-4 weeks"),
                    ("544", "Retail 5-4-4 weeks"),
                ],
                default="months",
                help_text=(
                    "Retail calendars are whole weeks: each quarter 13 weeks, a year 52 or 53 "
                    "(the 53rd week goes to the last month)."
                ),
                max_length=6,
                verbose_name="fiscal periods",
            ),
        ),
        migrations.AddField(
            model_name="organization",
            name="week_start",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "Monday"), (6, "Sunday")],
                default=0,
                help_text=(
                    "Retail calendars only; the year starts on this day nearest the first of "
                    "its month."
                ),
                verbose_name="retail weeks start on",
            ),
        ),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("fiscal_calendar__in", ["months", "445", "454", "544"]),
                    ("fiscal_year_start__gte", 1),
                    ("fiscal_year_start__lte", 12),
                    ("week_start__in", [0, 6]),
                ),
                name="organization_fiscal_calendar_known",
            ),
        ),
    ]
