from django.db import models


class AttemptState(models.IntegerChoices):
    """The codes are the v2.5 admin API's `state` filter values."""

    RUNNING = 0, "Running"
    COMPLETED = 1, "Completed"
    NOT_STARTED = 3, "Not Started"


OPEN_STATES = (AttemptState.RUNNING, AttemptState.NOT_STARTED)


class AttemptResult(models.TextChoices):
    NOT_TAKEN = "", "Not taken"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"


class ItemResult(models.TextChoices):
    CORRECT = "correct", "Correct"
    INCORRECT = "incorrect", "Incorrect"
    UNANSWERED = "unanswered", "Unanswered"
    PENDING = "pending", "Pending (essay to mark)"


class RefusalCode(models.TextChoices):
    """Why a request on an attempt was refused (409 attempt_completed to the client either way)."""

    ATTEMPT_COMPLETED = "attempt_completed", "The attempt had already ended"
    TIME_UP = "attempt_time_up", "Its time ran out: this request ended it"


class RefusedAction(models.TextChoices):
    """What the refused request asked of the attempt (the student API's action)."""

    SAVE = "save", "Save an answer"
    QUESTIONS = "questions", "List the questions"
    START = "start", "Start or resume"
    END = "end", "End"
