"""testpress.queries.PreparedQuery: a queryset compiled once, run with each call's values, reading what
the ORM would read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum

from accounts.selectors import signed_in_user
from attempts.models import Attempt, AttemptItem
from exams.models import Exam
from testpress.queries import PreparedPair, PreparedQuery, concrete_columns, from_values
from tests.factories import AttemptFactory, AttemptItemFactory, ExamFactory, QuestionFactory, UserFactory


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


def test_an_id_of_any_number_of_digits_matches_nothing(db):
    # A URL's [0-9]+ can be longer than any column holds: no row, not a database error.
    attempt = AttemptFactory()
    prepared = PreparedQuery(lambda pk: Attempt.objects.filter(pk=pk).values("pk"), "pk")
    assert prepared.rows(pk=10**30) == []
    assert prepared.rows(pk=-(2**63) - 1) == []
    assert prepared.rows(pk=attempt.pk) == [{"pk": attempt.pk}]


def test_a_pair_reads_one_row_beside_the_rows_of_another_in_one_statement(db, django_assert_num_queries):
    with_items, without_items = AttemptFactory(), AttemptFactory()
    AttemptItemFactory(attempt=with_items, question=QuestionFactory(), duration=timedelta(seconds=40))
    pair = PreparedPair(
        PreparedQuery(lambda pk: Attempt.objects.filter(pk=pk).values("pk", "date"), "pk"),
        PreparedQuery(
            lambda attempt: (
                AttemptItem.objects.filter(attempt_id=attempt)
                .values("attempt_id")
                .annotate(n=Count("id"), time=Sum("duration"))
            ),
            "attempt",
        ),
    )

    with django_assert_num_queries(1):
        row, beside = pair.read(pk=with_items.pk, attempt=with_items.pk)
    assert row == {"pk": with_items.pk, "date": with_items.date}
    assert beside == [{"attempt_id": with_items.pk, "n": 1, "time": timedelta(seconds=40)}]
    alone = {"pk": without_items.pk, "date": without_items.date}
    assert pair.read(pk=without_items.pk, attempt=without_items.pk) == (alone, [])
    assert pair.read(pk=without_items.pk + 1000, attempt=without_items.pk) is None


def test_a_text_parameter_reads_the_row_it_names(db, django_assert_num_queries):
    wanted, other = ExamFactory(slug="mock-1"), ExamFactory(slug="mock-2")
    prepared = PreparedQuery(
        lambda slug, course: Exam.objects.filter(slug=slug, course_id=course).values("pk"),
        "course",
        texts=("slug",),
    )
    with django_assert_num_queries(1):
        assert prepared.rows(slug="mock-1", course=wanted.course_id) == [{"pk": wanted.pk}]
    assert prepared.rows(slug="mock-2", course=other.course_id) == [{"pk": other.pk}]
    assert prepared.rows(slug="mock-2", course=wanted.course_id + 1000) == []
    assert prepared.rows(slug="mock-3", course=wanted.course_id) == []


@pytest.mark.postgres
def test_a_query_run_again_and_again_is_planned_once_by_postgresql(db, settings):
    # DATABASE_PREPARED_STATEMENTS (on by default): psycopg prepares it on its fifth run.
    settings.SIGNED_IN_USER_CACHE_SECONDS = 0
    user = UserFactory()
    for _ in range(6):
        assert signed_in_user(user.pk).pk == user.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_user"' in statement for statement in prepared)
