from collections.abc import Callable
from datetime import datetime, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attempts.models import Attempt, AttemptItem
from attempts.selectors import ItemCounts, standing
from attempts.timing import remaining_time_at, time_taken_at
from exams.choices import Difficulty
from testpress.api.fields import (
    BlankAsNullCharField,
    DurationStringField,
    UTCMicrosDateTimeField,
    compact_number,
)


class AttemptClockField(DurationStringField):
    """A duration read off the attempt clock at the request's `now` (see attempts/timing.py)."""

    def __init__(self, reading: Callable[[Attempt, datetime], timedelta | None], **kwargs):
        self.reading = reading
        super().__init__(source="*", **kwargs)

    def to_representation(self, attempt):
        return super().to_representation(self.reading(attempt, self.context["now"]))


class AdminAttemptSerializer(serializers.ModelSerializer):
    date = UTCMicrosDateTimeField()
    exam_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    email = BlankAsNullCharField(source="user.email")
    name = BlankAsNullCharField(source="user.full_name")
    phone = BlankAsNullCharField(source="user.phone")
    correct_answers_count = serializers.IntegerField(source="correct_count")
    incorrect_answers_count = serializers.IntegerField(source="incorrect_count")
    percentage = serializers.SerializerMethodField()
    time_taken = AttemptClockField(time_taken_at)
    remaining_time = AttemptClockField(remaining_time_at)
    result = serializers.CharField(source="get_result_display")
    state = serializers.CharField(source="get_state_display")
    # Null until the attempt is first started, and until a first answer is saved.
    last_started_time = UTCMicrosDateTimeField(allow_null=True)
    last_answer_updated_time = UTCMicrosDateTimeField(allow_null=True)
    exam_url = serializers.HyperlinkedRelatedField(
        source="exam", view_name="admin-exam-detail", read_only=True
    )
    user_url = serializers.HyperlinkedRelatedField(
        source="user", view_name="admin-user-detail", read_only=True
    )

    class Meta:
        model = Attempt
        fields = [
            "id",
            "date",
            "exam_id",
            "user_id",
            "email",
            "name",
            "phone",
            "correct_answers_count",
            "incorrect_answers_count",
            "unanswered_count",
            "score",
            "percentage",
            "time_taken",
            "remaining_time",
            "result",
            "state",
            "last_started_time",
            "last_answer_updated_time",
            "speed",
            "exam_url",
            "user_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_percentage(self, attempt) -> float:
        return compact_number(attempt.percentage)


class ItemCountsFields(serializers.Serializer):
    """The counts every breakdown row prints, read off the row's `counts` (an ItemCounts).

    Essays still waiting for their marks are in total_count only.
    """

    total_count = serializers.IntegerField(source="counts.total")
    correct_answers_count = serializers.IntegerField(source="counts.correct")
    incorrect_answers_count = serializers.IntegerField(source="counts.incorrect")
    unanswered_count = serializers.IntegerField(source="counts.unanswered")


class WithPartialCountFields(ItemCountsFields):
    partial_correct_answers_count = serializers.SerializerMethodField()

    def get_partial_correct_answers_count(self, row) -> int:
        # Always 0: choice and numerical items are right or wrong, and an essay given part of its
        # marks counts as correct (attempts.services.item_mark_essay). No item is partly correct.
        return 0


class SectionStatsSerializer(ItemCountsFields):
    """A section's row; items outside any section share a row whose name and order are null."""

    name = serializers.CharField(source="section.name", allow_null=True)
    order = serializers.IntegerField(source="section.order", allow_null=True)
    time_taken = DurationStringField(source="counts.time_taken")
    score = serializers.DecimalField(source="counts.score", max_digits=12, decimal_places=2)


class SubjectStatsSerializer(WithPartialCountFields):
    subject_id = serializers.IntegerField(allow_null=True)
    subject_name = serializers.CharField(source="name")
    parent_subject_id = serializers.IntegerField(source="parent_id", allow_null=True)
    is_leaf = serializers.BooleanField()
    score = serializers.DecimalField(source="counts.score", max_digits=12, decimal_places=2)


class DifficultyStatsSerializer(WithPartialCountFields):
    pass


# The key of questions given no difficulty level.
NO_DIFFICULTY = "none"


class DifficultyLevelsField(serializers.DictField):
    """{level: counts}: every level the product knows, with zeros when the attempt has none of it, and
    "none" for questions without a level when there are any."""

    child = DifficultyStatsSerializer()

    def to_representation(self, by_level: dict[str, ItemCounts]):
        levels = {level: by_level.get(level, ItemCounts()) for level in Difficulty.values}
        if "" in by_level:
            levels[NO_DIFFICULTY] = by_level[""]
        return {level: self.child.to_representation({"counts": counts}) for level, counts in levels.items()}


class AdminAttemptDetailSerializer(AdminAttemptSerializer):
    """The list's row plus where the attempt stands and how it went by section, subject and difficulty.

    The view attaches the breakdowns (section_breakdown, subject_breakdown, difficulty_breakdown).
    """

    percentile = serializers.SerializerMethodField()
    username = serializers.CharField(source="user.username")
    sections = SectionStatsSerializer(source="section_breakdown", many=True)
    subject_stats = SubjectStatsSerializer(source="subject_breakdown", many=True)
    difficulty_level_stats = DifficultyLevelsField(source="difficulty_breakdown")

    class Meta(AdminAttemptSerializer.Meta):
        fields = [
            *AdminAttemptSerializer.Meta.fields,
            "percentile",
            "username",
            "sections",
            "subject_stats",
            "difficulty_level_stats",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_percentile(self, attempt) -> float:
        return compact_number(standing(attempt, now=self.context["now"]).percentile)


class AdminUserAnswerSerializer(serializers.ModelSerializer):
    """One item of an attempt as staff review it: the question, the response, and the key."""

    question_id = serializers.IntegerField()
    question_html = serializers.CharField(source="question.question_html")
    type = serializers.CharField(source="question.type")
    selected_answers = serializers.ListField(child=serializers.IntegerField())
    selected_answers_text = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    duration = DurationStringField()
    correct_answers = serializers.SerializerMethodField()

    class Meta:
        model = AttemptItem
        fields = [
            "id",
            "order",
            "question_id",
            "question_html",
            "type",
            "selected_answers",
            "selected_answers_text",
            "short_text",
            "essay_text",
            "review",
            "result",
            "marks",
            "duration",
            "correct_answers",
        ]
        read_only_fields = fields

    def get_selected_answers_text(self, item) -> list[str | None]:
        """The chosen choices' text_html, in the order of selected_answers (null for a deleted choice)."""
        texts = {answer.pk: answer.text_html for answer in item.question.answers.all()}
        return [texts.get(pk) for pk in item.selected_answers]

    def get_result(self, item) -> str | None:
        """correct, incorrect, unanswered or pending once scored; null while the attempt runs."""
        return item.result or None

    def get_correct_answers(self, item) -> list[int]:
        return [answer.pk for answer in item.question.answers.all() if answer.is_correct]
