from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from import_export.admin import ImportExportMixin

from testpress.admin_columns import CountColumnsMixin, count_of
from testpress.resources import SPREADSHEET_FORMATS

from .models import Answer, Course, Direction, Exam, ExamQuestion, Question, Section, Subject
from .resources import QuestionResource


def link_subject_tree(subjects) -> dict[int, Subject]:
    """Gives each subject its chain of parents from one query, so str(subject) (its path) costs none.

    Returns the whole tree by id. The tree is small (a few hundred nodes), the pages that list
    subjects are not.
    """
    tree = {subject.pk: subject for subject in Subject.objects.only("pk", "name", "parent_id")}
    for subject in [*tree.values(), *subjects]:
        if subject is not None and subject.parent_id in tree:
            subject.parent = tree[subject.parent_id]
    return tree


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


class ExamQuestionInline(admin.TabularInline):
    model = ExamQuestion
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


@admin.register(Exam)
class ExamAdmin(CountColumnsMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "course",
        "start_date",
        "end_date",
        "published",
        count_of("exam_questions", "questions"),
    ]
    list_select_related = ["course"]
    list_filter = ["course", "published", "start_date", "end_date"]
    search_fields = ["title"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["course"]
    filter_horizontal = ["batches"]
    readonly_fields = ["created", "modified"]
    inlines = [SectionInline, ExamQuestionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "course", "description", "published", "batches"]}),
        ("Schedule", {"fields": ["start_date", "end_date", "duration"]}),
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


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["order", "text_html", "is_correct"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [QuestionResource]
    formats = SPREADSHEET_FORMATS
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

    def get_changelist(self, request, **kwargs):
        return SubjectTreeChangeList

    def subject_of(self, question):
        return question.subject
