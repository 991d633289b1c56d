"""Staff pages over attempts: the read-only attempt list, engine actions, essay marking, exam analytics.

The essay and analytics pages are an exam's (/admin/exams/exam/<id>/essays/, .../analytics/):
ExamAdmin routes to the views here, which read and write attempts through the selectors and services.
"""

import math
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from rest_framework.exceptions import APIException

from exams.choices import QuestionType

from . import analytics
from .choices import AttemptState, ItemResult
from .models import Attempt, AttemptItem
from .services import EachOutcome, attempts_end, attempts_rescore, item_mark_essay


class AttemptItemInline(admin.TabularInline):
    """What the student answered and what it scored, as the engine recorded it."""

    model = AttemptItem
    fields = [
        "order",
        "question",
        "section",
        "selected_answers",
        "short_text",
        "review",
        "result",
        "marks",
        "duration",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question", "section")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Attempts are written by the attempt engine (start, save, end, scoring), so the admin only shows them.

    Adding one here would skip the retake rules and the question items; editing state or scores would
    leave counts, ranks and items disagreeing. Staff may still delete an attempt.
    """

    list_display = [
        "user",
        "exam",
        "state",
        "score",
        "correct_count",
        "incorrect_count",
        "unanswered_count",
        "date",
    ]
    list_select_related = ["user", "exam"]
    list_filter = ["state", "exam", "date"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "date"
    inlines = [AttemptItemInline]
    actions = ["end_attempts", "rescore_attempts"]
    fieldsets = [
        (None, {"fields": ["exam", "user", "attempt_number", "state", "result"]}),
        (
            "Time",
            {
                "fields": [
                    "date",
                    "last_started_time",
                    "last_answer_updated_time",
                    "clock_checked_at",
                    "time_taken",
                    "completed_at",
                ]
            },
        ),
        (
            "Score",
            {
                "fields": [
                    "total_questions",
                    "total_marks",
                    "score",
                    "percentage",
                    "correct_count",
                    "incorrect_count",
                    "unanswered_count",
                    "pending_count",
                    "accuracy",
                    "speed",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_engine_permission(self, request):
        """Staff who may change attempts may ask the engine to end or re-score them (never edit them)."""
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('change', self.opts)}")

    @admin.action(description="End selected running attempts now", permissions=["engine"])
    def end_attempts(self, request, queryset):
        outcome = attempts_end(pks=list(queryset.values_list("pk", flat=True)))
        note = f"; skipped {len(outcome.skipped)} already completed" if outcome.skipped else ""
        self.message_user(request, f"Ended {len(outcome.done)} running attempt(s){note}.", messages.SUCCESS)
        self._report_failures(request, outcome, "end")

    @admin.action(description="Re-score selected attempts", permissions=["engine"])
    def rescore_attempts(self, request, queryset):
        outcome = attempts_rescore(pks=list(queryset.values_list("pk", flat=True)))
        note = f"; skipped {len(outcome.skipped)} still running (end them first)" if outcome.skipped else ""
        self.message_user(
            request, f"Re-scored {len(outcome.done)} completed attempt(s){note}.", messages.SUCCESS
        )
        self._report_failures(request, outcome, "re-score")

    def _report_failures(self, request, outcome: EachOutcome, verb: str) -> None:
        if not outcome.failed:
            return
        failed = Attempt.objects.filter(pk__in=outcome.failed).select_related("user", "exam").order_by("pk")
        names = "; ".join(f"#{attempt.pk} {attempt}" for attempt in failed)
        self.message_user(
            request,
            f"Could not {verb} {len(outcome.failed)} attempt(s), left as they were: {names}. "
            "The error is in the server log.",
            messages.ERROR,
        )


# --- Essay marking ---------------------------------------------------------------------------

# Essays listed on one marking page, oldest completed attempt first.
ESSAYS_PER_PAGE = 50
MARKS_INPUT = "marks-"


def pending_essays(exam):
    """Essay items of the exam's completed attempts that wait for staff's marks."""
    return (
        AttemptItem.objects.filter(
            attempt__exam=exam,
            attempt__state=AttemptState.COMPLETED,
            question__type=QuestionType.ESSAY,
            result=ItemResult.PENDING,
        )
        .select_related("question", "attempt__user")
        .order_by("attempt__completed_at", "attempt_id", "order", "pk")
    )


def _refusal(exc: APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        detail = [message for messages_ in detail.values() for message in messages_]
    return " ".join(str(message) for message in detail) if isinstance(detail, list) else str(detail)


def _is_item_id(text: str) -> bool:
    # What int() reads as an id: isdigit() alone lets "²" and 5,000 digits through, and int() raises.
    return text.isascii() and text.isdigit() and len(text) <= 19


def exam_essays_view(model_admin, request, exam):
    """List the exam's pending essays with a marks input each; a POST marks every filled input.

    All or nothing: when any marks are refused, no item changes and the page says which and why.
    An empty input leaves that essay for later. A post of more marks than a page shows is refused.
    """
    if not request.user.has_perm("attempts.change_attempt"):
        raise PermissionDenied
    items = pending_essays(exam)
    refused, posted = {}, {}
    if request.method == "POST":
        posted = {
            int(key.removeprefix(MARKS_INPUT)): value.strip()
            for key, value in request.POST.items()
            if key.startswith(MARKS_INPUT) and _is_item_id(key.removeprefix(MARKS_INPUT)) and value.strip()
        }
        # The page shows ESSAYS_PER_PAGE inputs, and each mark re-scores an attempt: a post naming a
        # thousand items would hold the request for seconds.
        if len(posted) > ESSAYS_PER_PAGE:
            model_admin.message_user(
                request,
                f"Mark at most {ESSAYS_PER_PAGE} essays at a time; nothing was saved.",
                messages.ERROR,
            )
        else:
            to_mark = list(items.filter(pk__in=posted))
            with transaction.atomic():
                for item in to_mark:
                    try:
                        item_mark_essay(item=item, marks=posted[item.pk])
                    except APIException as exc:
                        refused[item.pk] = _refusal(exc)
                if refused:
                    transaction.set_rollback(True)
            if not refused:
                gone = len(posted) - len(to_mark)
                if to_mark:
                    model_admin.message_user(request, f"Marked {len(to_mark)} essay(s).", messages.SUCCESS)
                if gone:
                    model_admin.message_user(
                        request,
                        f"{gone} essay(s) were already marked by someone else; left as they are.",
                        messages.WARNING,
                    )
                return HttpResponseRedirect(request.path)
            model_admin.message_user(
                request, "Nothing was saved: correct the marks shown below.", messages.ERROR
            )

    page = list(items[:ESSAYS_PER_PAGE])
    rows = [
        {
            "item": item,
            "worth": exam.question_marks(item.question)[0],
            "input": f"{MARKS_INPUT}{item.pk}",
            "value": posted.get(item.pk, ""),
            "error": refused.get(item.pk),
        }
        for item in page
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Mark essays: {exam}",
        "opts": model_admin.opts,
        "original": exam,
        "rows": rows,
        "pending_count": items.count() if len(page) == ESSAYS_PER_PAGE else len(page),
    }
    return TemplateResponse(request, "admin/exams/exam/essays.html", context)


# --- Analytics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    show_label: bool
    value: str
    tooltip: str

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class BarChart:
    """A bar chart laid out for an inline SVG: the template only places what is computed here."""

    slug: str
    title: str
    x_label: str
    y_label: str
    bars: list[Bar]
    # (y position, text) of each horizontal grid line.
    ticks: list[tuple[float, str]]
    width: int = 640
    height: int = 280
    left: int = 56
    top: int = 20
    bottom: int = 216

    @property
    def right(self) -> int:
        return self.width - 16

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


def bar_chart(*, slug, title, x_label, y_label, points, percent=False) -> BarChart:
    """Lay out `points`, (label, value or None, tooltip) each, as bars from 0 up to a round top.

    Counts: the axis top is the largest count rounded up to a step of a quarter (at least 1).
    Percentages: 0–100. At most a dozen x labels are printed; every bar keeps its tooltip.
    """
    chart = BarChart(slug=slug, title=title, x_label=x_label, y_label=y_label, bars=[], ticks=[])
    largest = max((value or 0 for _, value, _ in points), default=0)
    step = 25 if percent else max(1, math.ceil(largest / 4))
    top = 100 if percent else max(step, step * math.ceil(largest / step))
    plot_height = chart.bottom - chart.top
    band = (chart.right - chart.left) / max(len(points), 1)
    label_every = math.ceil(len(points) / 12) or 1
    for position, (label, value, tooltip) in enumerate(points):
        height = plot_height * float(value or 0) / top
        chart.bars.append(
            Bar(
                x=round(chart.left + position * band + band * 0.1, 2),
                y=round(chart.bottom - height, 2),
                width=round(band * 0.8, 2),
                height=round(height, 2),
                label=label,
                show_label=position % label_every == 0,
                value="" if value is None else f"{value}{'%' if percent else ''}",
                tooltip=tooltip,
            )
        )
    for tick in range(0, top + 1, step):
        chart.ticks.append(
            (round(chart.bottom - plot_height * tick / top, 2), f"{tick}{'%' if percent else ''}")
        )
    return chart


def exam_analytics_view(model_admin, request, exam):
    """Headline numbers and three charts of how the exam went; a fixed number of queries."""
    distribution = analytics.score_distribution(exam)
    days = analytics.attempts_per_day(exam)
    outcomes = analytics.question_outcomes(exam)
    charts = [
        bar_chart(
            slug="score-distribution",
            title="Score distribution (completed attempts)",
            x_label="Percentage scored",
            y_label="Attempts",
            points=[(b.label, b.count, f"{b.label}: {b.count} attempt(s)") for b in distribution],
        ),
        bar_chart(
            slug="attempts-over-time",
            title="Attempts started per day",
            x_label="Day",
            y_label="Attempts",
            points=[
                (d.day.strftime("%d %b"), d.count, f"{d.day:%d %b %Y}: {d.count} attempt(s) started")
                for d in days
            ],
        ),
        bar_chart(
            slug="question-correct-percentage",
            title="Answered correctly, per question",
            x_label="Question (exam order)",
            y_label="Correct",
            percent=True,
            points=[
                (
                    f"{o.order}",
                    o.correct_percentage,
                    f"#{o.order} (Q{o.question_id}): "
                    + (
                        f"{o.correct_percentage}% correct ({o.correct} of {o.judged})"
                        if o.judged
                        else "no completed attempt yet"
                    ),
                )
                for o in outcomes
            ],
        ),
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Analytics: {exam}",
        "opts": model_admin.opts,
        "original": exam,
        "summary": analytics.exam_summary(exam),
        "charts": charts,
    }
    return TemplateResponse(request, "admin/exams/exam/analytics.html", context)
