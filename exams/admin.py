from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse

from accounts.admin import BatchAdmin
from accounts.models import Batch
from testpress.admin_columns import CountColumnsMixin, count_of
from testpress.resources import SpreadsheetAdminMixin

from .models import AccessCode, Answer, Course, Direction, Exam, ExamQuestion, Question, Section, Subject
from .resources import QuestionResource
from .selectors import exams_left_without_batches, link_subject_tree
from .services import exam_add_questions, exam_publish


class SubjectPathFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        choices = [(pk, str(subject)) for pk, subject in link_subject_tree([]).items()]
        return sorted(choices, key=lambda choice: choice[1].lower())


class SubjectTreeChangeList(ChangeList):
    """A changelist whose rows show subjects by their path at a fixed number of queries."""

    def get_results(self, request):
        super().get_results(request)
        link_subject_tree([self.model_admin.subject_of(row) for row in self.result_list])


@admin.register(Course)
class CourseAdmin(CountColumnsMixin, admin.ModelAdmin):
    list_display = ["name", count_of("exams", "exams"), "created"]
    search_fields = ["name"]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "parent"]
    search_fields = ["name", "parent__name"]
    autocomplete_fields = ["parent"]

    def get_changelist(self, request, **kwargs):
        return SubjectTreeChangeList

    def subject_of(self, subject):
        return subject


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["order", "name", "duration", "cut_off"]
    extra = 0


class AccessCodeInline(admin.TabularInline):
    model = AccessCode
    extra = 0
    fields = ["code", "created"]
    readonly_fields = ["created"]


class ExamQuestionFormSet(BaseInlineFormSet):
    def clean(self):
        """A published exam is saved only with the question rows of this very form fit to be taken.

        The exam form has already put the posted `published` on self.instance, and the rows kept
        (not deleted) are the questions the exam will hold once saved.
        """
        super().clean()
        if not self.instance.published or any(form.errors for form in self.forms):
            return
        kept = [
            form.cleaned_data["question"].pk
            for form in self.forms
            if form.cleaned_data.get("question") and not self._should_delete_form(form)
        ]
        problems = self.instance.publication_problems(question_ids=kept)
        if problems:
            raise ValidationError(["This exam cannot be published yet.", *problems])


