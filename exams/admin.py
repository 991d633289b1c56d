from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.admin import BatchAdmin
from accounts.models import Batch
from testpress.admin_columns import CountColumnsMixin, count_of
from testpress.resources import SpreadsheetAdminMixin

from .choices import QuestionType
from .errors import QuestionImageInvalid
from .html import clean_html
from .models import (
    AccessCode,
    Answer,
    Course,
    Direction,
    Exam,
    ExamLanguage,
    ExamQuestion,
    Language,
    Question,
    QuestionTranslation,
    Section,
    Subject,
)
from .resources import MAX_CHOICES, QuestionResource
from .selectors import exam_questions_in_order, exams_left_without_batches, link_subject_tree
from .services import (
    exam_add_questions,
    exam_publish,
    exam_time_by_sections,
    question_image_save,
    question_translation_save,
    translated_choice_problems,
)
from .widgets import QuestionHtmlEditor


@dataclass
class StudentView:
    """A question as the Testpress apps print it, for the preview pages: its direction, text and choices,
    and apart, what only the review shows (the key, the explanation).

    The HTML is cleaned again here: what the models store is clean, but a bulk update never passes
    save(), and these pages run in staff's signed-in browser.
    """

    question: Question
    number: int | None = None
    section: Section | None = None
    # (marks if correct, marks lost if wrong) in the exam previewed.
    marks: tuple[Decimal, Decimal] | None = None

    @cached_property
    def html(self):
        return mark_safe(clean_html(self.question.question_html))

    @cached_property
    def direction_html(self):
        direction = self.question.direction
        return mark_safe(clean_html(direction.html)) if direction else ""

    @cached_property
    def explanation_html(self):
        return mark_safe(clean_html(self.question.explanation_html))

    @cached_property
    def choices(self) -> list[dict]:
        return [
            {
                "letter": chr(ord("A") + index),
                "html": mark_safe(clean_html(answer.text_html)),
                "answer": answer,
            }
            for index, answer in enumerate(self.question.answers.all())
        ]

    @property
    def numerical_key(self) -> str:
        """The numerical answer as staff typed it: "9.8 ± 0.05", "24", or "" when it is not set."""
        value, tolerance = self.question.numerical_answer, self.question.numerical_tolerance
        if value is None:
            return ""
        text = f"{value.normalize():f}"
        return f"{text} ± {tolerance.normalize():f}" if tolerance else text

    @property
    def input_type(self) -> str:
        return {QuestionType.SINGLE: "radio", QuestionType.MULTIPLE: "checkbox"}.get(self.question.type, "")


def preview_context(admin_site, request, *, title: str, opts, original, **context) -> dict:
    return {
        **admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "original": original,
        "question_types": QuestionType,
        **context,
    }


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


class SectionInline(admin.StackedInline):
    """Sections in the order students take them; giving every one a duration times them one by one."""

    model = Section
    fields = [("order", "name"), ("duration", "cut_off"), "instructions"]
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "title"]
    search_fields = ["code", "title"]

    def get_readonly_fields(self, request, obj=None):
        # Questions, translations and exams refer to a language by its code.
        return ["code"] if obj else []


