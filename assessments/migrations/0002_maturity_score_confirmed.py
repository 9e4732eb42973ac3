"""Carried answers wait for confirmation (issue 18, item 12).

Existing answers given in their own cycle, and every answer of a closed cycle, are
confirmed. An answer of an open cycle copied from the cycle before ("Start from the last
answers", or starting the next cycle) that still holds the copied values and was never
saved again since the copy is left unconfirmed, as a new copy would be, and names the
earlier answer's author and time again."""

from django.db import migrations, models


def mark_untouched_copies(apps, schema_editor):
    Assessment = apps.get_model("assessments", "Assessment")
    MaturityScore = apps.get_model("assessments", "MaturityScore")
    History = apps.get_model("assessments", "HistoricalMaturityScore")
    # Closed cycles keep their record as it was when they closed.
    open_copies = Assessment.objects.exclude(copied_from=None).filter(cycle__closed_at=None)
    for assessment in open_copies:
        source = {
            s.dimension_id: s
            for s in MaturityScore.objects.filter(assessment_id=assessment.copied_from_id)
        }
        for answer in MaturityScore.objects.filter(assessment=assessment):
            old = source.get(answer.dimension_id)
            if (
                old is not None
                and (old.score, old.evidence, old.opportunity)
                == (answer.score, answer.evidence, answer.opportunity)
                and History.objects.filter(id=answer.pk).count() <= 1
            ):
                # Who answered, and when, is the earlier answer's: the copy credited the
                # person who made it.
                MaturityScore.objects.filter(pk=answer.pk).update(
                    confirmed=False, updated_by_id=old.updated_by_id, updated_at=old.updated_at
                )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmaturityscore",
            name="confirmed",
            field=models.BooleanField(default=True, verbose_name="confirmed"),
        ),
        migrations.AddField(
            model_name="maturityscore",
            name="confirmed",
            field=models.BooleanField(default=True, verbose_name="confirmed"),
        ),
        migrations.RunPython(mark_untouched_copies, migrations.RunPython.noop, elidable=True),
    ]
