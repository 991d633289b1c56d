"""Exams as the v2.1 student API prints them (also served at v2.2, v2.2.1 and v2.3)."""

import copy

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exams.models import Exam
from testpress.api.fields import DurationStringField, LocalDateTimeField, UTCMillisDateTimeField

# The versions whose clients read max_retakes=null as "unlimited"; later ones need -1.
NULL_UNLIMITED_RETAKES_VERSIONS = {"v2.1"}


class ConstantField(serializers.Field):
    """A key the clients expect that this server always answers the same way."""

    def __init__(self, value, **kwargs):
        self.value = value
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, instance):
        return copy.copy(self.value)


class ConstantFieldSchema(OpenApiSerializerFieldExtension):
    """The constant's own JSON type: 0 is an integer, [] an empty array."""

    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        value = self.target.value
        if isinstance(value, list):
            return {"type": "array", "items": {}, "maxItems": len(value), "example": value}
        if isinstance(value, int):
            return {"type": "integer", "minimum": value, "maximum": value, "example": value}
        return {"type": "string", "example": value}


class ExamSerializer(serializers.ModelSerializer):
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
    # Exams are in one language; the clients only need the key.
    languages = ConstantField([])

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
        ]
        read_only_fields = fields

    def get_max_retakes(self, exam: Exam) -> int | None:
        if exam.max_retakes is not None and exam.max_retakes >= 0:
            return exam.max_retakes
        return None if self.context["request"].version in NULL_UNLIMITED_RETAKES_VERSIONS else -1


class NestedExamSerializer(ExamSerializer):
    """The exam inside an attempt: the seed prints it without attempts_url and comments_count."""

    class Meta(ExamSerializer.Meta):
        fields = [f for f in ExamSerializer.Meta.fields if f not in ("attempts_url", "comments_count")]
        read_only_fields = fields


class ExamDetailSerializer(ExamSerializer):
    """One exam, with the requesting user's attempts of it (the view puts them in user_attempts)."""

    attempts = serializers.SerializerMethodField()

    class Meta(ExamSerializer.Meta):
        fields = ExamSerializer.Meta.fields.copy()
        fields.insert(fields.index("attempts_url") + 1, "attempts")
        read_only_fields = fields

    @extend_schema_field(lazy_serializer("attempts.api.v2_1.serializers.AttemptSummarySerializer")(many=True))
    def get_attempts(self, exam: Exam) -> list[dict]:
        # Imported here: the attempt serializers nest ExamSerializer, a top-level import would be circular.
        from attempts.api.v2_1.serializers import AttemptSummarySerializer

        return AttemptSummarySerializer(exam.user_attempts, many=True, context=self.context).data
