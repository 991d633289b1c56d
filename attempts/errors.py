"""The exam engine's refusals: DRF exceptions, so the API handler renders them with their status.

Each carries an `error_code` the clients branch on (the handler adds it beside `detail`), and
some an `extra` dict merged into the body, e.g. 409 {"detail": ..., "error_code":
"attempt_running", "attempt_id": 12}.
"""

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from testpress.api.exceptions import Conflict


class ExamNotOpen(PermissionDenied):
    error_code = "exam_not_open"
    default_detail = "This exam is not open for attempts now."


class RetakesExhausted(PermissionDenied):
    error_code = "retakes_exhausted"
    default_detail = "You have used all the attempts this exam allows."


class AttemptRunning(Conflict):
    error_code = "attempt_running"
    default_detail = "You already have an attempt of this exam in progress; resume it."

    def __init__(self, attempt_id: int | None, detail=None):
        super().__init__(detail)
        self.extra = {"attempt_id": attempt_id} if attempt_id is not None else {}


class AttemptCompleted(Conflict):
    error_code = "attempt_completed"
    default_detail = "This attempt has ended."


class AttemptTimeUp(AttemptCompleted):
    """The request found the attempt overdue and completed it with what was saved before."""

    default_detail = "The time for this attempt is up; it has been ended with the answers saved so far."


class AttemptNotCompleted(Conflict):
    error_code = "attempt_not_completed"
    default_detail = "This attempt has not ended yet."


class ItemNotFound(NotFound):
    error_code = "item_not_found"
    default_detail = "This question is not part of this attempt."


class FieldError(ValidationError):
    """A 400 about one input field: {"<field>": ["<message>"], "error_code": ...}."""

    error_code = "invalid"
    field = "non_field_errors"
    message = "Invalid value."

    def __init__(self, message: str | None = None):
        super().__init__({self.field: [message or self.message]}, code=self.error_code)


class InvalidChoice(FieldError):
    error_code = "invalid_choice"
    field = "selected_answers"
    message = "Choose among this question's answers."


class InvalidNumericalAnswer(FieldError):
    error_code = "invalid_numerical_answer"
    field = "short_text"
    message = "Enter a number, such as 42 or -3.5."


class InvalidText(FieldError):
    error_code = "invalid_text"
    field = "short_text"


class InvalidEssayText(FieldError):
    error_code = "invalid_text"
    field = "essay_text"


class NotAnEssay(FieldError):
    error_code = "not_an_essay"
    message = "Only essay questions are marked by hand."


class InvalidEssayMarks(FieldError):
    error_code = "invalid_marks"
    field = "marks"


class ReviewNotReady(PermissionDenied):
    error_code = "attempt_running"
    default_detail = "The review opens when this attempt has ended."


class AnswersHidden(PermissionDenied):
    error_code = "answers_hidden"
    default_detail = "This exam does not show its answers."
