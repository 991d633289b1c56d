"""Exams and attempts as the v2.1 student API prints them (also served at v2.2, v2.2.1 and v2.3)."""

import hashlib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from pathlib import Path

from django.db.models import Prefetch
from django.db.models.manager import BaseManager
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attempts.choices import AttemptState
from attempts.disclosure import shown_to_student
from attempts.models import Attempt, AttemptItem
from attempts.selectors import (
    NOT_RANKED,
    SectionStats,
    Standing,
    SubjectStats,
    exam_translations,
    load_section_clocks,
    standing,
)
from attempts.timing import remaining_time_at, section_remaining_at, section_time_taken_at, time_taken_at
from exams.models import Answer, Exam, ExamLanguage, Question, QuestionTranslation
from exams.paper import cached_part
from exams.selectors import exam_is_bilingual
from testpress.api.fields import (
    BoundedListField,
    ConstantField,
    DurationStringField,
    LocalDateTimeField,
    ScalarIntegerField,
    UTCMillisDateTimeField,
    compact_number,
)
from testpress.api.filters import MAX_ID
from testpress.api.printing import (
    PlainPrinting,
    absolute_url,
    attribute,
    constant,
    decimal,
    decimal_text,
    link,
    local_time,
    method,
    timedelta_text,
    utc_millis,
)

# The versions whose clients read max_retakes=null as "unlimited"; later ones need -1.
NULL_UNLIMITED_RETAKES_VERSIONS = {"v2.1"}


class ExamLanguageSerializer(PlainPrinting, serializers.ModelSerializer):
    """A language the exam is offered in; `id` is the exam's link to it (one per exam and language)."""

    code = serializers.CharField(source="language.code", read_only=True)
    title = serializers.CharField(source="language.title", read_only=True)
    exam_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ExamLanguage
        fields = ["id", "code", "title", "exam_id"]
        read_only_fields = fields

    printers = {
        "id": attribute("pk"),
        "code": attribute("language.code"),
        "title": attribute("language.title"),
        "exam_id": attribute("exam_id"),
    }


def _languages(serializer, exam: Exam) -> list[dict]:
    return ExamLanguageSerializer(context=serializer.context).printed_many(exam.paper_languages)


class ExamSerializer(PlainPrinting, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="exam-detail", lookup_field="slug")
    course = serializers.CharField(source="course.name", read_only=True)
    start_date = LocalDateTimeField(read_only=True)
    end_date = LocalDateTimeField(read_only=True, allow_null=True)
    duration = DurationStringField()
    number_of_questions = serializers.IntegerField(read_only=True)
    max_retakes = serializers.SerializerMethodField()
    rank_publishing_date = LocalDateTimeField(read_only=True, allow_null=True)
    attempts_url = serializers.HyperlinkedIdentityField(view_name="exam-attempts", lookup_field="slug")
    created = UTCMillisDateTimeField(read_only=True)
    # There is no comments feature: nothing is ever commented on.
    comments_count = ConstantField(0)
    attempts_count = serializers.IntegerField(read_only=True)
    paused_attempts_count = serializers.IntegerField(read_only=True)
    # The selectors attach paper_languages: empty for an exam in one language.
    languages = ExamLanguageSerializer(source="paper_languages", many=True, read_only=True)

    class Meta:
        model = Exam
        fields = [
            "url",
            "id",
            "title",
            "description",
            "course",
            "start_date",
            "end_date",
            "duration",
            "number_of_questions",
            "negative_marks",
            "mark_per_question",
            "template_type",
            "allow_retake",
            "max_retakes",
            "enable_ranks",
            "rank_publishing_date",
            "attempts_url",
            "allow_pdf",
            "created",
            "slug",
            "variable_mark_per_question",
            "show_answers",
            "comments_count",
            "attempts_count",
            "paused_attempts_count",
            "languages",
            "show_score",
            "show_percentile",
            "show_pass_or_fail",
            "disable_attempt_resume",
            "allow_preemptive_section_ending",
            "is_offline_exam",
            "grace_duration_for_offline_submission",
        ]
        read_only_fields = fields

    printers = {
        "url": link("exam-detail", "slug"),
        "id": attribute("pk"),
        "title": attribute("title"),
        "description": attribute("description"),
        "course": attribute("course.name"),
        "start_date": local_time("start_date"),
        "end_date": local_time("end_date"),
        "duration": timedelta_text("duration"),
        "number_of_questions": attribute("number_of_questions"),
        "negative_marks": decimal("negative_marks", max_digits=7),
        "mark_per_question": decimal("mark_per_question", max_digits=7),
        "template_type": attribute("template_type"),
        "allow_retake": attribute("allow_retake"),
        "max_retakes": method("max_retakes"),
        "enable_ranks": attribute("enable_ranks"),
        "rank_publishing_date": local_time("rank_publishing_date"),
        "attempts_url": link("exam-attempts", "slug"),
        "attempts": method("attempts"),
        "allow_pdf": attribute("allow_pdf"),
        "created": utc_millis("created"),
        "slug": attribute("slug"),
        "variable_mark_per_question": attribute("variable_mark_per_question"),
        "show_answers": attribute("show_answers"),
        "comments_count": constant(0),
        "attempts_count": attribute("attempts_count"),
        "paused_attempts_count": attribute("paused_attempts_count"),
        "languages": _languages,
        "show_score": attribute("show_score"),
        "show_percentile": attribute("show_percentile"),
        "show_pass_or_fail": attribute("show_pass_or_fail"),
        "disable_attempt_resume": attribute("disable_attempt_resume"),
        "allow_preemptive_section_ending": attribute("allow_preemptive_section_ending"),
        "is_offline_exam": attribute("is_offline_exam"),
        "grace_duration_for_offline_submission": attribute("grace_duration_for_offline_submission"),
    }

    def get_max_retakes(self, exam: Exam) -> int | None:
        if exam.max_retakes is not None and exam.max_retakes >= 0:
            return exam.max_retakes
        return None if self.context["request"].version in NULL_UNLIMITED_RETAKES_VERSIONS else -1


