"""The student API's exams and attempts: the exam lists and detail (with the user's own attempts),
taking an attempt (start, answer, heartbeat, end) and its review.

Every action reads the request's single clock (request_now) and hands it to the selectors and
services, so the times printed are the ones the decision was made at. An open attempt found
overdue is completed before it is printed or acted on (OverdueFirstMixin).
"""

from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from attempts import errors, services
from attempts.api.overdue import OverdueFirstMixin
from attempts.choices import RefusalCode, RefusedAction
from attempts.disclosure import require_score_shown
from attempts.filtersets import AttemptFilterSet, ExamAttemptFilterSet, ExamFilterSet, ExamListFilterSet
from attempts.models import Attempt, AttemptItem
from attempts.refusals import refusal_record
from attempts.selectors import (
    EXAM_STATES,
    attempt_detail,
    attempt_item,
    attempt_list,
    attempt_questions,
    attempt_readable_by,
    attempt_review,
    attempt_section_questions,
    exam_attempts,
    exam_for_user,
    exam_list,
    exams_in_user_state,
    question_outcomes,
    require_ended,
    require_taker,
    section_stats,
    subject_stats,
    written_attempt_detail,
)
from exams.models import Exam
from testpress.api.clock import RequestNowMixin
from testpress.api.schema import responses

from .serializers import (
    AttemptCreateSerializer,
    AttemptItemSerializer,
    AttemptSerializer,
    ExamDetailSerializer,
    ExamLanguageSerializer,
    ExamSerializer,
    ItemAnswerSerializer,
    ReviewItemSerializer,
    SectionResultSerializer,
    SubjectResultSerializer,
    student_paper,
)

T = TypeVar("T")

EXAM_PAGE = responses({200: ExamSerializer(many=True)}, 400, 401, 404)


