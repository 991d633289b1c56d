"""Refusals about exams, one class per cause (plain exceptions: testpress/errors.py)."""

from testpress.errors import Forbidden, Invalid, NotFound


class ExamNotFound(NotFound):
    """No such exam, or one a student may not know of yet (unpublished): the generic 404."""


class ExamNotAvailable(Forbidden):
    """The exam exists but is limited to batches the student is not in."""

    message = "This exam is not available to you."


class AccessCodeNotFound(NotFound):
    code = "access_code_not_found"
    message = "No exam has this access code."


class WrongAccessCode(Forbidden):
    code = "wrong_access_code"
    message = "This access code does not open this exam."


class ExamNotPublishable(Invalid):
    """Students could not take the exam as it stands; the messages say why."""

    code = "exam_not_publishable"


class SectionOfAnotherExam(Invalid):
    code = "section_of_another_exam"
    field = "section"


class QuestionImageInvalid(Invalid):
    """An upload for a question that is not an image we keep (PNG, JPEG, GIF, WebP), or too large."""

    code = "invalid_image"
    field = "image"