class NestedExamSerializer(ExamSerializer):
    """The exam inside an attempt: the seed prints it without attempts_url and comments_count."""

    class Meta(ExamSerializer.Meta):
        fields = [f for f in ExamSerializer.Meta.fields if f not in ("attempts_url", "comments_count")]
        read_only_fields = fields


# An attempt as the seed's exam detail lists it, in the seed's order.
SUMMARY_SEED_FIELDS = [
    "url",
    "id",
    "user",
    "date",
    "total_questions",
    "score",
    "review_url",
    "questions_url",
    "percentile",
    "correct_count",
    "incorrect_count",
    "last_started_time",
    "remaining_time",
    "time_taken",
    "state",
    "rank",
    "max_rank",
    "percentage",
    "unanswered_count",
]
# What the mobile clients also read (the spec's "What the mobile clients in the field also need").
CLIENT_EXTRA_FIELDS = ["sections", "speed", "accuracy", "rank_enabled"]

# What a result the exam does not show prints instead (attempts/disclosure.py decides when).
NOT_SHOWN = NOT_RANKED
NOT_SHOWN_SCHEMA = {"type": "string", "enum": [NOT_SHOWN]}
SCORE_NOT_SHOWN = {
    "score": NOT_SHOWN,
    "percentage": NOT_SHOWN,
    "accuracy": NOT_SHOWN,
    "correct_count": None,
    "incorrect_count": None,
    "unanswered_count": None,
}
PERCENTILE_NOT_SHOWN = {"percentile": NOT_SHOWN, "rank": NOT_SHOWN, "max_rank": 0}
SECTION_SCORE_NOT_SHOWN = {"score": None, "correct": None, "incorrect": None, "unanswered": None}
SHOWN_WITH_SCORE = '; "NA" when the exam does not show scores'


class AttemptListSerializer(serializers.ListSerializer):
    """A page of attempts: the section clocks their times are read from, in one query for the page
    (none when no attempt on it is timed by section)."""

    def to_representation(self, data):
        attempts = list(data.all() if isinstance(data, BaseManager) else data)
        load_section_clocks(attempts)
        return super().to_representation(attempts)


