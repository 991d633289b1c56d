from django.contrib import admin

from .models import Attempt, AttemptItem


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
    list_filter = ["state", "exam"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "date"
    inlines = [AttemptItemInline]
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