@extend_schema_view(
    list=extend_schema(responses=EXAM_PAGE),
    retrieve=extend_schema(responses=responses({200: ExamDetailSerializer}, 401, 403, 404)),
    available=extend_schema(responses=EXAM_PAGE),
    upcoming=extend_schema(responses=EXAM_PAGE),
    history=extend_schema(responses=EXAM_PAGE),
    languages=extend_schema(responses=responses({200: ExamLanguageSerializer(many=True)}, 401, 403, 404)),
)
class ExamViewSet(OverdueFirstMixin, RequestNowMixin, viewsets.ReadOnlyModelViewSet):
    """The exams a student may see, as they see them: with their attempt counts and their attempts."""

    lookup_field = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Exam.objects.none()
        user = self.request.user
        queryset = exam_list(user=user)
        if self.action in EXAM_STATES:
            queryset = exams_in_user_state(queryset, state=self.action, user=user, now=self.now)
        return queryset

    @property
    def filterset_class(self):
        # /exams/available/ and its siblings carry their state in the path, not in ?state=.
        if self.action == "languages":
            return None
        return ExamListFilterSet if self.action == "list" else ExamFilterSet

    def get_serializer_class(self):
        return ExamDetailSerializer if self.action == "retrieve" else ExamSerializer

    def get_object(self):
        # The user's attempts printed below must not show an overdue one as still running.
        self.end_overdue(user=self.request.user, exam__slug=self.kwargs["slug"])
        exam = exam_for_user(user=self.request.user, slug=self.kwargs["slug"])
        self.check_object_permissions(self.request, exam)
        exam.user_attempts = list(exam_attempts(user=self.request.user, exam=exam))
        return exam

    @action(detail=False)
    def available(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @action(detail=False)
    def upcoming(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @action(detail=False)
    def history(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @action(detail=True)
    def languages(self, request, *args, **kwargs):
        """The languages the exam is offered in, as its `languages` prints them (none for an exam in one
        language), to whoever may see the exam (404 and 403 as its detail)."""
        # Two queries: the exam (visibility) and its languages; the page is cut from that list.
        exam = exam_for_user(user=request.user, slug=kwargs["slug"])
        page = self.paginate_queryset(exam.paper_languages)
        return self.get_paginated_response(ExamLanguageSerializer(page, many=True).data)


# What an attempt's actions answer: another student's attempt (403), no such attempt (404), an ended
# attempt (409 attempt_completed).
ACTED_ON = responses({200: AttemptSerializer}, 401, 403, 404, 409)
# A section's start/end: also 403 section_end_not_allowed, 404 section_not_found, 409
# section_not_startable / section_not_running.
SECTION_ACTED_ON = responses({200: SectionResultSerializer}, 401, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(responses=responses({200: AttemptSerializer(many=True)}, 400, 401, 404)),
    retrieve=extend_schema(responses=responses({200: AttemptSerializer}, 401, 403, 404)),
    start=extend_schema(request=None, responses=ACTED_ON),
    heartbeat=extend_schema(request=None, responses=ACTED_ON),
    end=extend_schema(request=None, responses=ACTED_ON),
    questions=extend_schema(
        operation_id="attempts_questions_list",
        responses=responses({200: AttemptItemSerializer(many=True)}, 401, 403, 404, 409),
    ),
    section_start=extend_schema(request=None, responses=SECTION_ACTED_ON),
    section_end=extend_schema(request=None, responses=SECTION_ACTED_ON),
    section_questions=extend_schema(
        responses=responses({200: AttemptItemSerializer(many=True)}, 401, 403, 404, 409),
    ),
    review=extend_schema(responses=responses({200: ReviewItemSerializer(many=True)}, 401, 403, 404)),
    review_subjects=extend_schema(
        responses=responses({200: SubjectResultSerializer(many=True)}, 401, 403, 404)
    ),
)
class AttemptViewSet(OverdueFirstMixin, RequestNowMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AttemptSerializer
    filterset_class = AttemptFilterSet
    lookup_value_regex = r"[0-9]+"
    # The actions a 409 attempt_completed is recorded for (attempts/refusals.py), as what they asked.
    refused_actions = {
        "question": RefusedAction.SAVE,
        "questions": RefusedAction.QUESTIONS,
        "start": RefusedAction.START,
        "end": RefusedAction.END,
        "section_questions": RefusedAction.QUESTIONS,
        "section_start": RefusedAction.START,
        "section_end": RefusedAction.END,
    }

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # Outside ATOMIC_REQUESTS: every write here is a service with its own transaction (all or
        # nothing), and the reads need none. Exam day's saves and heartbeats skip a savepoint pair each.
        return transaction.non_atomic_requests(super().as_view(actions, **initkwargs))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attempt.objects.none()
        if self.action == "list":
            self.end_overdue(user=self.request.user)
        return attempt_list(user=self.request.user)

    def get_object(self):
        attempt = self._detail(int(self.kwargs["pk"]))
        self.check_object_permissions(self.request, attempt)
        return attempt

    def _detail(self, pk: int) -> Attempt:
        return self.as_of_now(lambda: attempt_detail(user=self.request.user, pk=pk))

    def _attempt(self, *, acting: bool = False) -> Attempt:
        """The attempt in the path as of now; `acting` requires it to be the user's own."""
        user, pk = self.request.user, int(self.kwargs["pk"])
        attempt = self.as_of_now(lambda: attempt_readable_by(user=user, pk=pk))
        self.attempt_in_path = attempt
        return require_taker(attempt, user=user) if acting else attempt

    def _act(self, change: Callable[[Attempt], T]) -> T:
        """change(attempt) on the attempt in the path, as the user taking it, without reading it first.

        The service's locked read checks that the user takes it (an overdue one is completed there); when
        it finds nothing, the attempt is read to say why: 404, 403 for another's, or 403 for staff.
        """
        try:
            return change(Attempt(pk=int(self.kwargs["pk"]), user_id=self.request.user.pk))
        except errors.AttemptNotFound:
            self._attempt(acting=True)
            raise

    def handle_exception(self, exc):
        if isinstance(exc, errors.AttemptCompleted):
            self._record_refusal(exc)
        return super().handle_exception(exc)

    def _record_refusal(self, exc: errors.AttemptCompleted) -> None:
        """Record a 409 on an ended attempt for the exam's live page: the student's requests only
        (staff reading an ended attempt's questions are not an app writing past the end)."""
        action = self.refused_actions.get(self.action)
        if action is None:
            return
        attempt = getattr(self, "attempt_in_path", None)
        if attempt is None:  # the actions read it only when refused (_act)
            attempt = attempt_readable_by(user=self.request.user, pk=int(self.kwargs["pk"]))
        if attempt.user_id != self.request.user.pk:
            return
        time_up = isinstance(exc, errors.AttemptTimeUp) or getattr(self, "ended_overdue", False)
        code = RefusalCode.TIME_UP if time_up else RefusalCode.ATTEMPT_COMPLETED
        refusal_record(attempt=attempt, code=code, action=action, at=self.now)

    def _render(self, attempt: Attempt) -> Response:
        """The attempt after an action, printed as its detail is, from the row the service wrote: only
        what the change moved is read (its exam's counts for the user, its standing once completed)."""
        return Response(self.get_serializer(written_attempt_detail(attempt, user=self.request.user)).data)

    @action(detail=True, methods=["put"])
    def start(self, request, *args, **kwargs):
        return self._render(self._act(lambda attempt: services.attempt_start(attempt=attempt, now=self.now)))

    @action(detail=True, methods=["put"])
    def heartbeat(self, request, *args, **kwargs):
        return self._render(
            self._act(lambda attempt: services.attempt_heartbeat(attempt=attempt, now=self.now))
        )

    @action(detail=True, methods=["put"])
    def end(self, request, *args, **kwargs):
        # An overdue attempt ended when its time did: it is completed as timed out (409), not ended here.
        return self._render(
            self._act(
                lambda attempt: services.attempt_end(attempt=attempt, now=self.now, refuse_overdue=True)
            )
        )

    # Sections: the attempt's `sections` print these URLs (absolute, under the request's version).
    SECTION_PATH = r"sections/(?P<section_id>[0-9]+)"

    def _render_section(self, attempt: Attempt) -> Response:
        """The attempt section after an action, as the attempt's `sections` print it."""
        section_id = int(self.kwargs["section_id"])
        row = next(row for row in section_stats(attempt) if row.section and row.section.pk == section_id)
        return Response(SectionResultSerializer(row, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["patch"], url_path=f"{SECTION_PATH}/start", url_name="section-start")
    def section_start(self, request, *args, **kwargs):
        """Start this section: the first not completed, once those before are (409 section_not_startable)."""
        attempt = self._attempt(acting=True)
        section_id = int(kwargs["section_id"])
        return self._render_section(
            services.attempt_section_start(attempt=attempt, section_id=section_id, now=self.now)
        )

    @action(detail=True, methods=["patch"], url_path=f"{SECTION_PATH}/end", url_name="section-end")
    def section_end(self, request, *args, **kwargs):
        """End this running section; early only with allow_preemptive_section_ending (403
        section_end_not_allowed). The last one ends and scores the attempt."""
        attempt = self._attempt(acting=True)
        section_id = int(kwargs["section_id"])
        return self._render_section(
            services.attempt_section_end(attempt=attempt, section_id=section_id, now=self.now)
        )

    @action(
        detail=True,
        url_path=f"{SECTION_PATH}/questions",
        url_name="section-questions",
        filterset_class=None,
    )
    def section_questions(self, request, *args, **kwargs):
        attempt = self._attempt()
        page = self.paginate_queryset(attempt_section_questions(attempt, int(kwargs["section_id"])))
        return self.get_paginated_response(self._items(attempt, page, many=True))

    def _items_page(self, queryset, serializer_class, **context) -> Response:
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context={**self.get_serializer_context(), **context})
        return self.get_paginated_response(serializer.data)

    @action(detail=True, filterset_class=None)
    def questions(self, request, *args, **kwargs):
        attempt = self._attempt()
        page = self.paginate_queryset(attempt_questions(attempt))
        return self.get_paginated_response(self._items(attempt, page, many=True))

    def _items(self, attempt: Attempt, items, *, many: bool = False):
        """Items as the student reads them, their questions from the exam's cached paper."""
        paper = student_paper(attempt.exam, [item.question_id for item in (items if many else [items])])
        context = {**self.get_serializer_context(), "paper": paper}
        return AttemptItemSerializer(items, many=many, context=context).data

    @extend_schema(
        methods=["GET"],
        operation_id="attempts_question_retrieve",
        responses=responses({200: AttemptItemSerializer}, 401, 403, 404),
    )
    @extend_schema(
        methods=["PUT"],
        operation_id="attempts_question_update",
        request=ItemAnswerSerializer,
        responses=responses({200: AttemptItemSerializer}, 400, 401, 403, 404, 409),
    )
    @action(
        detail=True, methods=["get", "put"], url_path=r"questions/(?P<item_id>[0-9]+)", url_name="question"
    )
    def question(self, request, *args, **kwargs):
        """GET an item; PUT saves the fields sent (unknown keys are ignored) and answers the item."""
        item_id = int(kwargs["item_id"])
        if request.method == "GET":
            attempt = self._attempt()
            return Response(self._items(attempt, attempt_item(attempt, item_id)))
        answer = ItemAnswerSerializer(data=request.data, partial=True)
        answer.is_valid(raise_exception=True)
        # The service looks the item up within the locked attempt (404 when it is not there) and
        # answers it as saved: its question prints from the paper, so nothing is read again.
        item = self._act(
            lambda attempt: services.attempt_save_item(
                attempt=attempt, item=AttemptItem(pk=item_id), now=self.now, **answer.validated_data
            )
        )
        return Response(self._items(item.attempt, item))

    @action(detail=True, filterset_class=None)
    def review(self, request, *args, **kwargs):
        attempt = self._attempt()
        page = self.paginate_queryset(attempt_review(attempt))
        outcomes = question_outcomes(
            exam_id=attempt.exam_id, question_ids=[item.question_id for item in page]
        )
        context = {**self.get_serializer_context(), "exam": attempt.exam, "question_outcomes": outcomes}
        return self.get_paginated_response(ReviewItemSerializer(page, many=True, context=context).data)

    @action(detail=True, url_path="review/subjects", url_name="review-subjects", filterset_class=None)
    def review_subjects(self, request, *args, **kwargs):
        """Per-subject totals: they disclose no answer, so they need the end only, not show_answers; they
        disclose marks, so the exam must show scores (403 score_hidden)."""
        attempt = self._attempt()
        require_ended(attempt)
        require_score_shown(attempt)
        return self._items_page(subject_stats(attempt), SubjectResultSerializer)


EXAM_SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The exam's slug.")


@extend_schema_view(
    get=extend_schema(
        parameters=[EXAM_SLUG],
        responses=responses({200: AttemptSerializer(many=True)}, 400, 401, 403, 404),
    ),
    post=extend_schema(
        parameters=[EXAM_SLUG],
        request=AttemptCreateSerializer,
        # Its body is optional ({"access_code"}); one the parsers cannot read is a 415.
        responses=responses({201: AttemptSerializer}, 400, 401, 403, 404, 409, 415),
    ),
)
class ExamAttemptsView(OverdueFirstMixin, RequestNowMixin, generics.ListCreateAPIView):
    """GET exams/<slug>/attempts/: the user's attempts of one exam (?state=Running finds one to resume).

    POST: start a new attempt of it (201 with the attempt); `{"access_code": ...}` opens an exam of
    batches the user is not in (403 wrong_access_code when it is not one of the exam's codes).
    """

    serializer_class = AttemptSerializer
    filterset_class = ExamAttemptFilterSet

    @classmethod
    def as_view(cls, **initkwargs):
        # As AttemptViewSet: the create is a service with its own transaction; the reads need none.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def list(self, request, *args, **kwargs):
        # Before anything is counted: an overdue attempt would still look open. (A create ends the one
        # in its way itself: services.attempt_create.)
        self.end_overdue(user=request.user, exam__slug=kwargs["slug"])
        return super().list(request, *args, **kwargs)

    @cached_property
    def exam(self) -> Exam:
        """The exam in the path, as the user may see it (404 unknown/unpublished, 403 other batches)."""
        return exam_for_user(user=self.request.user, slug=self.kwargs["slug"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attempt.objects.none()
        return exam_attempts(user=self.request.user, exam=self.exam)

    def create(self, request, *args, **kwargs):
        body = AttemptCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        code = body.validated_data.get("access_code") or None
        # The answer prints the exam read again with the new attempt counted (written_attempt_detail).
        exam = exam_for_user(user=request.user, slug=kwargs["slug"], access_code=code, printed=False)
        attempt = services.attempt_create(user=request.user, exam=exam, now=self.now)
        # Just created, so open: printed without reading it again (no standing to compute).
        attempt = written_attempt_detail(attempt, user=request.user)
        return Response(self.get_serializer(attempt).data, status=status.HTTP_201_CREATED)