class AttemptSummarySerializer(PlainPrinting, serializers.ModelSerializer):
    """An attempt without its exam, as the exam detail lists them."""

    url = serializers.HyperlinkedIdentityField(view_name="attempt-detail")
    user = serializers.CharField(source="user.username", read_only=True)
    date = UTCMillisDateTimeField(read_only=True)
    review_url = serializers.HyperlinkedIdentityField(view_name="attempt-review")
    questions_url = serializers.HyperlinkedIdentityField(view_name="attempt-questions")
    score = serializers.SerializerMethodField()
    percentile = serializers.SerializerMethodField()
    correct_count = serializers.IntegerField(read_only=True, allow_null=True)
    incorrect_count = serializers.IntegerField(read_only=True, allow_null=True)
    unanswered_count = serializers.IntegerField(read_only=True, allow_null=True)
    accuracy = serializers.SerializerMethodField()
    last_started_time = UTCMillisDateTimeField(read_only=True, allow_null=True)
    remaining_time = serializers.SerializerMethodField()
    time_taken = serializers.SerializerMethodField()
    state = serializers.CharField(source="get_state_display", read_only=True)
    rank = serializers.SerializerMethodField()
    max_rank = serializers.SerializerMethodField()
    percentage = serializers.SerializerMethodField()
    # Filled where one attempt is printed (detail, lifecycle actions: the view attaches section_results);
    # lists print [] so that a page costs the same queries whatever its length.
    sections = serializers.SerializerMethodField()
    rank_enabled = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [*SUMMARY_SEED_FIELDS, *CLIENT_EXTRA_FIELDS]
        read_only_fields = fields
        list_serializer_class = AttemptListSerializer

    printers = {
        "url": link("attempt-detail"),
        "id": attribute("pk"),
        "exam": lambda serializer, attempt: NestedExamSerializer(context=serializer.context).printed(
            attempt.exam
        ),
        "user": attribute("user.username"),
        "date": utc_millis("date"),
        "total_questions": attribute("total_questions"),
        "score": method("score"),
        "review_url": link("attempt-review"),
        "questions_url": link("attempt-questions"),
        "percentile": method("percentile"),
        "correct_count": attribute("correct_count"),
        "incorrect_count": attribute("incorrect_count"),
        "last_started_time": utc_millis("last_started_time"),
        "remaining_time": method("remaining_time"),
        "time_taken": method("time_taken"),
        "state": lambda serializer, attempt: attempt.get_state_display(),
        "rank": method("rank"),
        "max_rank": method("max_rank"),
        "percentage": method("percentage"),
        "unanswered_count": attribute("unanswered_count"),
        "commented_questions_count": constant(0),
        "comments_count": constant(0),
        "allow_retake": attribute("exam.allow_retake"),
        "remaining_attempts": method("remaining_attempts"),
        "total_bonus": constant(0),
        "sections": method("sections"),
        "speed": attribute("speed"),
        "accuracy": method("accuracy"),
        "rank_enabled": method("rank_enabled"),
    }

    def _standing(self, attempt: Attempt) -> Standing:
        return standing(attempt, now=self.context["now"])

    def to_representation(self, instance: Attempt) -> dict:
        data = super().to_representation(instance)
        shown = shown_to_student(instance)
        # Pass or fail is not printed anywhere in the student API, so show_pass_or_fail has nothing to hide.
        if not shown.score:
            data.update(SCORE_NOT_SHOWN)
        if not shown.percentile:
            data.update(PERCENTILE_NOT_SHOWN)
        return data

    @extend_schema_field(
        {
            "oneOf": [
                {"type": "string", "format": "decimal", "pattern": r"^-?\d{0,8}(?:\.\d{0,2})?$"},
                NOT_SHOWN_SCHEMA,
            ],
            "description": f"Marks scored{SHOWN_WITH_SCORE}.",
        }
    )
    def get_score(self, attempt: Attempt) -> str:
        return f"{attempt.score:.2f}"

    @extend_schema_field(
        {
            "oneOf": [{"type": "integer", "minimum": 0, "maximum": 100}, NOT_SHOWN_SCHEMA],
            "description": f"Percent of answered questions answered right{SHOWN_WITH_SCORE}.",
        }
    )
    def get_accuracy(self, attempt: Attempt) -> int:
        return attempt.accuracy

    # SectionResultSerializer is defined below.
    @extend_schema_field(lazy_serializer(f"{__name__}.SectionResultSerializer")(many=True))
    def get_sections(self, attempt: Attempt) -> list[dict]:
        rows = getattr(attempt, "section_results", [])
        return SectionResultSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(
        {
            "oneOf": [{"type": "number", "example": 75.5}, NOT_SHOWN_SCHEMA],
            "description": '"NA" when the exam does not show percentiles.',
        }
    )
    def get_percentile(self, attempt: Attempt) -> float:
        return compact_number(self._standing(attempt).percentile)

    def get_remaining_time(self, attempt: Attempt) -> str | None:
        remaining = remaining_time_at(attempt, self.context["now"])
        return None if remaining is None else str(remaining)

    def get_time_taken(self, attempt: Attempt) -> str:
        return str(time_taken_at(attempt, self.context["now"]))

    @extend_schema_field(
        {
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": [NOT_RANKED]}],
            "description": (
                f'"{NOT_RANKED}" until the exam publishes ranks, for an unfinished attempt, and when '
                "the exam does not show percentiles."
            ),
        }
    )
    def get_rank(self, attempt: Attempt) -> int | str:
        return self._standing(attempt).rank

    def get_max_rank(self, attempt: Attempt) -> int:
        return self._standing(attempt).max_rank

    def get_percentage(self, attempt: Attempt) -> str:
        """ "10" for 9.5 or 10.49: the clients print it as a whole percent; "NA" when the exam does not
        show scores."""
        return str(int(attempt.percentage.quantize(Decimal(1), rounding=ROUND_HALF_UP)))

    def get_rank_enabled(self, attempt: Attempt) -> bool:
        return attempt.exam.ranks_published(self.context["now"])


