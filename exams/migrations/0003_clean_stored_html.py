from django.db import migrations

from exams.html import clean_html

# The HTML fields the apps render in web views; saves clean them from now on, this cleans what is stored.
HTML_FIELDS = {
    "Question": ["question_html", "explanation_html"],
    "Direction": ["html"],
    "Answer": ["text_html"],
}


def clean_stored_html(apps, schema_editor):
    for model_name, fields in HTML_FIELDS.items():
        model = apps.get_model("exams", model_name)
        changed = []
        for row in model.objects.only("pk", *fields).order_by("pk").iterator(chunk_size=2000):
            cleaned = {field: clean_html(getattr(row, field)) for field in fields}
            if any(getattr(row, field) != value for field, value in cleaned.items()):
                for field, value in cleaned.items():
                    setattr(row, field, value)
                changed.append(row)
        model.objects.bulk_update(changed, fields, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0002_exam_type"),
    ]

    operations = [
        migrations.RunPython(clean_stored_html, migrations.RunPython.noop),
    ]
