"""Coded fields read as words in the admin: every code has a label, and lists and forms print it."""

import pytest
from django.urls import reverse

from attempts.choices import AttemptState
from attempts.models import Attempt, AttemptItem
from exams.choices import TemplateType
from exams.models import Exam, Question
from tests.factories import AttemptFactory, ExamFactory

pytestmark = pytest.mark.django_db

CODED_FIELDS = [
    (Exam, "exam_type"),
    (Exam, "template_type"),
    (Question, "type"),
    (Question, "difficulty"),
    (Attempt, "state"),
    (Attempt, "result"),
    (AttemptItem, "result"),
]


@pytest.mark.parametrize(("model", "name"), CODED_FIELDS, ids=[f"{m.__name__}.{n}" for m, n in CODED_FIELDS])
def test_each_coded_field_has_a_label_for_each_code(model, name):
    choices = model._meta.get_field(name).choices
    assert choices
    assert all(str(label) and str(label) != str(code) for code, label in choices)


def test_the_exam_form_offers_template_types_by_name(admin_client):
    exam = ExamFactory(template_type=TemplateType.NBE)
    content = admin_client.get(reverse("admin:exams_exam_change", args=[exam.pk])).content.decode()
    assert '<option value="4" selected>NBE pattern (4)</option>' in content
    assert '<option value="1">Standard (1)</option>' in content


def test_the_attempt_list_prints_states_by_name(admin_client):
    AttemptFactory(state=AttemptState.RUNNING)
    AttemptFactory(completed=True)
    AttemptFactory(state=AttemptState.NOT_STARTED)
    content = admin_client.get(reverse("admin:attempts_attempt_changelist")).content.decode()
    for label in ("Running", "Completed", "Not Started"):
        assert f'<td class="field-state">{label}</td>' in content
