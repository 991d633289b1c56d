from rest_framework import serializers

from exams.models import Exam
from testpress.api.fields import DurationStringField, LocalDateTimeField, UTCMicrosDateTimeField


class AdminExamSerializer(serializers.ModelSerializer):
    created = UTCMicrosDateTimeField(read_only=True)
    modified = UTCMicrosDateTimeField(read_only=True)
    start_date = LocalDateTimeField()
    end_date = LocalDateTimeField(allow_null=True, required=False)
    duration = DurationStringField()
    number_of_questions = serializers.IntegerField(read_only=True)
    total_marks = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Exam
        fields = [
            "id",
            "title",
            "description",
            "created",
            "modified",
            "start_date",
            "end_date",
            "duration",
            "number_of_questions",
            "negative_marks",
            "mark_per_question",
            "pass_percentage",
            "published",
            "enable_ranks",
            "show_score",
            "show_percentile",
            "show_pass_or_fail",
            "total_marks",
        ]
