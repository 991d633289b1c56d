import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import OPEN_STATES, AttemptResult, AttemptState, ItemResult, RefusalCode, RefusedAction

# A ranked attempt is a completed first attempt: ranks and percentiles count these by score. RANKED
# says it in SQL, Attempt.is_ranked for one instance; tests/attempts/test_tallies.py keeps them equal.
RANKED = Q(state=AttemptState.COMPLETED, attempt_number=1)


def _new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Attempt(models.Model):
    """One sitting of one exam by one user. Scores and counts are written once, when it ends."""

    exam = models.ForeignKey("exams.Exam", on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    # 1 for the user's first attempt of the exam; only first attempts are ranked.
    attempt_number = models.PositiveIntegerField(default=1)
    state = models.PositiveSmallIntegerField(choices=AttemptState.choices, default=AttemptState.RUNNING)
    date = models.DateTimeField(default=timezone.now)
    last_started_time = models.DateTimeField(null=True, blank=True)
    last_answer_updated_time = models.DateTimeField(null=True, blank=True)
    # The moment up to which the server has counted time_taken; None while the clock is stopped.
    clock_checked_at = models.DateTimeField(null=True, blank=True)
    time_taken = models.DurationField(default=timedelta(0))
    completed_at = models.DateTimeField(null=True, blank=True)
    # Taken section by section, each on its own clock (AttemptSection); fixed when the attempt is created,
    # so the services know from this row alone whether to read the sections' clocks. The database default
    # covers rows written around the ORM (seed_load's COPY).
    sectionally_timed = models.BooleanField(default=False, db_default=False)

    total_questions = models.PositiveIntegerField(default=0)
    total_marks = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    score = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    correct_count = models.PositiveIntegerField(default=0)
    incorrect_count = models.PositiveIntegerField(default=0)
    unanswered_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    percentage = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0.00"))
    accuracy = models.PositiveSmallIntegerField(default=0)
    speed = models.PositiveIntegerField(default=0)
    result = models.CharField(
        max_length=4, choices=AttemptResult.choices, blank=True, default=AttemptResult.NOT_TAKEN
    )

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "user", "attempt_number"], name="unique_attempt_number"),
            # Two simultaneous "create attempt" requests must not both succeed.
            models.UniqueConstraint(
                fields=["exam", "user"], condition=Q(state__in=OPEN_STATES), name="one_open_attempt_per_exam"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-date"], name="attempt_user_date"),
            models.Index(fields=["exam", "-date"], name="attempt_exam_date"),
            models.Index(fields=["-date"], name="attempt_date"),
            # The admin list's ?state= page, newest first: a state's newest rows are not the newest
            # rows (thousands of running attempts come first on exam day), see migration 0009.
            models.Index(fields=["state", "-date", "-id"], name="attempt_state_date"),
            # The admin list's orderings by count (ties broken by id), see migration 0002.
            models.Index(fields=["correct_count", "id"], name="attempt_correct_count"),
            models.Index(fields=["incorrect_count", "id"], name="attempt_incorrect_count"),
            models.Index(fields=["unanswered_count", "id"], name="attempt_unanswered_count"),
            # An exam's ranked attempts in score order. Ranks no longer read it (they sum ScoreTally),
            # and a tally recount reads all of an exam's ranked rows, which PostgreSQL takes from the
            # exam index: bench/prepare.py's walk to an exam's median attempt is its one reader.
            models.Index(fields=["exam", "score"], condition=RANKED, name="attempt_ranked_score"),
        ]

    def __str__(self):
        return f"{self.user} · {self.exam} #{self.attempt_number}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_completed(self) -> bool:
        return self.state == AttemptState.COMPLETED

    @property
    def is_ranked(self) -> bool:
        """RANKED for this instance: a completed first attempt."""
        return self.state == AttemptState.COMPLETED and self.attempt_number == 1


