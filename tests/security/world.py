"""A small exam day for the security tests and the fuzzer: every object a URL can name, in each state.

Attempts are taken through the engine's services, so their items, scores and tallies are the real ones.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from attempts.choices import AttemptState
from attempts.models import Attempt, AttemptItem
from attempts.services import attempt_create, attempt_end, attempt_save_item, attempt_section_start
from exams.models import Exam, Section
from tests.attempts.conftest import build_exam, correct_ids
from tests.factories import AccessCodeFactory, AttemptFactory, BatchFactory, ExamFactory, UserFactory

# What staff need for every endpoint of the admin API, as the Django admin would ask: reading users,
# exams and attempts, the answer key user_answers prints, and enrolling and changing students.
ADMIN_API_PERMISSIONS = (
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "exams.view_exam",
    "exams.view_question",
    "exams.view_answer",
    "attempts.view_attempt",
)


# The access code of other_batch_exam.
ACCESS_CODE = "open-sesame"


@dataclass
class World:
    student: User
    other_student: User
    # Staff holding ADMIN_API_PERMISSIONS; staff holding none; a superuser.
    staff: User
    staff_without_rights: User
    superuser: User
    open_exam: Exam
    hidden_answers_exam: Exam
    upcoming_exam: Exam
    other_batch_exam: Exam
    unpublished_exam: Exam
    # Taken offline: its paper is downloaded, its answers submitted later.
    offline_exam: Exam
    running: Attempt
    completed: Attempt
    completed_hidden: Attempt
    others_running: Attempt
    others_completed: Attempt
    # The sparse states, whose nullable fields print null: nothing answered yet (of an untimed exam
    # that never closes), never started.
    untouched: Attempt
    not_started: Attempt
    # An attempt of a sectionally timed exam (one section of 30 minutes that may end early), its section
    # running.
    sectional: Attempt
    # A username Django's validator takes that an ASCII-only \w would not.
    unicode_user: User
    extra: dict = field(default_factory=dict)

    def item_of(self, attempt: Attempt) -> AttemptItem:
        return attempt.items.order_by("order").first()

    def section_of(self, attempt: Attempt) -> dict:
        """The path parameters of the attempt's first section."""
        return {"pk": attempt.pk, "section_id": self.item_of(attempt).section_id}


def build_world() -> World:
    now = timezone.now()
    student = UserFactory(username="owner", first_name="Owner", last_name="Student")
    other = UserFactory(
        username="neighbour-x9",
        first_name="Secretfirst",
        last_name="Secretlast",
        email="neighbour@hidden.example",
        phone="9000012345",
    )
    staff = UserFactory(is_staff=True, username="staffer", permissions=ADMIN_API_PERMISSIONS)
    staff_without_rights = UserFactory(is_staff=True, username="staff-without-rights")
    superuser = UserFactory(staff=True, username="superuser")

    open_exam = build_exam("RCNE", slug="open-exam", show_answers=True, allow_retake=True, max_retakes=-1)
    hidden = build_exam("RR", slug="hidden-answers", show_answers=False)
    upcoming = ExamFactory(slug="upcoming-exam", upcoming=True)
    other_batch = build_exam("R", slug="other-batch", batches=[BatchFactory(name="Elsewhere")])
    unpublished = ExamFactory(slug="draft-exam", published=False)
    offline_exam = build_exam("RN", slug="offline-exam", is_offline_exam=True)

    def take(user, exam, *, end: bool):
        attempt = attempt_create(user=user, exam=exam, now=now - timedelta(minutes=5))
        first = attempt.items.select_related("question").order_by("order").first()
        attempt_save_item(attempt=attempt, item=first, selected_answers=correct_ids(first.question))
        return attempt_end(attempt=attempt) if end else Attempt.objects.get(pk=attempt.pk)

    completed = take(student, open_exam, end=True)
    completed_hidden = take(student, hidden, end=True)
    others_completed = take(other, open_exam, end=True)
    running = take(student, open_exam, end=False)
    others_running = take(other, open_exam, end=False)
    # Untimed and never closing: its end_date, duration and remaining_time print null.
    open_ended = build_exam("RN", slug="open-ended", end_date=None, duration=None)
    untouched = attempt_create(user=student, exam=open_ended, now=now - timedelta(minutes=1))
    not_started = AttemptFactory(
        exam=hidden, user=other, state=AttemptState.NOT_STARTED, last_started_time=None, clock_checked_at=None
    )
    unicode_user = UserFactory(username="ásha_ü", first_name="", last_name="", email="", phone="")
    # An exam that shows neither scores nor standing ("NA" and null in the student API).
    take(student, build_exam("R", slug="results-hidden", show_score=False, show_percentile=False), end=True)
    timed_by_section = build_exam("RR", slug="timed-by-section", allow_preemptive_section_ending=True)
    Section.objects.filter(exam=timed_by_section).update(duration=timedelta(minutes=30))
    sectional = attempt_create(user=student, exam=timed_by_section, now=now - timedelta(minutes=1))
    section_id = sectional.items.values_list("section_id", flat=True).first()
    sectional = attempt_section_start(
        attempt=sectional, section_id=section_id, now=now - timedelta(minutes=1)
    )
    # A code that opens the other batch's exam.
    AccessCodeFactory(exam=other_batch, code=ACCESS_CODE)
    return World(
        student=student,
        other_student=other,
        staff=staff,
        staff_without_rights=staff_without_rights,
        superuser=superuser,
        open_exam=open_exam,
        hidden_answers_exam=hidden,
        upcoming_exam=upcoming,
        other_batch_exam=other_batch,
        unpublished_exam=unpublished,
        offline_exam=offline_exam,
        running=running,
        completed=completed,
        completed_hidden=completed_hidden,
        others_running=others_running,
        others_completed=others_completed,
        untouched=untouched,
        not_started=not_started,
        sectional=sectional,
        unicode_user=unicode_user,
    )
