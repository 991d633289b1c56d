"""testpress.queries.PreparedQuery: a queryset compiled once, run with each call's values, reading what
the ORM would read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from attempts.models import Attempt, AttemptItem
from exams.models import Exam
from testpress.queries import PreparedQuery, concrete_columns, from_values
from tests.factories import AttemptFactory, AttemptItemFactory, ExamFactory, QuestionFactory


def test_each_call_reads_its_own_rows_converted_as_the_orm_reads_them(db, django_assert_num_queries):
    built = []

    def build(attempt):
        built.append(attempt)
        return (
            AttemptItem.objects.filter(attempt_id=attempt)
            .values("attempt_id")
            .annotate(n=Count("id"), marks=Sum("marks"), time=Sum("duration"))
        )

    totals = PreparedQuery(build, "attempt")
    first, second = AttemptFactory(), AttemptFactory()
    for attempt, minutes in ((first, [1, 2]), (second, [5])):
        for n in minutes:
            AttemptItemFactory(attempt=attempt, question=QuestionFactory(), duration=timedelta(minutes=n),
                               marks=Decimal("1.25"))  # fmt: skip

    with django_assert_num_queries(1):
        assert totals.rows(attempt=first.pk) == [
            {"attempt_id": first.pk, "n": 2, "marks": Decimal("2.50"), "time": timedelta(minutes=3)}
        ]
    assert totals.first(attempt=second.pk) == {
        "attempt_id": second.pk, "n": 1, "marks": Decimal("1.25"), "time": timedelta(minutes=5)
    }  # fmt: skip
    assert totals.first(attempt=second.pk + 1000) is None
    assert len(built) == 1  # built and compiled once for the connection


def test_instances_from_values_hold_every_column_as_read(db):
    exam = ExamFactory(duration=None, negative_marks=Decimal("0.25"))
    prepared = PreparedQuery(lambda pk: Exam.objects.filter(pk=pk).values(*concrete_columns(Exam)), "pk")

    read = from_values(Exam, prepared.first(pk=exam.pk))

    stored = Exam.objects.get(pk=exam.pk)
    assert {f.attname: getattr(read, f.attname) for f in Exam._meta.concrete_fields} == {
        f.attname: getattr(stored, f.attname) for f in Exam._meta.concrete_fields
    }
    assert read.get_deferred_fields() == set()


def test_a_parameter_that_never_reaches_the_sql_is_refused(db):
    # A build that leaves a value out: calls would silently all read the same rows.
    prepared = PreparedQuery(lambda pk, user: Attempt.objects.filter(pk=pk).values("pk"), "pk", "user")
    with pytest.raises(ValueError, match="user did not reach the SQL"):
        prepared.rows(pk=1, user=2)
