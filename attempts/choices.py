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
