from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exams.choices import QuestionType
from tests.factories import ExamFactory, ExamQuestionFactory, QuestionFactory, SectionFactory
from tests.webhook_receiver import Receiver
from tests.worker_processes import Workers, use_no_broker, use_redis_broker

QUESTION_KINDS = {
    QuestionType.SINGLE: {"with_choices": 4},
    QuestionType.MULTIPLE: {"multiple": True, "with_choices": 4, "with_choices__correct": 2},
    QuestionType.NUMERICAL: {"numerical": True, "numerical_tolerance": Decimal("0.01")},
    QuestionType.ESSAY: {"essay": True},
}


def build_exam(types: str = "R", **fields):
    """An exam with one question per letter of `types` ("RCNE"), in that order, in one section.

    R: four choices, the first correct. C: four choices, the first two correct. N: 9.81 ± 0.01. E: an essay.
    """
    exam = ExamFactory(**fields)
    section = SectionFactory(exam=exam, order=1)
    for order, kind in enumerate(types, start=1):
        question = QuestionFactory(**QUESTION_KINDS[kind])
        ExamQuestionFactory(exam=exam, question=question, section=section, order=order)
    return exam


def correct_ids(question) -> list[int]:
    return list(question.answers.filter(is_correct=True).values_list("pk", flat=True))


def wrong_ids(question) -> list[int]:
    return list(question.answers.filter(is_correct=False).values_list("pk", flat=True))


@pytest.fixture
def now():
    """One instant for a test's calls, a round minute so durations read plainly."""
    return timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def exam_of(db, now):
    """build_exam with the exam open around `now`: started a day ago, closing in a week, 30 minutes."""

    def make(types: str = "R", **fields):
        fields.setdefault("start_date", now - timedelta(days=1))
        fields.setdefault("end_date", now + timedelta(days=7))
        return build_exam(types, **fields)

    return make


# --- A real worker and a receiver (tests/worker_processes.py), for the worker tests -------------


@pytest.fixture
def broker():
    use_redis_broker()
    yield
    use_no_broker()


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def workers(broker, receiver, tmp_path):
    workers = Workers(receiver, tmp_path)
    yield workers
    workers.stop_all()
