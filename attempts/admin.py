"""Staff pages over attempts: the read-only attempt list and the engine's actions; and an exam's
result pages (essay marking, analytics), added here to the exam's own admin because they read
attempts, which the exams app knows nothing of.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from exams.admin import ExamAdmin
from exams.models import Exam

from . import outbox
from .admin_pages import exam_analytics_view, exam_essays_view, exam_live_view
from .models import (
    Attempt,
    AttemptItem,
    OfflineSubmission,
    RefusedRequest,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .services import EachOutcome, attempts_end, attempts_rescore


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


@admin.register(RefusedRequest)
class RefusedRequestAdmin(admin.ModelAdmin):
    """Every request refused because its attempt had ended: what a student's app sent and lost.

    Written by the student API as it answers the 409 (attempts/refusals.py); the exam's live page
    shows the latest ten, this list all of them. Read-only.
    """

    list_display = ["at", "user", "exam", "action", "code", "attempt_link"]
    list_select_related = ["user", "exam"]
    list_filter = ["exam", "action", "code", "at"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "at"
    fields = ["at", "user", "exam", "attempt", "action", "code"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="attempt")
    def attempt_link(self, refusal):
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:attempts_attempt_change", args=[refusal.attempt_id]),
            refusal.attempt_id,
        )


class ExamWithResultsAdmin(ExamAdmin):
    """The exam's admin, with its essay-marking, analytics and live pages, and links to the last two."""

    list_display = [*ExamAdmin.list_display, "analytics_link", "live_link"]

    def get_urls(self):
        exam_page = "<path:object_id>/{}/"
        return [
            path(
                exam_page.format("essays"),
                self.admin_site.admin_view(self.essays_view),
                name="exams_exam_essays",
            ),
            path(
                exam_page.format("analytics"),
                self.admin_site.admin_view(self.analytics_view),
                name="exams_exam_analytics",
            ),
            path(
                exam_page.format("live"),
                self.admin_site.admin_view(self.live_view),
                name="exams_exam_live",
            ),
            *super().get_urls(),
        ]

    def essays_view(self, request, object_id):
        return self._exam_page(request, object_id, exam_essays_view)

    def analytics_view(self, request, object_id):
        return self._exam_page(request, object_id, exam_analytics_view)

    def live_view(self, request, object_id):
        return self._exam_page(request, object_id, exam_live_view)

    def _exam_page(self, request, object_id, view):
        exam = self.get_object(request, unquote(object_id))
        if exam is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, exam):
            raise PermissionDenied
        return view(self, request, exam)

    @admin.display(description="analytics")
    def analytics_link(self, exam):
        return format_html(
            '<a href="{}">Analytics</a>', reverse("admin:exams_exam_analytics", args=[exam.pk])
        )

    @admin.display(description="exam day")
    def live_link(self, exam):
        """A link to the live page while the exam is open; its change page links to it at any time."""
        if not exam.is_open(timezone.now()):
            return "–"
        return format_html('<a href="{}">Live</a>', reverse("admin:exams_exam_live", args=[exam.pk]))


admin.site.unregister(Exam)
admin.site.register(Exam, ExamWithResultsAdmin)


# --- The exam webhook ------------------------------------------------------------------------


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The one webhook row. Values set in the environment (EXAM_WEBHOOK_*) win over these fields."""

    list_display = ["__str__", "enabled", "disabled_reason", "overridden"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["url", "secret", "public_key", "enabled", "disabled_reason", "overridden"]
    readonly_fields = ["disabled_reason", "overridden"]

    def has_add_permission(self, request):
        # Asked for the navigation of every admin page: the permission first, the query only for those
        # who hold it.
        return super().has_add_permission(request) and not WebhookEndpoint.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="set in the environment (wins over this page)")
    def overridden(self, obj=None):
        names = ["EXAM_WEBHOOK_URL", "EXAM_WEBHOOK_SECRET", "EXAM_WEBHOOK_PUBLIC_KEY"]
        return ", ".join(name for name in names if getattr(settings, name)) or "nothing"

    def save_model(self, request, obj, form, change):
        # Ticking "enabled" again after a 410 is staff saying the receiver is back.
        if obj.enabled:
            obj.disabled_reason = ""
        super().save_model(request, obj, form, change)


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["attempted_at", "status_code", "ok", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent when, how each try went, and "send again"."""

    list_display = ["webhook_id", "attempt", "kind", "status", "tries", "created_at", "delivered_at"]
    list_filter = ["status", "kind", "created_at"]
    list_select_related = ["attempt__user", "attempt__exam"]
    search_fields = ["webhook_id", "attempt__user__username"]
    raw_id_fields = ["attempt"]
    inlines = [WebhookDeliveryInline]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("attempts.change_webhookevent")

    @admin.action(description="Send selected events again", permissions=["resend"])
    def send_again(self, request, queryset):
        count = outbox.send_again(event_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Queued {count} event(s) to be sent again.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "attempted_at", "status_code", "ok", "duration_ms", "response_excerpt"]
    list_filter = ["ok", "status_code", "attempted_at"]
    list_select_related = ["event"]
    search_fields = ["event__webhook_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OfflineSubmission)
class OfflineSubmissionAdmin(admin.ModelAdmin):
    """Offline exams' submissions as the apps sent them, read-only: pending ones wait for the worker,
    refused ones say why (retakes used up), processed ones link to their attempt."""

    list_display = ["received_at", "user", "exam", "started_on", "completed_on", "status", "tries", "attempt"]
    list_select_related = ["user", "exam", "attempt"]
    list_filter = ["status", "exam", "received_at"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "received_at"
    fields = [
        "user",
        "exam",
        "started_on",
        "completed_on",
        "received_at",
        "status",
        "refusal",
        "tries",
        "next_attempt_at",
        "processed_at",
        "attempt",
        "answers",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