class ExamLanguageInline(admin.TabularInline):
    model = ExamLanguage
    fields = ["order", "language"]
    extra = 0
    verbose_name = "language"
    verbose_name_plural = "Languages (two or more make a bilingual paper: the apps offer each)"


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
    inlines = [SectionInline, ExamQuestionInline, ExamLanguageInline, AccessCodeInline]
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
        ("Offline exam", {"fields": ["is_offline_exam", "grace_duration_for_offline_submission"]}),
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
        previous = exam.duration
        if exam_time_by_sections(exam=exam) and exam.duration != previous:
            self.message_user(
                request,
                f"“{exam}” is timed section by section: its duration is now the sum of its sections', "
                f"{exam.duration}.",
                messages.INFO,
            )
        if exam.restricted_to_batches and not exam.batches.exists():
            self.message_user(
                request,
                f"“{exam}” is only for batches but has none: no student can see it. Choose its batches, "
                "or untick “Only for these batches” to open it to every student.",
                messages.WARNING,
            )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="exams_exam_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """The whole exam as a student gets it: its questions in attempt order under their sections."""
        exam = self.get_object(request, object_id)
        if exam is None:
            raise Http404
        if not self.has_view_permission(request, exam):
            raise PermissionDenied
        questions = [
            StudentView(link.question, number, link.section, exam.question_marks(link.question))
            for number, link in enumerate(exam_questions_in_order(exam), start=1)
        ]
        context = preview_context(
            self.admin_site,
            request,
            title=f"{exam}: as a student sees it",
            opts=self.opts,
            original=exam,
            exam=exam,
            questions=questions,
            total_marks=sum((q.marks[0] for q in questions), Decimal(0)),
        )
        return TemplateResponse(request, "admin/exams/exam/preview.html", context)

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


class RichTextMixin:
    """The question editor (exams/widgets.py) for these HTML fields, in the form and its inline rows."""

    # {field: the label staff read}: "Question", not "Question html".
    rich_text_fields: dict[str, str] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.rich_text_fields:
            kwargs["widget"] = QuestionHtmlEditor
            kwargs["label"] = self.rich_text_fields[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Direction)
class DirectionAdmin(RichTextMixin, CountColumnsMixin, admin.ModelAdmin):
    list_display = ["__str__", count_of("question", "questions")]
    search_fields = ["html"]
    rich_text_fields = {"html": "Passage"}


class AnswerFormSet(BaseInlineFormSet):
    def clean(self):
        """A choice an attempt has chosen is kept: ticking its Delete box is refused, naming it."""
        super().clean()
        deleting = [
            form.instance.pk for form in self.forms if form.instance.pk and self._should_delete_form(form)
        ]
        if deleting:
            Answer.objects.filter(pk__in=deleting).refuse_deleting_chosen()


class AnswerInline(RichTextMixin, admin.TabularInline):
    model = Answer
    formset = AnswerFormSet
    fields = ["order", "text_html", "is_correct"]
    extra = 0
    rich_text_fields = {"text_html": "Choice"}


def translated_choice_fields(choice_count: int) -> int:
    """How many choice texts a translation's form offers: room for the choices staff may add beside it."""
    return max(MAX_CHOICES, choice_count)


class TranslationForm(forms.ModelForm):
    """A translation with a text for each of the question's choices, in the question's choice order:
    choice_1 is the text of the question's first choice (by its order, then as added)."""

    class Meta:
        model = QuestionTranslation
        fields = ["language", "question_html", "direction", "explanation_html"]

    def __init__(self, *args, answers: list[Answer], **kwargs):
        super().__init__(*args, **kwargs)
        texts = (
            {row.answer_id: row.text_html for row in self.instance.answers.all()} if self.instance.pk else {}
        )
        for number in range(1, max(MAX_CHOICES, len(answers)) + 1):
            answer = answers[number - 1] if number <= len(answers) else None
            self.fields[f"choice_{number}"] = forms.CharField(
                label=f"Choice {number}",
                required=False,
                widget=QuestionHtmlEditor,
                initial=texts.get(answer.pk) if answer else None,
                help_text=f"The question's “{answer.label}”." if answer else "",
            )

    @property
    def choice_texts(self) -> list[str]:
        names = sorted((name for name in self.fields if name.startswith("choice_")), key=lambda n: int(n[7:]))
        return [self.cleaned_data.get(name) or "" for name in names]

    def save(self, commit=True):
        translation = super().save(commit=False)
        if commit:
            # The question's choices are saved by then (their inline comes first): the texts map onto them.
            question_translation_save(translation=translation, choices=self.choice_texts)
        return translation