class AttemptItem(models.Model):
    """A question as one attempt holds it: what the student answered and, after the end, what it scored."""

    # More choice ids than any question offers (the question spreadsheet has six choice columns), so a
    # longer selection is refused before a single id of it is read.
    MAX_SELECTED_ANSWERS = 20
    # About 15,000 words: a long essay fits, a request body of megabytes does not end up in one row.
    ESSAY_MAX_LENGTH = 100_000

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey("exams.Question", on_delete=models.PROTECT, related_name="attempt_items")
    section = models.ForeignKey("exams.Section", null=True, blank=True, on_delete=models.SET_NULL)
    order = models.PositiveIntegerField(default=0)
    selected_answers = models.JSONField(default=list, blank=True)
    short_text = models.CharField(max_length=100, blank=True)
    essay_text = models.TextField(blank=True)
    review = models.BooleanField(default=False)
    duration = models.DurationField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=ItemResult.choices, blank=True)
    marks = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["attempt", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="question_once_per_attempt")
        ]
        indexes = [
            # The live page's answers saved per minute (attempts/live.py): the last 15 minutes' saves,
            # an index range however many items all past exams hold. Saved items only: the rows an
            # attempt's start writes (duration still empty) stay out of it.
            models.Index(
                fields=["modified"], condition=Q(duration__isnull=False), name="attemptitem_saved_modified"
            ),
        ]

    def __str__(self):
        return f"{self.attempt} · Q{self.question_id}"


class AttemptSection(models.Model):
    """One section of a sectionally timed attempt, on its own clock (attempts/timing.py).

    Written with the attempt, one row per section holding its questions, in the exam's section order;
    the services move it with the attempt row locked, as they move the attempt's own clock. Its
    duration is the section's when the attempt was created: a student's clock does not change under
    them. The attempt's time_taken is the sum of its sections'.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="attempt_sections")
    # PROTECT: a section some attempt is taking cannot be deleted (the admin says which).
    section = models.ForeignKey("exams.Section", on_delete=models.PROTECT, related_name="attempt_sections")
    # The 0-based position the API prints: sections are taken in this order.
    order = models.PositiveSmallIntegerField()
    duration = models.DurationField()
    state = models.PositiveSmallIntegerField(choices=AttemptState.choices, default=AttemptState.NOT_STARTED)
    time_taken = models.DurationField(default=timedelta(0))
    # As Attempt.clock_checked_at: up to when time_taken is counted; None while the clock is stopped.
    clock_checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "order"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "section"], name="section_once_per_attempt"),
            models.UniqueConstraint(fields=["attempt", "order"], name="one_section_per_position"),
        ]
        indexes = [
            # The sweep's running sections (services._overdue_at): a few per exam day, whatever the history.
            models.Index(
                fields=["attempt"], condition=Q(state=AttemptState.RUNNING), name="attemptsection_running"
            ),
        ]

    def __str__(self):
        return f"{self.attempt} · section {self.order}"

    @property
    def is_running(self) -> bool:
        return self.state == AttemptState.RUNNING

    @property
    def is_completed(self) -> bool:
        return self.state == AttemptState.COMPLETED


class ScoreTally(models.Model):
    """How many ranked attempts of an exam have each score: ranks and percentiles read this table.

    Counting the attempts that scored more than one attempt is a scan of up to every attempt of the
    exam (a million on exam day); an exam has only as many distinct scores as its marking allows,
    so summing this table's rows is cheap whatever the number of attempts. The services that end or
    re-score an attempt move its count (attempts/tallies.py); writes around them (update(), bulk
    inserts, SQL) do not: `manage.py check_score_tallies` finds the drift, `--repair` recounts.
    """

    exam = models.ForeignKey("exams.Exam", on_delete=models.CASCADE, related_name="score_tallies")
    score = models.DecimalField(max_digits=10, decimal_places=2)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exam", "score"], name="one_tally_per_exam_score")]

    def __str__(self):
        return f"{self.exam_id}: {self.count} × {self.score}"


class RefusedRequest(models.Model):
    """A student's request on an attempt refused because the attempt had ended (a 409).

    An app that goes on saving after the end loses those answers: staff watching the exam see these
    on its live page. One row per refused request, written by the student API's attempt views
    (attempts/refusals.py); nothing on the exam-day path reads them.

    The foreign keys have no database constraint: PostgreSQL checks them at the request's commit,
    after the savepoint that guards the insert, so an attempt deleted meanwhile would fail the
    request the row only records. Django still deletes these rows with their attempt, exam or user.
    """

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="refusals", db_constraint=False
    )
    # The attempt's, copied so that an exam's latest refusals are one index scan (refused_exam_at).
    exam = models.ForeignKey("exams.Exam", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    code = models.CharField(max_length=32, choices=RefusalCode.choices)
    action = models.CharField(max_length=16, choices=RefusedAction.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["exam", "-at"], name="refused_exam_at")]

    def __str__(self):
        return f"{self.get_action_display()} refused on attempt {self.attempt_id} at {self.at:%H:%M:%S}"


# --- The exam webhook (attempts/webhooks.py) ------------------------------------------------------


class WebhookEndpoint(models.Model):
    """The institute's exam webhook: one row (pk 1), edited in the admin.

    EXAM_WEBHOOK_URL, EXAM_WEBHOOK_SECRET and EXAM_WEBHOOK_PUBLIC_KEY in the environment take
    precedence over the fields here (webhooks.endpoint()).
    """

    SINGLETON_PK = 1

    url = models.URLField("URL", max_length=500, blank=True)
    secret = models.CharField(max_length=200, blank=True, help_text="Signs every delivery; keep it private.")
    public_key = models.CharField(max_length=200, blank=True, help_text="Sent as `key` in every payload.")
    enabled = models.BooleanField(default=False)
    # Set when the receiver answered 410 Gone: delivery stops until staff enable it again.
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "exam webhook"
        verbose_name_plural = "exam webhook"

    def __str__(self):
        return self.url or "Exam webhook (no URL)"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)


class WebhookEvent(models.Model):
    """The outbox: one row per attempt started or completed, written in the transaction that did it.

    Its payload is built at the first delivery (from the attempt as it is then, its state as of the
    event) and kept, so every retry sends the same body under the same webhook-id.
    """

    class Kind(models.TextChoices):
        STARTED = "started"
        COMPLETED = "completed"

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        # Every try of the retry schedule failed, or the endpoint was gone (410).
        FAILED = "failed"
        # No webhook was configured when it was due: nothing was sent.
        SKIPPED = "skipped"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="webhook_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The Standard Webhooks `webhook-id`: the same on every try, so receivers can drop duplicates.
    webhook_id = models.CharField(max_length=40, unique=True, default=_new_webhook_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    # When the next try is due; a task claims the event by moving it forward (a lease), so a lost
    # task's event is due again once the lease runs out and the re-queue sweep sends it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    tries = models.PositiveIntegerField(default=0)
    payload = models.JSONField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_event_due"),
        ]

    def __str__(self):
        return f"{self.webhook_id} · attempt {self.attempt_id} {self.kind}"


class WebhookDelivery(models.Model):
    """One try of one event: what the receiver answered (or why there was no answer)."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    # The start of the receiver's answer, or the error that stopped the request.
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_id} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or 'no answer'}"


