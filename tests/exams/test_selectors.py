import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import Batch
from attempts.choices import AttemptState
from attempts.selectors import exam_for_user, exam_list, exams_in_user_state
from exams.errors import ExamNotAvailable, ExamNotFound
from exams.models import Exam
from exams.selectors import exams_left_without_batches, exams_visible_to, students_who_may_see
from tests.factories import AttemptFactory, BatchFactory, ExamFactory, ExamQuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestExamsVisibleTo:
    def test_published_exam_without_batches_is_visible(self, student):
        exam = ExamFactory()
        assert list(exams_visible_to(student)) == [exam]

    def test_unpublished_exam_is_hidden(self, student):
        ExamFactory(published=False)
        assert not exams_visible_to(student).exists()

    def test_exam_limited_to_another_batch_is_hidden(self, student):
        ExamFactory(batches=[BatchFactory()])
        assert not exams_visible_to(student).exists()

    def test_exam_of_the_students_batch_appears_once_even_through_two_batches(self, student):
        first, second = BatchFactory(), BatchFactory()
        student.batches.set([first, second])
        exam = ExamFactory(batches=[first, second, BatchFactory()])
        assert list(exams_visible_to(student)) == [exam]

    def test_unpublished_exam_of_the_students_batch_is_hidden(self, student):
        batch = BatchFactory()
        student.batches.add(batch)
        ExamFactory(batches=[batch], published=False)
        assert not exams_visible_to(student).exists()

    def test_staff_see_unpublished_and_batch_limited_exams(self, staff):
        exams = {ExamFactory(published=False), ExamFactory(batches=[BatchFactory()])}
        assert set(exams_visible_to(staff)) == exams


class TestDeletingTheBatchesOfAnExam:
    """An exam limited to batches fails closed when they are deleted: it was never meant for everybody."""

    def test_an_exam_whose_only_batch_was_deleted_is_hidden_from_every_student(self, student, staff):
        batch = BatchFactory()
        student.batches.add(batch)
        exam = ExamFactory(batches=[batch])
        outsider = UserFactory()
        assert list(exams_visible_to(student)) == [exam]

        batch.delete()

        for someone in (student, outsider):
            assert not exams_visible_to(someone).exists()
        assert list(exams_visible_to(staff)) == [exam]

    def test_members_of_a_remaining_batch_still_see_it(self, student):
        kept, deleted = BatchFactory(), BatchFactory()
        student.batches.add(kept)
        exam = ExamFactory(batches=[kept, deleted])

        deleted.delete()

        assert list(exams_visible_to(student)) == [exam]
        assert not exams_visible_to(UserFactory()).exists()

    def test_deleting_batches_in_bulk_hides_their_exams_too(self, student):
        batches = BatchFactory.create_batch(2)
        ExamFactory(batches=batches)

        Batch.objects.filter(pk__in=[batch.pk for batch in batches]).delete()

        assert not exams_visible_to(student).exists()

    def test_batches_written_around_the_model_still_fail_closed(self, student):
        # A bulk insert into the link table skips the m2m signal; deleting the batch still closes.
        batch, exam = BatchFactory(), ExamFactory()
        Exam.batches.through.objects.bulk_create([Exam.batches.through(exam=exam, batch=batch)])
        assert not Exam.objects.get(pk=exam.pk).restricted_to_batches

        batch.delete()

        assert not exams_visible_to(student).exists()

    def test_a_batch_limits_an_exam_even_with_the_flag_off(self, student):
        exam = ExamFactory(batches=[BatchFactory()])
        Exam.objects.filter(pk=exam.pk).update(restricted_to_batches=False)
        assert not exams_visible_to(student).exists()

    def test_adding_batches_from_either_side_sets_the_flag(self):
        exam, other = ExamFactory(), ExamFactory()
        assert not exam.restricted_to_batches
        exam.batches.add(BatchFactory())
        assert exam.restricted_to_batches
        BatchFactory().exams.add(other)
        assert Exam.objects.get(pk=other.pk).restricted_to_batches

    def test_an_exam_open_to_all_stays_open_to_all(self, student):
        exam = ExamFactory()
        BatchFactory().delete()
        assert list(exams_visible_to(student)) == [exam]


class TestStudentsWhoMaySee:
    """exams_visible_to read the other way round, held to it on every kind of exam."""

    @pytest.fixture
    def world(self):
        morning, evening, doomed = BatchFactory(), BatchFactory(), BatchFactory()
        students = {
            "morning": UserFactory(batches=[morning]),
            "evening": UserFactory(batches=[evening]),
            "both": UserFactory(batches=[morning, evening]),
            "none": UserFactory(),
            "inactive morning": UserFactory(batches=[morning], is_active=False),
            "inactive": UserFactory(is_active=False),
        }
        UserFactory(staff=True, batches=[morning])  # staff are not students, whatever their batches
        flag_off = ExamFactory(batches=[evening])
        Exam.objects.filter(pk=flag_off.pk).update(restricted_to_batches=False)
        exams = {
            "open to all": ExamFactory(),
            "unpublished": ExamFactory(published=False),
            "morning": ExamFactory(batches=[morning]),
            "morning and evening": ExamFactory(batches=[morning, evening]),
            "unpublished morning": ExamFactory(published=False, batches=[morning]),
            "batch deleted": ExamFactory(batches=[doomed]),
            "evening, flag off": Exam.objects.get(pk=flag_off.pk),
        }
        doomed.delete()
        return students, exams

    def test_each_exam_is_seen_by_the_students_exams_visible_to_shows_it_to(self, world):
        students, exams = world
        for name, exam in exams.items():
            expected = {
                student.username
                for student in students.values()
                if student.is_active and exams_visible_to(student).filter(pk=exam.pk).exists()
            }
            assert set(students_who_may_see(exam).values_list("username", flat=True)) == expected, name

    def test_who_that_is(self, world):
        students, exams = world

        def who(name):
            return {s for s, user in students.items() if students_who_may_see(exams[name]).filter(pk=user.pk)}

        assert who("open to all") == {"morning", "evening", "both", "none"}
        assert who("morning") == {"morning", "both"}
        assert who("morning and evening") == {"morning", "evening", "both"}
        assert who("evening, flag off") == {"evening", "both"}
        assert who("unpublished") == who("unpublished morning") == who("batch deleted") == set()