class ExamDetailSerializer(ExamSerializer):
    """One exam, with the requesting user's attempts of it (the view puts them in user_attempts)."""

    attempts = serializers.SerializerMethodField()

    class Meta(ExamSerializer.Meta):
        fields = ExamSerializer.Meta.fields.copy()
        fields.insert(fields.index("attempts_url") + 1, "attempts")
        read_only_fields = fields

    @extend_schema_field(AttemptSummarySerializer(many=True))
    def get_attempts(self, exam: Exam) -> list[dict]:
        return AttemptSummarySerializer(exam.user_attempts, many=True, context=self.context).data


class AttemptSerializer(AttemptSummarySerializer):
    exam = NestedExamSerializer(read_only=True)
    # There are no comments and no bonus marks in this product: always zero.
    commented_questions_count = ConstantField(0)
    comments_count = ConstantField(0)
    total_bonus = ConstantField(0)
    allow_retake = serializers.BooleanField(source="exam.allow_retake", read_only=True)
    remaining_attempts = serializers.SerializerMethodField()

    class Meta(AttemptSummarySerializer.Meta):
        fields = [
            *SUMMARY_SEED_FIELDS[:2],
            "exam",
            *SUMMARY_SEED_FIELDS[2:],
            "commented_questions_count",
            "comments_count",
            "allow_retake",
            "remaining_attempts",
            "total_bonus",
            *CLIENT_EXTRA_FIELDS,
        ]
        read_only_fields = fields

    def get_remaining_attempts(self, attempt: Attempt) -> int | None:
        return attempt.exam.remaining_attempts(attempt.user_attempts_count)


class ItemCountsSerializer(serializers.Serializer):
    """How a group of an attempt's items went (a section, a subject)."""

    total = serializers.IntegerField(source="counts.total")
    correct = serializers.IntegerField(source="counts.correct")
    incorrect = serializers.IntegerField(source="counts.incorrect")
    unanswered = serializers.IntegerField(source="counts.unanswered")
    score = serializers.DecimalField(source="counts.score", max_digits=10, decimal_places=2)


UNSECTIONED = "Other questions"
SECTION_FIELDS = [
    "id",
    "order",
    "name",
    "state",
    "duration",
    "remaining_time",
    "instructions",
    "questions_url",
    "start_url",
    "end_url",
    "total",
    "correct",
    "incorrect",
    "unanswered",
    "score",
    "cut_off",
    "time_taken",
]


def _cut_off(section) -> str | None:
    return None if section.cut_off is None else _CUT_OFF_TEXT(section.cut_off)


_CUT_OFF_TEXT = decimal_text(max_digits=7)


def _of_section(convert, default=None):
    """`convert(section)` for a row of a section; `default` for the row of items outside any."""
    return lambda serializer, row: default if row.section is None else convert(row.section)


