# The v2.5 admin attempts list orders by these counts (ordering=[-]correct_answers_count, ...), ties
# broken by id. Without an index each such page was a full scan and sort: ~1 s at 1,000,000 attempts.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("attempts", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["correct_count", "id"], name="attempt_correct_count"),
        ),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["incorrect_count", "id"], name="attempt_incorrect_count"),
        ),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["unanswered_count", "id"], name="attempt_unanswered_count"),
        ),
    ]