class TestExamsLeftWithoutBatches:
    def test_names_the_exams_with_no_batch_outside_those_given(self):
        first, second, other = BatchFactory(), BatchFactory(), BatchFactory()
        only_first = ExamFactory(title="B", batches=[first])
        both = ExamFactory(title="A", batches=[first, second])
        ExamFactory(batches=[first, other])
        ExamFactory(batches=[other])
        ExamFactory()

        assert list(exams_left_without_batches([first.pk])) == [only_first]
        assert list(exams_left_without_batches([first.pk, second.pk])) == [both, only_first]


def test_the_migration_restricts_every_exam_that_has_batches():
    migration = importlib.import_module("exams.migrations.0004_exam_restricted_to_batches")
    limited, open_to_all = ExamFactory(batches=BatchFactory.create_batch(2)), ExamFactory()
    Exam.objects.update(restricted_to_batches=False)

    migration.restrict_exams_with_batches(apps, None)

    assert set(Exam.objects.filter(restricted_to_batches=True)) == {limited}
    assert Exam.objects.get(pk=open_to_all.pk).restricted_to_batches is False


class TestExamsInState:
    def states(self, student, now):
        return {
            state: set(exams_in_user_state(Exam.objects.all(), state=state, user=student, now=now))
            for state in ("upcoming", "available", "history")
        }

    def test_each_state_picks_its_exams_for_this_user(self, student, other_student):
        now = timezone.now()
        upcoming = ExamFactory(upcoming=True)
        open_untried = ExamFactory()
        open_forever = ExamFactory(end_date=None)
        open_tried = ExamFactory()
        AttemptFactory(exam=open_tried, user=student)
        closed_tried = ExamFactory(closed=True)
        AttemptFactory(exam=closed_tried, user=student, completed=True)
        closed_untried = ExamFactory(closed=True)
        tried_by_someone_else = ExamFactory()
        AttemptFactory(exam=tried_by_someone_else, user=other_student)

        states = self.states(student, now)

        assert states["upcoming"] == {upcoming}
        assert states["available"] == {open_untried, open_forever, tried_by_someone_else}
        assert states["history"] == {open_tried, closed_tried}
        assert closed_untried not in set().union(*states.values())

    def test_an_exam_ending_exactly_now_is_no_longer_available(self, student):
        now = timezone.now()
        ExamFactory(start_date=now - timedelta(hours=1), end_date=now)
        assert not self.states(student, now)["available"]

    def test_an_exam_starting_exactly_now_is_available_not_upcoming(self, student):
        now = timezone.now()
        exam = ExamFactory(start_date=now)
        states = self.states(student, now)
        assert states["available"] == {exam}
        assert not states["upcoming"]

    def test_unknown_state_is_a_programming_error(self, student):
        with pytest.raises(ValueError):
            exams_in_user_state(Exam.objects.all(), state="archived", user=student, now=timezone.now())


class TestExamListCounts:
    def test_counts_are_this_users_and_questions_are_counted(self, student, other_student):
        exam = ExamFactory()
        ExamQuestionFactory.create_batch(3, exam=exam)
        AttemptFactory(exam=exam, user=student, completed=True)
        AttemptFactory(exam=exam, user=student, attempt_number=2, state=AttemptState.NOT_STARTED)
        AttemptFactory(exam=exam, user=other_student)

        row = exam_list(user=student).get()

        assert (row.number_of_questions, row.attempts_count, row.paused_attempts_count) == (3, 2, 1)

    def test_exam_nobody_took_counts_zero_not_null(self, student):
        ExamFactory()
        row = exam_list(user=student).get()
        assert (row.number_of_questions, row.attempts_count, row.paused_attempts_count) == (0, 0, 0)


class TestExamForUser:
    def test_unknown_slug_is_not_found(self, student):
        with pytest.raises(ExamNotFound):
            exam_for_user(user=student, slug="no-such-exam")

    def test_unpublished_exam_is_not_found_for_a_student(self, student):
        exam = ExamFactory(published=False)
        with pytest.raises(ExamNotFound):
            exam_for_user(user=student, slug=exam.slug)

    def test_exam_of_another_batch_is_forbidden(self, student):
        exam = ExamFactory(batches=[BatchFactory()])
        with pytest.raises(ExamNotAvailable):
            exam_for_user(user=student, slug=exam.slug)

    def test_staff_get_any_exam_with_their_counts(self, staff):
        exam = ExamFactory(published=False, batches=[BatchFactory()])
        AttemptFactory(exam=exam, user=staff)
        found = exam_for_user(user=staff, slug=exam.slug)
        assert (found, found.attempts_count, found.paused_attempts_count) == (exam, 1, 1)
