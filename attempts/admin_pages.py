"""An exam's result pages in the staff console: essay marking, analytics and the exam-day live view.

They are pages of the exam (/admin/exams/exam/<id>/essays/, .../analytics/, .../live/), added to the
exam's admin by attempts/admin.py, and read and write attempts through the selectors and services.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from testpress.admin_charts import bar_chart
from testpress.errors import DomainError

from . import analytics, live
from .selectors import pending_essays
from .services import item_mark_essay

# The live page reloads itself this often (a meta refresh: no script).
LIVE_REFRESH_SECONDS = 10
# Essays listed on one marking page, oldest completed attempt first.
ESSAYS_PER_PAGE = 50
MARKS_INPUT = "marks-"


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
    items = pending_essays(exam=exam)
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
                    except DomainError as exc:
                        refused[item.pk] = " ".join(exc.messages)
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


def exam_live_view(model_admin, request, exam):
    """Exam day at a glance, reloading itself: who is writing, how fast answers come, who lags, and
    the requests refused because their attempt had ended. Five queries whatever the attempts.

    Staff who may view the exam and its attempts (attempts.view_attempt) only.
    """
    if not request.user.has_perm("attempts.view_attempt"):
        raise PermissionDenied
    now = timezone.now()
    minutes = live.saves_per_minute(exam, now=now)
    chart = bar_chart(
        slug="saves-per-minute",
        title=f"Answers saved per minute, last {live.SAVES_MINUTES} minutes",
        x_label="Minute",
        y_label="Answers saved",
        points=[
            (
                f"{timezone.localtime(m.start):%H:%M}",
                m.saves,
                f"{timezone.localtime(m.start):%H:%M}: {m.saves} answer(s) saved",
            )
            for m in minutes
        ],
    )
    least_progress = live.least_progress(exam, now=now)
    for attempt in least_progress:
        attempt.time_left = "untimed" if attempt.remaining is None else _clock(attempt.remaining)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Live: {exam}",
        "opts": model_admin.opts,
        "original": exam,
        "now": now,
        "is_open": exam.is_open(now),
        "has_started": exam.has_started(now),
        "refresh_seconds": LIVE_REFRESH_SECONDS,
        "writing_minutes": int(live.WRITING_WINDOW.total_seconds() // 60),
        "headcount": live.headcount(exam, now=now),
        "saves_chart": chart,
        "saves_total": sum(m.saves for m in minutes),
        "least_progress": least_progress,
        "refusals": live.latest_refusals(exam),
    }
    return TemplateResponse(request, "admin/exams/exam/live.html", context)


def _clock(duration) -> str:
    """0:12:05 for twelve minutes and five seconds (fractions of a second dropped)."""
    seconds = int(duration.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
