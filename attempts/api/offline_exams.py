"""Offline exams in the student API: the whole paper for the app to store (v2.4) and the answers
written without a network, sent in one submission (v3).

These two endpoints live only at their own versions (testpress/urls.py): their paths name the
version, so their views carry no versioning (request.version is None) and print no version-dependent
field.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.utils.dateparse import parse_duration
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from attempts import offline
from attempts.api.v2_1.serializers import QuestionSerializer
from attempts.models import AttemptItem
from attempts.selectors import offline_paper
from exams.models import Direction, Exam, ExamQuestion, Question, Section, Subject
from exams.selectors import visible_exam
from testpress.api.clock import request_now
from testpress.api.fields import BoundedListField, DurationStringField, ScalarIntegerField
from testpress.api.filters import MAX_ID
from testpress.api.parsers import JSONParser
from testpress.api.schema import responses

PROCESSING = "Exam answers are being processed"
# No exam holds more questions than this; a longer list is refused before one answer of it is read.
MAX_OFFLINE_ANSWERS = 1000
# The most time one answer may say was spent on it: a day.
MAX_ANSWER_SECONDS = 24 * 60 * 60

# drf-spectacular names a `pk` path parameter `id`.
EXAM_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The exam's numeric id.")
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1}, description="A page number."),
    OpenApiParameter(
        "per_page",
        {"type": "integer", "minimum": 1},
        description="Exam questions a page holds, from 1; above 100 it is capped.",
    ),
]


# --- The paper (GET /api/v2.4/exams/<id>/questions/) -----------------------------------------


class PaperDirectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Direction
        fields = ["id", "html"]
        read_only_fields = fields


class PaperSubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "name", "parent_id"]
        read_only_fields = fields


class PaperSectionSerializer(serializers.ModelSerializer):
    duration = DurationStringField()

    class Meta:
        model = Section
        fields = ["id", "order", "name", "duration", "cut_off", "exam_id"]
        read_only_fields = fields


class PaperExamQuestionSerializer(serializers.ModelSerializer):
    # The question's place in the attempt (1, 2, …), as an online attempt's items are numbered.
    order = serializers.IntegerField(source="position", read_only=True)

    class Meta:
        model = ExamQuestion
        fields = ["id", "order", "question_id", "section_id", "exam_id"]
        read_only_fields = fields


class PaperQuestionSerializer(QuestionSerializer):
    """A question as the exam values it, with its choices: never which one is right, never the
    explanation. Its direction and subject are named by id: the paper lists them once each."""

    direction = None
    subject = None

    class Meta(QuestionSerializer.Meta):
        fields = [
            "id",
            "direction_id",
            "answers",
            "language",
            "question_html",
            "subject_id",
            "type",
            "marks",
            "negative_marks",
            "translations",
        ]
        read_only_fields = fields


@dataclass
class PaperPage:
    """One page of exam questions and what they name, each named thing once."""

    exam_questions: list[ExamQuestion]

    def _distinct(self, objects) -> list:
        return list({obj.pk: obj for obj in objects if obj is not None}.values())

    @property
    def questions(self) -> list[Question]:
        return [link.question for link in self.exam_questions]

    @property
    def directions(self) -> list[Direction]:
        return self._distinct(question.direction for question in self.questions)

    @property
    def subjects(self) -> list[Subject]:
        return self._distinct(question.subject for question in self.questions)

    @property
    def sections(self) -> list[Section]:
        return self._distinct(link.section for link in self.exam_questions)


class PaperSerializer(serializers.Serializer):
    directions = PaperDirectionSerializer(many=True, read_only=True)
    subjects = PaperSubjectSerializer(many=True, read_only=True)
    sections = PaperSectionSerializer(many=True, read_only=True)
    exam_questions = PaperExamQuestionSerializer(many=True, read_only=True)
    questions = PaperQuestionSerializer(many=True, read_only=True)


PAPER_PAGE = inline_serializer(
    "OfflinePaperPage",
    {
        "count": serializers.IntegerField(help_text="The exam's questions, over every page."),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "per_page": serializers.IntegerField(),
        "results": PaperSerializer(),
    },
)


class OfflinePaperView(generics.GenericAPIView):
    """The paper of an offline exam for the app to store, a page of its questions at a time (their
    directions, subjects and sections with them); no correct answer and no explanation anywhere.

    Who sees the exam's detail may download it, while the exam is open: 404 unknown or unpublished,
    403 another batch's, 403 not_offline_exam, 403 exam_not_open.
    """

    versioning_class = None
    filter_backends = []

    @extend_schema(
        operation_id="offline_exam_paper",
        parameters=[EXAM_ID, *PAGE_PARAMETERS],
        responses=responses({200: PAPER_PAGE}, 401, 403, 404),
    )
    def get(self, request, pk: int):
        now = request_now(request)
        exam = visible_exam(user=request.user, pk=pk)
        links = self.paginate_queryset(offline_paper(exam, now=now))
        start = self.paginator.page.start_index()
        for position, link in enumerate(links, start=start):
            link.position = position
        data = PaperSerializer(PaperPage(links), context={**self.get_serializer_context(), "exam": exam}).data
        return self.get_paginated_response(data)


# --- The submission (POST /api/v3/exams/<id>/submit-offline-exam-answers/) -----------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0, "maximum": MAX_ANSWER_SECONDS},
            {"type": "string", "example": "0:01:30"},
        ],
        "nullable": True,
        "description": 'Time spent on the question: seconds (90), or as durations print ("0:01:30").',
    }
)
class AnswerDurationField(serializers.Field):
    """Seconds as a number, or a duration as the API prints them ("0:01:30"); at most a day."""

    default_error_messages = {
        "invalid": 'Give the time as seconds (90) or as "H:MM:SS" ("0:01:30").',
        "range": f"Give a time from 0 to {MAX_ANSWER_SECONDS} seconds.",
    }

    def to_internal_value(self, data) -> timedelta:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        try:
            if isinstance(data, str):
                value = parse_duration(data.strip()) if len(data) <= 40 else None
            else:
                value = timedelta(seconds=data) if math.isfinite(data) else None
        except (OverflowError, ValueError):
            self.fail("range")
        if value is None:
            self.fail("invalid")
        if not timedelta(0) <= value <= timedelta(seconds=MAX_ANSWER_SECONDS):
            self.fail("range")
        return value

    def to_representation(self, value: timedelta) -> float:
        return value.total_seconds()


class OfflineAnswerSerializer(serializers.Serializer):
    """One question's response: which question of the paper (its exam_questions id), and any of the
    fields an online save takes."""

    exam_question_id = ScalarIntegerField(min_value=1, max_value=MAX_ID)
    duration = AnswerDurationField(required=False, allow_null=True)
    selected_answers = BoundedListField(
        child=ScalarIntegerField(min_value=1, max_value=MAX_ID),
        max_length=AttemptItem.MAX_SELECTED_ANSWERS,
        required=False,
        allow_null=True,
    )
    short_text = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    essay_text = serializers.CharField(
        max_length=AttemptItem.ESSAY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
    )


class OfflineAttemptSerializer(serializers.Serializer):
    started_on = serializers.DateTimeField(help_text="When the student began, with its UTC offset.")
    completed_on = serializers.DateTimeField(help_text="When the student finished, with its UTC offset.")


class OfflineSubmissionSerializer(serializers.Serializer):
    """The body: the sitting's times and an answer per question answered (at most one per question
    of the exam; a question left out is unanswered)."""

    offline_attempt = OfflineAttemptSerializer()
    offline_answers = BoundedListField(child=OfflineAnswerSerializer(), max_length=MAX_OFFLINE_ANSWERS)

    def __init__(self, *args, max_answers: int = MAX_OFFLINE_ANSWERS, **kwargs):
        super().__init__(*args, **kwargs)
        # The exam's question count: a longer list is refused before one of its answers is read.
        self.fields["offline_answers"].max_length = max_answers


ACCEPTED = inline_serializer("OfflineSubmissionAccepted", {"message": serializers.CharField()})


class OfflineSubmissionView(APIView):
    """Answers of an offline exam written without a network: stored, then made into one completed,
    scored attempt by a background task (202 at once; the attempt appears in the student's attempts
    once processed). The same sitting (same started_on) sent again answers the same and makes no
    second attempt.

    400 when completed_on is later than the exam's end date plus its grace, started_on is after
    completed_on or before the exam opened, completed_on is in the future, an answer names a
    question or a choice of another exam, or there are more answers than the exam has questions.
    403 not_offline_exam, retakes_exhausted; 404/403 as the exam detail.
    """

    versioning_class = None
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="offline_exam_submit",
        parameters=[EXAM_ID],
        request=OfflineSubmissionSerializer,
        # A sitting's answers (essays of 100,000 characters each) can outgrow the body limit: 413.
        responses=responses({202: ACCEPTED}, 400, 401, 403, 404, 413, 415),
    )
    def post(self, request, pk: int):
        exam: Exam = visible_exam(user=request.user, pk=pk)
        body = OfflineSubmissionSerializer(data=request.data, max_answers=exam.number_of_questions)
        body.is_valid(raise_exception=True)
        times = body.validated_data["offline_attempt"]
        offline.submission_receive(
            user=request.user,
            exam=exam,
            started_on=times["started_on"],
            completed_on=times["completed_on"],
            answers=body.validated_data["offline_answers"],
            now=request_now(request),
        )
        return Response({"message": PROCESSING}, status=status.HTTP_202_ACCEPTED)
