import pytest

from exams.choices import Difficulty, QuestionType
from exams.models import Course, Direction, Exam, Question, Section, Subject
from tests.admin_cases import AdminSmokeCases
from tests.factories import (
    BatchFactory,
    DirectionFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    SubjectFactory,
)

pytestmark = pytest.mark.django_db


class TestCourseAdmin(AdminSmokeCases):
    model = Course

    def make_row(self):
        return ExamFactory().course

    def changelist_queries(self, row):
        return [f"q={row.name}", "o=2"]


class TestSubjectAdmin(AdminSmokeCases):
    model = Subject

    def make_row(self):
        return SubjectFactory(parent=SubjectFactory(parent=SubjectFactory()))

    def changelist_queries(self, row):
        return [f"q={row.name}", f"q={row.parent.name}"]


class TestExamAdmin(AdminSmokeCases):
    model = Exam

    def make_row(self):
        exam = ExamFactory(batches=[BatchFactory()])
        section = SectionFactory(exam=exam)
        ExamQuestionFactory.create_batch(2, exam=exam, section=section)
        return exam

    def changelist_queries(self, row):
        day = row.start_date
        return [
            f"q={row.title}",
            f"course__id__exact={row.course_id}",
            "published__exact=1",
            "start_date__gte=2000-01-01",
            "end_date__gte=2000-01-01",
            f"start_date__year={day.year}",
            "o=6",
        ]

    def test_the_list_counts_each_exam_questions(self, browser):
        exam = self.make_row()
        response = browser.get(self.admin_url("changelist"))
        assert response.context["cl"].result_list.get(pk=exam.pk).exam_questions__count == 2

    def test_a_question_can_only_be_put_in_a_section_of_its_exam(self, browser):
        exam = self.make_row()
        SectionFactory(name="Section of another exam")
        content = browser.get(self.admin_url("change", exam.pk)).content.decode()
        assert exam.sections.get().name in content
        assert "Section of another exam" not in content


class TestSectionAdmin(AdminSmokeCases):
    model = Section

    def make_row(self):
        return SectionFactory()

    def changelist_queries(self, row):
        return [f"q={row.name}", f"q={row.exam.title}"]


class TestDirectionAdmin(AdminSmokeCases):
    model = Direction

    def make_row(self):
        direction = DirectionFactory(html="<p>A table of monthly rainfall.</p>")
        QuestionFactory(direction=direction)
        return direction

    def changelist_queries(self, row):
        return ["q=rainfall"]


class TestQuestionAdmin(AdminSmokeCases):
    model = Question

    def make_row(self):
        subject = SubjectFactory(parent=SubjectFactory(parent=SubjectFactory()))
        return QuestionFactory(
            subject=subject, with_choices=4, type=QuestionType.SINGLE, difficulty=Difficulty.MEDIUM
        )

    def changelist_queries(self, row):
        return [
            f"type__exact={QuestionType.SINGLE}",
            f"subject__id__exact={row.subject_id}",
            f"difficulty__exact={Difficulty.MEDIUM}",
            "q=Question",
        ]

    def test_the_subject_filter_names_each_subject_by_its_path(self, browser):
        physics = SubjectFactory(name="Physics")
        QuestionFactory(subject=SubjectFactory(name="Optics", parent=physics))
        response = browser.get(self.admin_url("changelist"))
        assert "Physics / Optics" in response.content.decode()