class SectionResultSerializer(PlainPrinting, ItemCountsSerializer):
    """One section of an attempt; items outside any section form a last row with null id and order.

    Its counts and score print null when the exam does not show scores. Timed by section, its state,
    time and remaining time are its own clock's; otherwise the section is a group of the attempt's
    questions: its state is the attempt's, its remaining time null, its time the sum of its items'.
    """

    correct = serializers.IntegerField(source="counts.correct", allow_null=True)
    incorrect = serializers.IntegerField(source="counts.incorrect", allow_null=True)
    unanswered = serializers.IntegerField(source="counts.unanswered", allow_null=True)
    score = serializers.DecimalField(source="counts.score", max_digits=10, decimal_places=2, allow_null=True)
    cut_off = serializers.DecimalField(
        source="section.cut_off", max_digits=7, decimal_places=2, default=None, allow_null=True
    )

    id = serializers.IntegerField(source="section.pk", default=None, allow_null=True)
    order = serializers.IntegerField(
        source="position", allow_null=True, help_text="0-based: the section's place in the exam's order."
    )
    name = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    duration = DurationStringField(source="section.duration", default=None)
    time_taken = serializers.SerializerMethodField()
    remaining_time = serializers.SerializerMethodField()
    instructions = serializers.CharField(source="section.instructions", default="")
    questions_url = serializers.SerializerMethodField()
    start_url = serializers.SerializerMethodField()
    end_url = serializers.SerializerMethodField()

    class Meta:
        fields = SECTION_FIELDS

    printers = {
        "id": _of_section(attrgetter("pk")),
        "order": attribute("position"),
        "name": method("name"),
        "state": method("state"),
        "duration": _of_section(lambda section: None if section.duration is None else str(section.duration)),
        "remaining_time": method("remaining_time"),
        "instructions": _of_section(attrgetter("instructions"), default=""),
        "questions_url": method("questions_url"),
        "start_url": method("start_url"),
        "end_url": method("end_url"),
        "total": attribute("counts.total"),
        "correct": attribute("counts.correct"),
        "incorrect": attribute("counts.incorrect"),
        "unanswered": attribute("counts.unanswered"),
        "score": decimal("counts.score", max_digits=10),
        "cut_off": _of_section(_cut_off),
        "time_taken": method("time_taken"),
    }

    def get_name(self, row: SectionStats) -> str:
        return row.section.name if row.section else UNSECTIONED

    @extend_schema_field(
        {"type": "string", "enum": [label for _, label in AttemptState.choices], "example": "Running"}
    )
    def get_state(self, row: SectionStats) -> str:
        return (row.clock or row.attempt).get_state_display()

    @extend_schema_field(DurationStringField())
    def get_time_taken(self, row: SectionStats) -> str:
        if row.clock is None:
            return str(row.counts.time_taken)
        return str(section_time_taken_at(row.clock, row.attempt.exam, self.context["now"]))

    @extend_schema_field(DurationStringField(allow_null=True))
    def get_remaining_time(self, row: SectionStats) -> str | None:
        if row.clock is None:
            return None
        return str(section_remaining_at(row.clock, row.attempt.exam, self.context["now"]))

    def _url(self, row: SectionStats, name: str) -> str | None:
        if row.section is None:
            return None
        return absolute_url(
            self.context, f"attempt-section-{name}", pk=row.attempt.pk, section_id=row.section.pk
        )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_questions_url(self, row: SectionStats) -> str | None:
        return self._url(row, "questions")

    @extend_schema_field(serializers.URLField(allow_null=True, help_text="PATCH starts the section."))
    def get_start_url(self, row: SectionStats) -> str | None:
        return self._url(row, "start")

    @extend_schema_field(serializers.URLField(allow_null=True, help_text="PATCH ends the section."))
    def get_end_url(self, row: SectionStats) -> str | None:
        return self._url(row, "end")

    def to_representation(self, instance: SectionStats):
        data = super().to_representation(instance)
        if not shown_to_student(instance.attempt).score:
            data.update(SECTION_SCORE_NOT_SHOWN)
        return data


class SubjectResultSerializer(ItemCountsSerializer):
    id = serializers.IntegerField(source="subject_id", allow_null=True)
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    leaf = serializers.BooleanField(source="is_leaf")

    def to_representation(self, instance: SubjectStats):
        data = super().to_representation(instance)
        return {key: data[key] for key in SUBJECT_FIELDS}


SUBJECT_FIELDS = ["id", "name", "total", "correct", "unanswered", "incorrect", "parent", "leaf", "score"]


# --- Items: what the student answers from, and the review after the end -----------------------


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ["id", "text_html"]
        read_only_fields = fields


class DisclosedChoiceSerializer(ChoiceSerializer):
    class Meta(ChoiceSerializer.Meta):
        fields = [*ChoiceSerializer.Meta.fields, "is_correct"]
        read_only_fields = fields


