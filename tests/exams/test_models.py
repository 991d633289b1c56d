"""Exam's rules written twice, in Python for one exam and in SQL for querysets: kept equal here."""

import random
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from exams.models import Exam
from tests.factories import ExamFactory

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
