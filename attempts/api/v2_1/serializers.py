"""Attempts as the v2.1 student API prints them (also served at v2.2, v2.2.1 and v2.3)."""

from decimal import ROUND_HALF_UP, Decimal

from rest_framework import serializers
from rest_framework.reverse import reverse

from attempts.models import Attempt
from attempts.selectors import Standing, standing
from attempts.timing import remaining_time_at, time_taken_at
from exams.api.v2_1.serializers import ConstantField, NestedExamSerializer
from testpress.api.fields import UTCMillisDateTimeField, compact_number

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


class AttemptSummarySerializer(serializers.ModelSerializer):
    """An attempt without its exam, as the exam detail lists them."""

    url = serializers.HyperlinkedIdentityField(view_name="attempt-detail")
    user = serializers.CharField(source="user.username", read_only=True)
    date = UTCMillisDateTimeField(read_only=True)
    # The review and questions routes belong to the attempt lifecycle: their paths sit under the attempt's.
    review_url = serializers.SerializerMethodField()
    questions_url = serializers.SerializerMethodField()
    percentile = serializers.SerializerMethodField()
    last_started_time = UTCMillisDateTimeField(read_only=True)
    remaining_time = serializers.SerializerMethodField()
    time_taken = serializers.SerializerMethodField()
    state = serializers.CharField(source="get_state_display", read_only=True)
    rank = serializers.SerializerMethodField()
    max_rank = serializers.SerializerMethodField()
    percentage = serializers.SerializerMethodField()
    # Per-section results are not computed for the student API yet; the clients accept an empty list.
    sections = ConstantField([])
    rank_enabled = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [*SUMMARY_SEED_FIELDS, *CLIENT_EXTRA_FIELDS]
        read_only_fields = fields

    def _standing(self, attempt: Attempt) -> Standing:
        return standing(attempt, now=self.context["now"])

    def _link(self, attempt: Attempt, path: str) -> str:
        return reverse("attempt-detail", kwargs={"pk": attempt.pk}, request=self.context["request"]) + path

    def get_review_url(self, attempt: Attempt) -> str:
        return self._link(attempt, "review/")

    def get_questions_url(self, attempt: Attempt) -> str:
        return self._link(attempt, "questions/")

    def get_percentile(self, attempt: Attempt) -> float:
        return compact_number(self._standing(attempt).percentile)

    def get_remaining_time(self, attempt: Attempt) -> str | None:
        remaining = remaining_time_at(attempt, self.context["now"])
        return None if remaining is None else str(remaining)

    def get_time_taken(self, attempt: Attempt) -> str:
        return str(time_taken_at(attempt, self.context["now"]))

    def get_rank(self, attempt: Attempt) -> int | str:
        return self._standing(attempt).rank

    def get_max_rank(self, attempt: Attempt) -> int:
        return self._standing(attempt).max_rank

    def get_percentage(self, attempt: Attempt) -> str:
        """ "10" for 9.5 or 10.49: the clients print it as a whole percent."""
        return str(int(attempt.percentage.quantize(Decimal(1), rounding=ROUND_HALF_UP)))

    def get_rank_enabled(self, attempt: Attempt) -> bool:
        return attempt.exam.ranks_published(self.context["now"])


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