# A question's own fields in the order the items print them, and the review's (with the explanation).
QUESTION_FIELDS = ["question_html", "direction", "answers", "subject", "type", "marks", "negative_marks"]
REVIEW_QUESTION_FIELDS = [*QUESTION_FIELDS[:4], "explanation_html", *QUESTION_FIELDS[4:]]


class QuestionWorthMixin:
    """What a question is worth in this attempt's exam, as marks and negative_marks print it."""

    def _worth(self, question: Question) -> tuple:
        return self.context["exam"].question_marks(question)

    def get_marks(self, question: Question) -> str:
        return f"{self._worth(question)[0]:.2f}"

    def get_negative_marks(self, question: Question) -> str:
        return f"{self._worth(question)[1]:.2f}"


class TranslationSerializer(QuestionWorthMixin, serializers.ModelSerializer):
    """The question in another language: its own text, the question's choices (same ids) in that
    language, and what the question is (type, subject, marks)."""

    language = serializers.CharField(source="language_id", read_only=True)
    direction = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()
    subject = serializers.CharField(
        source="question.subject.name", default=None, read_only=True, allow_null=True
    )
    type = serializers.CharField(source="question.type", read_only=True)
    marks = serializers.SerializerMethodField()
    negative_marks = serializers.SerializerMethodField()
    choice_serializer = ChoiceSerializer

    class Meta:
        model = QuestionTranslation
        fields = ["language", *QUESTION_FIELDS]
        read_only_fields = fields

    def _worth(self, translation: QuestionTranslation) -> tuple:
        return super()._worth(translation.question)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_direction(self, translation: QuestionTranslation) -> str | None:
        """The passage in this language; without one, the question's own (a passage is better than none)."""
        direction = translation.direction or translation.question.direction
        return direction.html if direction else None

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_answers(self, translation: QuestionTranslation) -> list[dict]:
        """The question's choices, in its order and with its ids, each with its text in this language
        (the question's own text for a choice the translation lacks)."""
        texts = {row.answer_id: row.text_html for row in translation.answers.all()}
        choices = translation.question.answers.all()
        return [
            {**row, "text_html": texts.get(row["id"], row["text_html"])}
            for row in self.choice_serializer(choices, many=True).data
        ]


class ReviewTranslationSerializer(TranslationSerializer):
    choice_serializer = DisclosedChoiceSerializer

    class Meta(TranslationSerializer.Meta):
        fields = ["language", *REVIEW_QUESTION_FIELDS]
        read_only_fields = fields

    @extend_schema_field(DisclosedChoiceSerializer(many=True))
    def get_answers(self, translation: QuestionTranslation) -> list[dict]:
        return super().get_answers(translation)


class QuestionSerializer(QuestionWorthMixin, serializers.ModelSerializer):
    """A question as this attempt's exam values it; never says which choice is right.

    `translations`: the question in the exam's other languages (student_items attaches them).
    """

    direction = serializers.CharField(source="direction.html", default=None, read_only=True, allow_null=True)
    answers = ChoiceSerializer(many=True, read_only=True)
    subject = serializers.CharField(source="subject.name", default=None, read_only=True, allow_null=True)
    marks = serializers.SerializerMethodField()
    negative_marks = serializers.SerializerMethodField()
    language = serializers.CharField(source="language_code", read_only=True)
    translations = TranslationSerializer(source="exam_translations", many=True, read_only=True)

    class Meta:
        model = Question
        fields = [*QUESTION_FIELDS, "language", "translations"]
        read_only_fields = fields


class ReviewQuestionSerializer(QuestionSerializer):
    answers = DisclosedChoiceSerializer(many=True, read_only=True)
    translations = ReviewTranslationSerializer(source="exam_translations", many=True, read_only=True)

    class Meta(QuestionSerializer.Meta):
        fields = ["id", *REVIEW_QUESTION_FIELDS, "language", "translations"]
        read_only_fields = fields


