"""The exam engine's refusals, one class per cause, each with the `code` clients branch on.

Plain exceptions (testpress/errors.py): the API gives each kind its status and prints `code` as
`error_code` beside the message, with `extra` merged in, e.g. 409 {"detail": ..., "error_code":
"attempt_running", "attempt_id": 12}.
"""

from testpress.errors import Conflict, Forbidden, Invalid, NotFound


class ExamNotOpen(Forbidden):
    code = "exam_not_open"
    message = "This exam is not open for attempts now."


class RetakesExhausted(Forbidden):
    code = "retakes_exhausted"
    message = "You have used all the attempts this exam allows."


class AttemptRunning(Conflict):
    code = "attempt_running"
    message = "You already have an attempt of this exam in progress; resume it."

    def __init__(self, attempt_id: int | None, message: str | None = None):
        super().__init__(message, **({"attempt_id": attempt_id} if attempt_id is not None else {}))
        self.attempt_id = attempt_id


class AttemptCompleted(Conflict):
    code = "attempt_completed"
    message = "This attempt has ended."


class AttemptTimeUp(AttemptCompleted):
    """The request found the attempt overdue and completed it with what was saved before."""

    message = "The time for this attempt is up; it has been ended with the answers saved so far."


class SectionNotStartable(Conflict):
    code = "section_not_startable"
    message = "Sections are taken in order: finish the sections before this one first."


class SectionNotRunning(Conflict):
    code = "section_not_running"
    message = "This section is not running: start it first, or its time is over."


class SectionEndNotAllowed(Forbidden):
    code = "section_end_not_allowed"
    message = "This exam does not let a section end before its time is up."
    untimed_message = "This exam's sections are not timed one by one: they end with the attempt."


class SectionNotFound(NotFound):
    code = "section_not_found"
    message = "This section is not part of this attempt."


class AttemptNotCompleted(Conflict):
    code = "attempt_not_completed"
    message = "This attempt has not ended yet."


class AttemptNotFound(NotFound):
    """No such attempt (the generic 404: the body says no more than DRF's own)."""


class NotYourAttempt(Forbidden):
    """Another student's attempt: only its owner (and, to read it, staff) may touch it."""

    message = "This attempt belongs to another user."


class NotTheTaker(Forbidden):
    """Staff may read a student's attempt, but only the student taking it may change it."""

    message = "Only the student taking this attempt may change it."


class ItemNotFound(NotFound):
    code = "item_not_found"
    message = "This question is not part of this attempt."


class InvalidChoice(Invalid):
    code = "invalid_choice"
    field = "selected_answers"
    message = "Choose among this question's answers."


class InvalidNumericalAnswer(Invalid):
    code = "invalid_numerical_answer"
    field = "short_text"
    message = "Enter a number, such as 42 or -3.5."


class InvalidText(Invalid):
    code = "invalid_text"
    field = "short_text"


class InvalidEssayText(Invalid):
    code = "invalid_text"
    field = "essay_text"


class NotAnEssay(Invalid):
    code = "not_an_essay"
    message = "Only essay questions are marked by hand."


class InvalidEssayMarks(Invalid):
    code = "invalid_marks"
    field = "marks"


class ReviewNotReady(Forbidden):
    code = "review_not_ready"
    message = "The review opens when this attempt has ended."


class ScoreHidden(Forbidden):
    code = "score_hidden"
    message = "This exam does not show scores."


class AnswersHidden(Forbidden):
    code = "answers_hidden"
    message = "This exam does not show its answers."


class NotAnOfflineExam(Forbidden):
    code = "not_offline_exam"
    message = "This exam is not an offline exam: take it online."


class InvalidOfflineAttempt(Invalid):
    """The submission's times do not fit together or the exam's schedule."""

    code = "invalid_offline_attempt"
    field = "offline_attempt"


class OfflineSubmissionLate(InvalidOfflineAttempt):
    code = "offline_submission_late"


class InvalidOfflineAnswer(Invalid):
    """An answer naming a question the exam does not hold, or a response the question cannot take."""

    code = "invalid_offline_answer"
    field = "offline_answers"
