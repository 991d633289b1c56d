from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, Q

from .choices import Difficulty, ExamType, QuestionType, TemplateType
from .html import clean_html, html_to_text

MARKS = {"max_digits": 7, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Course(models.Model):
    """Groups exams; students filter by its name (the `course` string of the API)."""

    name = models.CharField(max_length=150, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Subject(models.Model):
    """A node of the subject tree that analytics group questions by."""

    name = models.CharField(max_length=150)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_subject_name_per_parent")
        ]

    def __str__(self):
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


# What a question without a language of its own is written in (printed as its `language`).
DEFAULT_LANGUAGE_CODE = "en"


class Language(models.Model):
    """A language a paper may be written in. The apps match a question's translations to the exam's
    languages by `code`, so the other tables refer to a language by its code."""

    code = models.CharField(
        max_length=16,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                "Use a language code as the apps know it: “en”, “hi”, “pt-BR”.",
                code="invalid_language_code",
            )
        ],
        help_text="An ISO 639 code: “en”, “hi”. It cannot change once saved: translations refer to it.",
    )
    title = models.CharField(max_length=64, help_text="As students read it: “English”, “हिन्दी”.")

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.title} ({self.code})"


class Exam(models.Model):
    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    # Most exams on the platform are timed mock tests, so that is what an exam is until staff say otherwise.
    exam_type = models.CharField(
        max_length=16, choices=ExamType.choices, default=ExamType.MOCK, db_index=True
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="exams")
    start_date = models.DateTimeField(db_index=True)
    end_date = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty for an exam that never closes."
    )
    duration = models.DurationField(null=True, blank=True, help_text="Leave empty for an untimed exam.")
    mark_per_question = models.DecimalField(default=Decimal("1.00"), **MARKS)
    negative_marks = models.DecimalField(default=Decimal("0.00"), **MARKS)
    variable_mark_per_question = models.BooleanField(
        default=False, help_text="Use each question's own marks and negative marks instead of the exam's."
    )
    pass_percentage = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    template_type = models.PositiveSmallIntegerField(
        choices=TemplateType.choices,
        default=TemplateType.STANDARD,
        help_text="The exam screen the student apps show it in; they read the code (template_type).",
    )
    allow_retake = models.BooleanField(default=True)
    max_retakes = models.IntegerField(
        null=True, blank=True, help_text="Retakes allowed after the first attempt; empty or -1 for unlimited."
    )
    enable_ranks = models.BooleanField(default=False)
    rank_publishing_date = models.DateTimeField(null=True, blank=True)
    allow_pdf = models.BooleanField(default=False)
    show_answers = models.BooleanField(default=True)
    show_score = models.BooleanField(default=True)
    show_percentile = models.BooleanField(default=True)
    show_pass_or_fail = models.BooleanField(default=True)
    disable_attempt_resume = models.BooleanField(
        "strict timer",
        default=False,
        help_text=(
            "The attempt's time runs from its start to start + duration (or the exam's end), whether or not "
            "the student has the app open. Unticked, closing the app pauses the clock."
        ),
    )
    allow_preemptive_section_ending = models.BooleanField(
        default=False, help_text="Whether a student may end a timed section before its time is up."
    )
    # Offline exams (attempts/offline.py): the app downloads the paper, the student writes it without a
    # network, and the answers are sent in one submission later.
    is_offline_exam = models.BooleanField(
        "offline exam",
        default=False,
        help_text=(
            "Students download the whole paper, write it in the app without a network and send their "
            "answers later; the server scores them as one completed attempt."
        ),
    )
    grace_duration_for_offline_submission = models.PositiveIntegerField(
        "grace for offline submissions (minutes)",
        default=0,
        help_text="Minutes after the end date during which offline answers are still accepted.",
    )
    published = models.BooleanField(default=False, db_index=True)
    # The fact that an exam is limited, kept apart from whom it is limited to: deleting its last
    # batch leaves it limited to nobody rather than open to everybody.
    restricted_to_batches = models.BooleanField(
        "only for these batches",
        default=False,
        help_text=(
            "Only students of the batches below see this exam; with none left (their batches deleted) no "
            "student does. Ticked when batches are chosen: to open the exam to every student, remove its "
            "batches and untick this."
        ),
    )
    batches = models.ManyToManyField("accounts.Batch", related_name="exams", blank=True)
    questions = models.ManyToManyField("Question", through="ExamQuestion", related_name="exams")
    languages = models.ManyToManyField(Language, through="ExamLanguage", related_name="exams", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="exam_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def has_unlimited_retakes(self) -> bool:
        return self.allow_retake and (self.max_retakes is None or self.max_retakes < 0)

    def remaining_attempts(self, used: int) -> int | None:
        """Attempts a user who has made `used` of them may still start; None means unlimited.

        No retakes: one attempt in all. max_retakes=2: the first attempt plus two retakes, so
        after one attempt two remain.
        """
        if self.has_unlimited_retakes:
            return None
        allowed = 1 + (self.max_retakes if self.allow_retake else 0)
        return max(allowed - used, 0)

    # The schedule, in Python for one exam and as Q objects for querysets: the same rule twice, kept
    # equal by tests/exams/test_models.py::TestScheduleRule. An exam without end_date never ends.
    def has_started(self, at: datetime) -> bool:
        return self.start_date <= at

    def has_ended(self, at: datetime) -> bool:
        return self.end_date is not None and self.end_date <= at

    def is_open(self, at: datetime) -> bool:
        return self.has_started(at) and not self.has_ended(at)

    @staticmethod
    def started_q(at: datetime) -> Q:
        return Q(start_date__lte=at)

    @staticmethod
    def ended_q(at: datetime) -> Q:
        return Q(end_date__isnull=False, end_date__lte=at)

    @classmethod
    def open_q(cls, at: datetime) -> Q:
        return cls.started_q(at) & (Q(end_date__isnull=True) | Q(end_date__gt=at))

    @property
    def offline_submission_deadline(self) -> datetime | None:
        """The last moment an offline submission may say it was completed: end_date + the grace; None for
        an exam that never closes. An exam closing at 17:00 with 30 minutes of grace takes 17:30."""
        if self.end_date is None:
            return None
        return self.end_date + timedelta(minutes=self.grace_duration_for_offline_submission)

    def ranks_published(self, at: datetime) -> bool:
        return self.enable_ranks and (self.rank_publishing_date is None or self.rank_publishing_date <= at)

    def question_marks(self, question: "Question") -> tuple[Decimal, Decimal]:
        """What a question is worth in this exam: (marks if correct, marks lost if incorrect)."""
        if self.variable_mark_per_question:
            return question.marks, question.negative_marks
        return self.mark_per_question, self.negative_marks

    def publication_problems(self, question_ids: Iterable[int] | None = None) -> list[str]:
        """Why students could not take this exam as it stands; empty when it may be published.

        An exam needs a question, and every question needs a key to be scored against: a choice
        question (R, C) a correct choice, a numerical one (N) its value. Essays are marked by hand.
        `question_ids` are the questions it is about to hold (a form saving its rows in the same
        request); by default the saved ones. One query.
        """
        if question_ids is None:
            questions = Question.objects.filter(exam_links__exam=self) if self.pk else Question.objects.none()
        else:
            questions = Question.objects.filter(pk__in=list(question_ids))
        rows = list(
            questions.annotate(correct_choices=Count("answers", filter=Q(answers__is_correct=True)))
            .order_by("pk")
            .values_list("pk", "type", "numerical_answer", "correct_choices")
        )
        if not rows:
            return ["Add at least one question before publishing the exam."]
        choice_types = (QuestionType.SINGLE, QuestionType.MULTIPLE)
        no_choice = [pk for pk, kind, _, correct in rows if kind in choice_types and not correct]
        no_value = [pk for pk, kind, value, _ in rows if kind == QuestionType.NUMERICAL and value is None]
        problems = []
        if no_choice:
            problems.append(f"Mark a correct choice on these questions: {_question_names(no_choice)}.")
        if no_value:
            problems.append(
                f"Give these numerical questions their answer value: {_question_names(no_value)}."
            )
        return problems


def _question_names(pks: list[int]) -> str:
    return ", ".join(f"Q{pk}" for pk in pks)


class AccessCode(models.Model):
    """A code staff hand out that opens an exam to whoever holds it, batches or not.

    Codes are matched exactly (case matters), and one code opens one exam.
    """

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="access_codes")
    code = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_-]+$", "Use letters, digits, hyphens and underscores only.", code="invalid_code"
            )
        ],
        help_text="Letters, digits, hyphens and underscores; students type it as it is written here.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exam", "code"]

    def __str__(self):
        return self.code