class ExamQuestionInline(admin.TabularInline):
    model = ExamQuestion
    formset = ExamQuestionFormSet
    fields = ["order", "question", "section"]
    autocomplete_fields = ["question"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            # Only the sections of the exam being edited; a new exam has none saved yet.
            exam_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                Section.objects.filter(exam_id=exam_id) if exam_id else Section.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ExamForm(forms.ModelForm):
    def clean(self):
        """Batches chosen restrict the exam; unticking the restriction while keeping them is refused.

        Unticked with batches kept, the exam would open to everybody once they are deleted.
        """
        cleaned = super().clean()
        if cleaned.get("batches") and not cleaned.get("restricted_to_batches"):
            if self.initial.get("restricted_to_batches"):
                self.add_error(
                    "restricted_to_batches",
                    "An exam with batches is only for them: keep this ticked, or remove the batches to "
                    "open the exam to every student.",
                )
            else:
                cleaned["restricted_to_batches"] = True
        return cleaned


@admin.register(Exam)
class ExamAdmin(CountColumnsMixin, admin.ModelAdmin):
    form = ExamForm
    list_display = [
        "title",
        "course",
        "start_date",
        "end_date",
        "published",
        count_of("exam_questions", "questions"),
    ]
    list_select_related = ["course"]
    actions = ["publish_exams"]
    list_filter = ["course", "published", "start_date", "end_date"]
    search_fields = ["title"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["course"]
    filter_horizontal = ["batches"]
    readonly_fields = ["created", "modified"]
    inlines = [SectionInline, ExamQuestionInline, AccessCodeInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "course", "description", "published"]}),
        ("Who may take it", {"fields": ["restricted_to_batches", "batches"]}),
        (
            "Schedule",
            {
                "fields": [
                    "start_date",
                    "end_date",
                    "duration",
                    "disable_attempt_resume",
                    "allow_preemptive_section_ending",
                ]
            },
        ),
        (
            "Marking",
            {
                "fields": [
                    "mark_per_question",
                    "negative_marks",
                    "variable_mark_per_question",
                    "pass_percentage",
                ]
            },
        ),
        (
            "Retakes and ranks",
            {"fields": ["allow_retake", "max_retakes", "enable_ranks", "rank_publishing_date"]},
        ),
        (
            "What students see",
            {
                "fields": [
                    "template_type",
                    "show_answers",
                    "show_score",
                    "show_percentile",
                    "show_pass_or_fail",
                    "allow_pdf",
                ]
            },
        ),
        ("Record", {"fields": ["created", "modified"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        exam = form.instance
        if exam.restricted_to_batches and not exam.batches.exists():
            self.message_user(
                request,
                f"“{exam}” is only for batches but has none: no student can see it. Choose its batches, "
                "or untick “Only for these batches” to open it to every student.",
                messages.WARNING,
            )

    @admin.action(description="Publish selected exams", permissions=["change"])
    def publish_exams(self, request, queryset):
        published = 0
        for exam in queryset:
            try:
                exam_publish(exam=exam)
            except ValidationError as exc:
                self.message_user(
                    request, f"“{exam}” was not published: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                published += 1
        if published:
            self.message_user(request, f"Published {published} exam(s).", messages.SUCCESS)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "exam", "order", "duration", "cut_off"]
    list_select_related = ["exam"]
    search_fields = ["name", "exam__title"]
    autocomplete_fields = ["exam"]


@admin.register(Direction)
class DirectionAdmin(CountColumnsMixin, admin.ModelAdmin):
    list_display = ["__str__", count_of("question", "questions")]
    search_fields = ["html"]


class AnswerFormSet(BaseInlineFormSet):
    def clean(self):
        """A choice an attempt has chosen is kept: ticking its Delete box is refused, naming it."""
        super().clean()
        deleting = [
            form.instance.pk for form in self.forms if form.instance.pk and self._should_delete_form(form)
        ]
        if deleting:
            Answer.objects.filter(pk__in=deleting).refuse_deleting_chosen()


class AnswerInline(admin.TabularInline):
    model = Answer
    formset = AnswerFormSet
    fields = ["order", "text_html", "is_correct"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(SpreadsheetAdminMixin, admin.ModelAdmin):
    resource_classes = [QuestionResource]
    list_display = ["__str__", "type", "subject", "difficulty", "marks"]
    list_select_related = ["subject"]
    list_filter = ["type", ("subject", SubjectPathFilter), "difficulty"]
    search_fields = ["question_html"]
    autocomplete_fields = ["subject", "direction"]
    inlines = [AnswerInline]
    fieldsets = [
        (
            None,
            {"fields": ["type", "subject", "difficulty", "direction", "question_html", "explanation_html"]},
        ),
        (
            "Marks (used when the exam has variable marks per question)",
            {"fields": ["marks", "negative_marks"]},
        ),
        ("Numerical questions", {"fields": ["numerical_answer", "numerical_tolerance"]}),
    ]
    actions = ["add_to_exam"]

    def get_changelist(self, request, **kwargs):
        return SubjectTreeChangeList

    def subject_of(self, question):
        return question.subject

    @admin.action(description="Add selected questions to an exam…", permissions=["view"])
    def add_to_exam(self, request, queryset):
        """First post (from the changelist): ask for the exam. Second post (`apply`): add and go back."""
        form = AddToExamForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            exam = form.cleaned_data["exam"]
            if not self.admin_site.get_model_admin(Exam).has_change_permission(request, exam):
                raise PermissionDenied
            chosen = list(queryset)
            try:
                added = exam_add_questions(exam=exam, questions=chosen, section=form.cleaned_data["section"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                skipped = len(chosen) - added
                note = f"; {skipped} it already held were skipped" if skipped else ""
                self.message_user(request, f"Added {added} question(s) to “{exam}”{note}.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Add questions to an exam",
            "opts": self.opts,
            "form": form,
            "questions": queryset[:ADD_TO_EXAM_PREVIEW],
            "question_count": queryset.count(),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/exams/question/add_to_exam.html", context)


# How many of the chosen questions the "add to an exam" page lists by name.
ADD_TO_EXAM_PREVIEW = 20


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, section):
        return f"{section.exam} — {section}"


class AddToExamForm(forms.Form):
    exam = forms.ModelChoiceField(queryset=Exam.objects.order_by("title", "pk"))
    section = SectionChoiceField(
        queryset=Section.objects.select_related("exam").order_by("exam__title", "exam_id", "order", "pk"),
        required=False,
        help_text="Optional: one of the chosen exam's sections.",
    )


class BatchWithExamsAdmin(BatchAdmin):
    """The batch's admin, whose delete confirmations name the exams that no student will see once the
    batches are gone (an exam limited to batches stays limited: exams_visible_to)."""

    actions = ["delete_selected"]

    def render_delete_form(self, request, context):
        context["exams_left_without_batches"] = exams_left_without_batches([context["object"].pk])
        return super().render_delete_form(request, context)

    @admin.action(permissions=["delete"], description=admin_actions.delete_selected.short_description)
    def delete_selected(self, request, queryset):
        response = admin_actions.delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["exams_left_without_batches"] = exams_left_without_batches(
                queryset.values_list("pk", flat=True)
            )
        return response


admin.site.unregister(Batch)
admin.site.register(Batch, BatchWithExamsAdmin)
