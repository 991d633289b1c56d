from collections.abc import Callable
from datetime import datetime, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attempts.models import Attempt
from attempts.timing import remaining_time_at, time_taken_at
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
    last_started_time = UTCMicrosDateTimeField()
    last_answer_updated_time = UTCMicrosDateTimeField()
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
