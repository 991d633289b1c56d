"""The exams app's model rules: the schedule (written in Python and in SQL, kept equal here) and the
choices attempts have chosen."""

import random
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from exams.models import Answer, Exam
from tests.factories import AttemptItemFactory, ExamFactory, QuestionFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2030, 3, 4, 12, 0, tzinfo=timezone.get_fixed_timezone(330))


class TestScheduleRule:
    """has_started / has_ended / is_open and started_q / ended_q / open_q pick the same exams."""

    @pytest.fixture
    def exams(self):
        rng = random.Random(20261202)
        made = []
        # Edges first: starting or ending exactly now, never ending; then random windows around now.
        windows = [(NOON, None), (NOON, NOON + timedelta(hours=1)), (NOON - timedelta(hours=1), NOON)]
        for _ in range(40):
            start = NOON + timedelta(minutes=rng.randint(-300, 300))
            end = None if rng.random() < 0.3 else start + timedelta(minutes=rng.randint(1, 400))
            windows.append((start, end))
        for start, end in windows:
            made.append(ExamFactory(start_date=start, end_date=end))
        return made

    @pytest.mark.parametrize(
        "in_python, in_sql",
        [
            (Exam.has_started, Exam.started_q),
            (Exam.has_ended, Exam.ended_q),
            (Exam.is_open, Exam.open_q),
        ],
        ids=["started", "ended", "open"],
    )
    def test_python_and_sql_agree(self, exams, in_python, in_sql):
        expected = {exam.pk for exam in exams if in_python(exam, NOON)}
        assert set(Exam.objects.filter(in_sql(NOON)).values_list("pk", flat=True)) == expected
        # The rule is not trivially all or nothing on this data.
        assert 0 < len(expected) < len(exams)

    def test_an_exam_is_open_from_its_start_until_just_before_its_end(self):
        exam = ExamFactory(start_date=NOON, end_date=NOON + timedelta(hours=1))
        assert [
            exam.is_open(NOON + delta) for delta in (-timedelta(seconds=1), timedelta(0), timedelta(hours=1))
        ] == [
            False,
            True,
            False,
        ]


class TestDeletingAChoice:
    """An attempt's saved answer holds choice ids: a chosen choice must outlive any edit of its question."""

    @pytest.fixture
    def question(self):
        question = QuestionFactory(with_choices=3)
        first, second, _ = question.answers.all()
        AttemptItemFactory(question=question, selected_answers=[second.pk])
        AttemptItemFactory(question=question, selected_answers=[])
        return question

    def test_a_chosen_choice_refuses_to_be_deleted_and_is_named(self, question):
        chosen = question.answers.all()[1]
        with pytest.raises(ValidationError) as refused:
            chosen.delete()
        assert refused.value.messages == [
            "The choice “Choice 2” has been chosen in an attempt, so it cannot be deleted: "
            "change its text or whether it is correct instead."
        ]
        assert Answer.objects.filter(pk=chosen.pk).exists()

    def test_a_bulk_delete_holding_a_chosen_choice_deletes_none(self, question):
        with pytest.raises(ValidationError, match="Choice 2"):
            question.answers.all().delete()
        with pytest.raises(ValidationError, match="Choice 2"):
            Answer.objects.filter(question=question).delete()
        assert question.answers.count() == 3

    def test_choices_nobody_chose_may_be_deleted(self, question):
        first, _, third = question.answers.all()
        first.delete()
        Answer.objects.filter(pk=third.pk).delete()
        assert [answer.text_html for answer in question.answers.all()] == ["<p>Choice 2</p>"]

    def test_a_choice_chosen_in_another_question_is_not_confused_with_one_of_this(self, question):
        other = QuestionFactory(with_choices=2)
        AttemptItemFactory(question=other, selected_answers=[other.answers.first().pk])
        assert Answer.objects.filter(question=question).chosen_in_attempts() == [question.answers.all()[1]]
        other.answers.last().delete()