class TranslationFormSet(BaseInlineFormSet):
    # The same request's choices inline, linked by QuestionAdmin: a translation is checked against the
    # choices the question will have once saved, not the ones it had.
    answer_formset = None

    @cached_property
    def saved_answers(self) -> list[Answer]:
        return list(self.instance.answers.order_by("order", "id")) if self.instance.pk else []

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "answers": self.saved_answers}

    def choice_count_after_save(self) -> int:
        answers = self.answer_formset
        if answers is None or not answers.is_bound:
            return len(self.saved_answers)
        return sum(
            1
            for form in answers.forms
            if (form.instance.pk or form.has_changed()) and not answers._should_delete_form(form)
        )

    def clean(self):
        """A translation gives each of the question's choices a text, and no more: refused otherwise,
        naming each choice that is missing or has no choice of the question to translate."""
        super().clean()
        if any(form.errors for form in self.forms):
            return
        count = self.choice_count_after_save()
        for form in self.forms:
            if self._should_delete_form(form) or not (form.instance.pk or form.has_changed()):
                continue
            problems = translated_choice_problems(texts=form.choice_texts, choice_count=count)
            if problems:
                given = sum(1 for text in form.choice_texts if text.strip())
                form.add_error(
                    None,
                    f"The question has {count} choice(s) and this translation {given}: give each of the "
                    "question's choices its text in this language, and no more.",
                )
            for number, message in problems.items():
                form.add_error(f"choice_{number}" if f"choice_{number}" in form.fields else None, message)


class TranslationInline(RichTextMixin, admin.StackedInline):
    model = QuestionTranslation
    form = TranslationForm
    formset = TranslationFormSet
    extra = 0
    autocomplete_fields = ["direction"]
    verbose_name_plural = "Translations (the same choices, each with its text in the translation's language)"
    rich_text_fields = {"question_html": "Question", "explanation_html": "Explanation (shown in the review)"}

    def get_fieldsets(self, request, obj=None):
        count = translated_choice_fields(obj.answers.count() if obj and obj.pk else 0)
        choices = [f"choice_{number}" for number in range(1, count + 1)]
        return [
            (None, {"fields": TranslationForm.Meta.fields}),
            ("Choices, in the question's order", {"fields": choices}),
        ]

    def get_formset(self, request, obj=None, **kwargs):
        # The choice fields are the form's own (TranslationForm), not the model's.
        kwargs["fields"] = TranslationForm.Meta.fields
        return super().get_formset(request, obj, **kwargs)


@admin.register(Question)
class QuestionAdmin(RichTextMixin, SpreadsheetAdminMixin, admin.ModelAdmin):
    resource_classes = [QuestionResource]
    list_display = ["__str__", "type", "subject", "difficulty", "marks"]
    list_select_related = ["subject"]
    list_filter = ["type", ("subject", SubjectPathFilter), "difficulty"]
    search_fields = ["question_html"]
    autocomplete_fields = ["subject", "direction", "language"]
    inlines = [AnswerInline, TranslationInline]
    rich_text_fields = {"question_html": "Question", "explanation_html": "Explanation (shown in the review)"}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "type",
                    "subject",
                    "difficulty",
                    "language",
                    "direction",
                    "question_html",
                    "explanation_html",
                ]
            },
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

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        # Django validates each inline on its own; a translation must match the choices of this save.
        answers = next(formset for formset in formsets if isinstance(formset, AnswerFormSet))
        for formset in formsets:
            if isinstance(formset, TranslationFormSet):
                formset.answer_formset = answers
        return formsets, inline_instances

    def get_urls(self):
        return [
            path(
                "upload-image/",
                self.admin_site.admin_view(self.upload_image_view),
                name="exams_question_upload_image",
            ),
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="exams_question_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """The question as a student sees it in an exam, and under it the key and the explanation."""
        question = self.get_object(request, object_id)
        if question is None:
            raise Http404
        if not self.has_view_permission(request, question):
            raise PermissionDenied
        context = preview_context(
            self.admin_site,
            request,
            title=f"Q{question.pk}: as a student sees it",
            opts=self.opts,
            original=question,
            questions=[StudentView(question, marks=(question.marks, question.negative_marks))],
        )
        return TemplateResponse(request, "admin/exams/question/preview.html", context)

    @method_decorator(require_POST)
    def upload_image_view(self, request):
        """The editor's image upload (the `image` file of a POST): 201 with the image's absolute `url`.

        For staff who may change questions (directions and choices are written beside them); a refusal
        is JSON too, with the reason in `error`, for the editor to show.
        """
        if not self.has_change_permission(request):
            return JsonResponse(
                {"error": "You may not change questions, so you may not upload images."}, status=403
            )
        try:
            url = question_image_save(file=request.FILES.get("image"))
        except QuestionImageInvalid as error:
            return JsonResponse({"error": error.message}, status=400)
        return JsonResponse({"url": request.build_absolute_uri(url)}, status=201)

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
