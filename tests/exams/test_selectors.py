from datetime import timedelta

import pytest
from django.utils import timezone

from attempts.choices import AttemptState
from attempts.selectors import exam_for_user, exam_list, exams_in_user_state
from exams.errors import ExamNotAvailable, ExamNotFound
from exams.models import Exam
from exams.selectors import exams_visible_to
from tests.factories import AttemptFactory, BatchFactory, ExamFactory, ExamQuestionFactory

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
