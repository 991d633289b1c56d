from decimal import Decimal

from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from rest_framework.mixins import RetrieveModelMixin

from exams.models import Exam, ExamQuestion
from testpress.api.viewsets import AdminViewSet
from testpress.queries import subquery_count

from .serializers import AdminExamSerializer

MARKS = DecimalField(max_digits=12, decimal_places=2)


def admin_exam_list():
    """Exams with their question count and total marks (what Exam.question_marks sums to), one SELECT.

    Kept beside the view until exams/selectors.py, which the student API is reshaping, takes it.
    """
    links = ExamQuestion.objects.filter(exam=OuterRef("pk")).order_by()
    own_marks = links.values("exam").annotate(total=Sum("question__marks")).values("total")
    return Exam.objects.annotate(number_of_questions=subquery_count(links)).annotate(
        total_marks=Case(
            When(variable_mark_per_question=True, then=Coalesce(Subquery(own_marks), Value(Decimal("0")))),
            default=F("mark_per_question") * F("number_of_questions"),
            output_field=MARKS,
        )
    )


class AdminExamViewSet(RetrieveModelMixin, AdminViewSet):
    serializer_class = AdminExamSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return admin_exam_list()