class ExamLanguage(models.Model):
    """A language the exam is offered in, in the order the apps list them.

    An exam listing fewer than two is printed as monolingual: no languages and no translations.
    """

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="exam_languages")
    language = models.ForeignKey(
        Language, to_field="code", on_delete=models.PROTECT, related_name="exam_links"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["exam", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["exam", "language"], name="language_once_per_exam")]

    def __str__(self):
        return f"{self.exam}: {self.language_id}"


class Section(models.Model):
    """A group of an exam's questions. When every question of the exam sits in a section with a
    duration, the exam is sectionally timed (is_sectionally_timed): its sections are taken one at a
    time, each on its own clock."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="sections")
    # Sections are taken in this order (ties: the one added first); the API prints the 0-based position.
    order = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=150)
    duration = models.DurationField(
        null=True,
        blank=True,
        help_text="Give every section a duration to time them one by one; leave all empty for plain groups.",
    )
    cut_off = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0.00"))
    instructions = models.TextField(blank=True, help_text="Shown to the student before the section starts.")

    class Meta:
        ordering = ["exam", "order", "id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.instructions = clean_html(self.instructions)
        super().save(*args, **kwargs)


def is_sectionally_timed(sections: Iterable[Section | None]) -> bool:
    """Whether questions in these sections (one entry per question, None for one outside any section)
    are taken section by section: there is at least one, and each is in a section with a duration."""
    sections = list(sections)
    return bool(sections) and all(s is not None and s.duration is not None for s in sections)


class Direction(models.Model):
    """A passage several questions share (a comprehension text, a data table)."""

    html = models.TextField()

    def __str__(self):
        return html_to_text(self.html, 60) or f"Direction {self.pk}"

    def save(self, *args, **kwargs):
        self.html = clean_html(self.html)
        super().save(*args, **kwargs)


class Question(models.Model):
    """A question of the bank; exams pick questions through ExamQuestion."""

    question_html = models.TextField()
    direction = models.ForeignKey(Direction, null=True, blank=True, on_delete=models.SET_NULL)
    type = models.CharField(max_length=1, choices=QuestionType.choices, default=QuestionType.SINGLE)
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices, blank=True)
    explanation_html = models.TextField(blank=True)
    language = models.ForeignKey(
        Language,
        to_field="code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=f"The language this text is written in; empty: “{DEFAULT_LANGUAGE_CODE}”.",
    )
    marks = models.DecimalField(default=Decimal("1.00"), **MARKS)
    negative_marks = models.DecimalField(default=Decimal("0.00"), **MARKS)
    numerical_answer = models.DecimalField(
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="Numerical questions: the correct value.",
    )
    numerical_tolerance = models.DecimalField(
        max_digits=20,
        decimal_places=6,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Numerical questions: answers within ± this of the value are correct.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Q{self.pk}: {html_to_text(self.question_html, 60)}"

    def save(self, *args, **kwargs):
        # The apps show these in web views: nothing that runs is stored, whoever writes them.
        self.question_html = clean_html(self.question_html)
        self.explanation_html = clean_html(self.explanation_html)
        super().save(*args, **kwargs)

    @property
    def language_code(self) -> str:
        return self.language_id or DEFAULT_LANGUAGE_CODE

    def clean(self):
        super().clean()
        if self.pk and self.translations.filter(language_id=self.language_code).exists():
            raise ValidationError(
                {"language": f"This question has a translation into “{self.language_code}”: delete it first."}
            )


# Who keeps choice ids outside a foreign key (the attempts app's saved answers), so that the database
# cannot protect them: each finder takes choice ids and their question ids and returns those chosen.
# Registered by the app that keeps them (attempts/apps.py), since exams knows nothing of attempts.
CHOSEN_CHOICE_FINDERS: list[Callable[..., set[int]]] = []


class AnswerQuerySet(models.QuerySet):
    def chosen_in_attempts(self) -> list["Answer"]:
        """These choices that an attempt has saved as its answer, in their order.

        A choice deleted and typed again gets a new id, and an answer saved before turns wrong with
        no re-score able to mend it: such choices must stay.
        """
        choices = {answer.pk: answer for answer in self}
        if not choices:
            return []
        question_ids = {answer.question_id for answer in choices.values()}
        chosen = set()
        for find in CHOSEN_CHOICE_FINDERS:
            chosen |= find(choice_ids=set(choices), question_ids=question_ids)
        return [answer for answer in choices.values() if answer.pk in chosen]

    def refuse_deleting_chosen(self) -> None:
        """ValidationError naming each of these choices that an attempt has chosen; they must stay."""
        chosen = self.chosen_in_attempts()
        if chosen:
            raise ValidationError(
                [
                    ValidationError(
                        "The choice “%(choice)s” has been chosen in an attempt, so it cannot be deleted: "
                        "change its text or whether it is correct instead.",
                        code="choice_chosen",
                        params={"choice": answer.label},
                    )
                    for answer in chosen
                ]
            )

    def delete(self):
        self.refuse_deleting_chosen()
        return super().delete()


class Answer(models.Model):
    """One answer choice of a question (the API's `answers`).

    A choice some attempt has chosen cannot be deleted (AnswerQuerySet.chosen_in_attempts): delete()
    and a queryset's delete() raise ValidationError. Editing it keeps its id, so a re-score judges
    the saved answer against the choice as it now is.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    text_html = models.TextField()
    is_correct = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        self.text_html = clean_html(self.text_html)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        Answer.objects.filter(pk=self.pk).refuse_deleting_chosen()
        return super().delete(*args, **kwargs)

    @property
    def label(self) -> str:
        """The choice as staff read it in a message: its text without markup, shortened."""
        return html_to_text(self.text_html, 60) or f"#{self.pk}"


class ExamQuestion(models.Model):
    """A question's place in an exam: its order and section."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="exam_questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="exam_links")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["exam", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["exam", "question"], name="question_once_per_exam")]

    def __str__(self):
        return f"{self.exam} #{self.order}"


class QuestionTranslation(models.Model):
    """The question in another language: the same question, choices and choice ids, its own text.

    Each of the question's choices has its text here (AnswerTranslation), so an answer chosen while
    reading either language is the same Answer. The choices are written with
    exams.services.question_translation_save, which refuses a set that differs from the question's.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="translations")
    language = models.ForeignKey(Language, to_field="code", on_delete=models.PROTECT, related_name="+")
    question_html = models.TextField()
    # The passage in this language, shared by the translations of the questions that share it; none:
    # the apps show the question's own.
    direction = models.ForeignKey(
        Direction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explanation_html = models.TextField(blank=True)

    class Meta:
        ordering = ["question", "language"]
        constraints = [
            models.UniqueConstraint(fields=["question", "language"], name="one_translation_per_language")
        ]

    def __str__(self):
        return f"Q{self.question_id} in {self.language_id}"

    def save(self, *args, **kwargs):
        self.question_html = clean_html(self.question_html)
        self.explanation_html = clean_html(self.explanation_html)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.language_id and self.question_id and self.language_id == self.question.language_code:
            raise ValidationError({"language": "This is the question's own language: choose another."})


class AnswerTranslation(models.Model):
    """One choice's text in a translation's language; the choice itself (its id, is_correct) is shared."""

    translation = models.ForeignKey(QuestionTranslation, on_delete=models.CASCADE, related_name="answers")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="translations")
    text_html = models.TextField()

    class Meta:
        ordering = ["translation", "answer__order", "answer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation", "answer"], name="one_text_per_choice_and_translation"
            )
        ]

    def __str__(self):
        return html_to_text(self.text_html, 60) or f"#{self.answer_id}"

    def save(self, *args, **kwargs):
        self.text_html = clean_html(self.text_html)
        super().save(*args, **kwargs)