class AttemptItemSerializer(PlainPrinting, serializers.ModelSerializer):
    """An item as the student answers it; its url is the one a client PUTs the answer to."""

    url = serializers.SerializerMethodField()
    # From the exam's cached paper (student_paper): the view puts the page's questions in context["paper"].
    question = serializers.SerializerMethodField()
    duration = DurationStringField()
    selected_answers = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = AttemptItem
        fields = [
            "id",
            "url",
            "question",
            "duration",
            "selected_answers",
            "short_text",
            "essay_text",
            "review",
        ]
        read_only_fields = fields

    printers = {
        "id": attribute("pk"),
        "url": method("url"),
        "question": method("question"),
        "duration": timedelta_text("duration"),
        "selected_answers": lambda serializer, item: [int(choice) for choice in item.selected_answers],
        "short_text": attribute("short_text"),
        "essay_text": attribute("essay_text"),
        "review": attribute("review"),
    }

    def get_url(self, item: AttemptItem) -> str:
        return absolute_url(self.context, "attempt-question", pk=item.attempt_id, item_id=item.pk)

    @extend_schema_field(QuestionSerializer)
    def get_question(self, item: AttemptItem) -> dict:
        return self.context["paper"][item.question_id]


class ReviewItemSerializer(AttemptItemSerializer):
    """An item of an ended attempt with the answers disclosed; the view gives question_outcomes a page."""

    question = ReviewQuestionSerializer(read_only=True)
    marks = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, allow_null=True)
    correct_percentage = serializers.SerializerMethodField()

    class Meta(AttemptItemSerializer.Meta):
        fields = [
            "id",
            "url",
            "order",
            "question",
            "result",
            "marks",
            "duration",
            "selected_answers",
            "short_text",
            "essay_text",
            "review",
            "correct_percentage",
        ]
        read_only_fields = fields

    printers = {
        **AttemptItemSerializer.printers,
        "order": attribute("order"),
        "question": lambda serializer, item: ReviewQuestionSerializer(
            context=serializer.context
        ).to_representation(item.question),
        "result": attribute("result"),
        "marks": decimal("marks", max_digits=8),
        "correct_percentage": method("correct_percentage"),
    }

    @extend_schema_field({"type": "number", "minimum": 0, "maximum": 100})
    def get_correct_percentage(self, item: AttemptItem) -> int | float:
        outcome = self.context["question_outcomes"].get(item.question_id)
        return compact_number(outcome and outcome.correct_percentage or 0)


def student_paper(exam: Exam, question_ids: Iterable[int]) -> dict[int, dict]:
    """The questions of `question_ids` as QuestionSerializer prints them for `exam`, by id.

    The exam's questions are rendered once and kept in the cache under the exam's content stamp
    (exams/paper.py); a question the exam no longer holds (an item of an attempt begun before staff
    removed it) is rendered from the database. The part's name carries a digest of this module, so a
    deploy that changes how questions print never serves what the previous code rendered.
    """
    paper = cached_part(
        exam.pk,
        f"student-questions-{PRINT_FORMAT}",
        lambda: _render(exam, Question.objects.filter(exam_links__exam=exam)),
    )
    missing = set(question_ids) - paper.keys()
    if missing:
        paper = {**paper, **_render(exam, Question.objects.filter(pk__in=missing))}
    return paper


def _render(exam: Exam, questions) -> dict[int, dict]:
    bilingual = exam_is_bilingual(exam)
    questions = list(
        questions.select_related("direction", "subject").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("order", "id")),
            exam_translations(exam.pk, bilingual=bilingual),
        )
    )
    rendered = QuestionSerializer(questions, many=True, context={"exam": exam}).data
    return {question.pk: _plain(data) for question, data in zip(questions, rendered, strict=True)}


def _plain(value):
    """DRF's ReturnDict/OrderedDict as plain dicts and lists: smaller to pickle into the cache."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


PRINT_FORMAT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


class ItemAnswerSerializer(serializers.Serializer):
    """A PUT to an item: each field optional, only those sent change; other keys are ignored.

    Types are checked here; whether the values fit the question (its choices, a number) is the
    service's rule.
    """

    selected_answers = BoundedListField(
        child=ScalarIntegerField(min_value=1, max_value=MAX_ID),
        max_length=AttemptItem.MAX_SELECTED_ANSWERS,
        required=False,
    )
    review = serializers.BooleanField(required=False)
    short_text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    essay_text = serializers.CharField(
        max_length=AttemptItem.ESSAY_MAX_LENGTH, required=False, allow_blank=True, trim_whitespace=False
    )


class AttemptCreateSerializer(serializers.Serializer):
    """A POST to an exam's attempts_url: an empty body, or the access code that opens the exam."""

    access_code = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Opens an exam limited to batches the student is not in; blank is the same as none.",
    )