# --- Offline exams (attempts/offline.py) ----------------------------------------------------------


class OfflineSubmission(models.Model):
    """The answers of an offline exam as the app sent them: written in the request's transaction and
    processed by a task into one completed attempt.

    One row per (exam, user, started_on), held by a unique constraint: the app sending the same
    submission again, or twice at once, finds the first row and makes no second attempt.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        # The attempt is made and scored.
        PROCESSED = "processed"
        # A rule said no when it was processed (retakes used up); `refusal` says which.
        REFUSED = "refused"

    exam = models.ForeignKey("exams.Exam", on_delete=models.CASCADE, related_name="offline_submissions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offline_submissions"
    )
    started_on = models.DateTimeField()
    completed_on = models.DateTimeField()
    # [{"question_id", "duration" (seconds or null), "selected_answers", "short_text", "essay_text"}],
    # validated against the exam's questions when received.
    answers = models.JSONField(default=list)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When the task may next take it: moved ahead while a task holds it, so a lost task's submission
    # is due again once that lease runs out and the re-queue sweep sends it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    tries = models.PositiveIntegerField(default=0)
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="offline_submission"
    )
    refusal = models.CharField(max_length=200, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "user", "started_on"], name="one_offline_submission_per_sitting"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="offline_submission_due"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.exam} offline, started {self.started_on:%Y-%m-%d %H:%M}"
