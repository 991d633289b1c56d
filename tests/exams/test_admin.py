from datetime import timedelta
from decimal import Decimal

import pytest
from django import forms as django_forms
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import escape

from attempts import services
from exams.choices import Difficulty, QuestionType
from exams.models import Answer, Course, Direction, Exam, Question, Section, Subject
from tests.admin_cases import AdminSmokeCases
from tests.factories import (
    AttemptItemFactory,
    BatchFactory,
    DirectionFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    SubjectFactory,
    UserFactory,
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

    def test_the_list_and_the_question_picker_show_text_not_tags(self, browser):
        question = QuestionFactory(question_html="<p>Speed of <b>light</b> in vacuum?</p>")
        listed = browser.get(self.admin_url("changelist")).content.decode()
        assert f"Q{question.pk}: Speed of light in vacuum?" in listed
        assert escape("<b>light</b>") not in listed
        picker = browser.get(
            "/admin/autocomplete/",
            {"app_label": "exams", "model_name": "examquestion", "field_name": "question", "term": "light"},
        ).json()
        assert picker["results"] == [
            {"id": str(question.pk), "text": f"Q{question.pk}: Speed of light in vacuum?"}
        ]


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    return client


def change_form_data(response) -> dict:
    """What the change page would post back untouched: the exam's fields and every inline row."""
    data = {}
    forms_ = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_ += [inline.formset.management_form, *inline.formset.forms]
    for form in forms_:
        for bound in form:
            value, widget = bound.value(), bound.field.widget
            if isinstance(widget, django_forms.MultiWidget):
                for i, part in enumerate(widget.decompress(value)):
                    data[f"{bound.html_name}_{i}"] = widget.widgets[i].format_value(part) or ""
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bound.html_name] = bound.field.prepare_value(value)
    return data


def with_question_row(data: dict, question, order=1) -> dict:
    rows = int(data["exam_questions-TOTAL_FORMS"])
    data.update(
        {
            "exam_questions-TOTAL_FORMS": str(rows + 1),
            f"exam_questions-{rows}-question": str(question.pk),
            f"exam_questions-{rows}-order": str(order),
        }
    )
    return data


class TestPublishingAnExam:
    def post_change(self, browser, exam, edit):
        url = reverse("admin:exams_exam_change", args=[exam.pk])
        data = edit(change_form_data(browser.get(url)))
        return browser.post(url, data)

    def publish(self, data):
        data["published"] = "on"
        return data

    def test_an_exam_without_questions_is_not_published(self, browser):
        exam = ExamFactory(published=False)
        response = self.post_change(browser, exam, self.publish)
        assert response.status_code == 200
        assert "Add at least one question before publishing the exam." in response.content.decode()
        exam.refresh_from_db()
        assert not exam.published

    def test_a_question_row_added_in_the_same_form_without_a_correct_choice_is_named(self, browser):
        exam = ExamFactory(published=False)
        unkeyed = QuestionFactory(with_choices=4, with_choices__correct=0)
        response = self.post_change(
            browser, exam, lambda data: self.publish(with_question_row(data, unkeyed))
        )
        assert response.status_code == 200
        assert f"Mark a correct choice on these questions: Q{unkeyed.pk}." in response.content.decode()
        exam.refresh_from_db()
        assert not exam.published
        assert not exam.exam_questions.exists()

    def test_a_numerical_row_without_its_value_is_named(self, browser):
        exam = ExamFactory(published=False)
        ExamQuestionFactory(exam=exam)
        no_value = QuestionFactory(numerical=True, numerical_answer=None)
        response = self.post_change(
            browser, exam, lambda data: self.publish(with_question_row(data, no_value))
        )
        assert (
            f"Give these numerical questions their answer value: Q{no_value.pk}." in response.content.decode()
        )
        exam.refresh_from_db()
        assert not exam.published

    def test_a_keyed_question_row_added_in_the_same_form_lets_it_publish(self, browser):
        exam = ExamFactory(published=False)
        keyed = QuestionFactory(with_choices=4)
        response = self.post_change(browser, exam, lambda data: self.publish(with_question_row(data, keyed)))
        assert response.status_code == 302
        exam.refresh_from_db()
        assert exam.published
        assert list(exam.questions.all()) == [keyed]

    def test_deleting_the_last_question_row_of_a_published_exam_is_refused(self, browser):
        exam = ExamFactory(published=True)
        ExamQuestionFactory(exam=exam)

        def delete_row(data):
            data["exam_questions-0-DELETE"] = "on"
            return data

        response = self.post_change(browser, exam, delete_row)
        assert "Add at least one question before publishing the exam." in response.content.decode()
        assert exam.exam_questions.count() == 1

    def test_a_draft_saves_with_an_unkeyed_question(self, browser):
        exam = ExamFactory(published=False)
        unkeyed = QuestionFactory()
        response = self.post_change(browser, exam, lambda data: with_question_row(data, unkeyed))
        assert response.status_code == 302
        assert list(exam.questions.all()) == [unkeyed]

    def test_the_publish_action_publishes_the_ready_and_names_the_problems_of_the_rest(self, browser):
        ready, empty = ExamFactory(published=False), ExamFactory(published=False, title="Empty mock")
        ExamQuestionFactory(exam=ready)
        response = browser.post(
            reverse("admin:exams_exam_changelist"),
            {"action": "publish_exams", "_selected_action": [ready.pk, empty.pk], "index": 0},
            follow=True,
        )
        content = response.content.decode()
        assert "Published 1 exam(s)." in content
        assert "“Empty mock” was not published: Add at least one question" in content
        ready.refresh_from_db(), empty.refresh_from_db()
        assert (ready.published, empty.published) == (True, False)


class TestWhoMayTakeAnExam:
    def post_change(self, browser, exam, edit):
        url = reverse("admin:exams_exam_change", args=[exam.pk])
        return browser.post(url, edit(change_form_data(browser.get(url))), follow=True)

    @staticmethod
    def exam(**fields):
        """A published exam the form may save: it holds a question."""
        exam = ExamFactory(**fields)
        ExamQuestionFactory(exam=exam)
        return exam

    def test_choosing_batches_restricts_the_exam_to_them(self, browser):
        exam, batch = self.exam(), BatchFactory()

        def choose(data):
            data["batches"] = [str(batch.pk)]
            return data

        assert self.post_change(browser, exam, choose).redirect_chain
        exam.refresh_from_db()
        assert exam.restricted_to_batches
        assert list(exam.batches.all()) == [batch]

    def test_unticking_the_restriction_while_keeping_batches_is_refused(self, browser):
        exam = self.exam(batches=[BatchFactory()])

        def untick(data):
            del data["restricted_to_batches"]
            return data

        response = self.post_change(browser, exam, untick)
        assert "An exam with batches is only for them" in response.content.decode()
        exam.refresh_from_db()
        assert exam.restricted_to_batches

    def test_removing_every_batch_keeps_it_restricted_and_says_no_student_sees_it(self, browser):
        exam = self.exam(title="Evening mock", batches=[BatchFactory()])

        def remove_batches(data):
            del data["batches"]
            return data

        response = self.post_change(browser, exam, remove_batches)
        assert "“Evening mock” is only for batches but has none: no student can see it." in (
            response.content.decode()
        )
        exam.refresh_from_db()
        assert exam.restricted_to_batches and not exam.batches.exists()

    def test_removing_the_batches_and_unticking_opens_it_to_every_student(self, browser):
        exam = self.exam(batches=[BatchFactory()])

        def open_to_all(data):
            del data["batches"], data["restricted_to_batches"]
            return data

        response = self.post_change(browser, exam, open_to_all)
        assert "no student can see it" not in response.content.decode()
        exam.refresh_from_db()
        assert not exam.restricted_to_batches and not exam.batches.exists()


class TestAddingQuestionsFromTheBank:
    url = reverse_lazy("admin:exams_question_changelist")

    def test_the_action_asks_for_the_exam_first(self, browser):
        questions = QuestionFactory.create_batch(2, with_choices=2)
        exam = ExamFactory(title="Physics mock")
        response = browser.post(
            self.url,
            {"action": "add_to_exam", "_selected_action": [q.pk for q in questions], "index": 0},
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "2 questions chosen" in content
        assert "Physics mock" in content
        assert not exam.exam_questions.exists()

    def test_applying_appends_them_to_the_section_in_changelist_order_skipping_held_ones(self, browser):
        section = SectionFactory(exam=ExamFactory(title="Physics mock"))
        already = ExamQuestionFactory(exam=section.exam, order=1).question
        first, second = QuestionFactory.create_batch(2, with_choices=2)
        response = browser.post(
            self.url,
            {
                "action": "add_to_exam",
                "_selected_action": [second.pk, already.pk, first.pk],
                "apply": "1",
                "exam": section.exam.pk,
                "section": section.pk,
            },
            follow=True,
        )
        assert (
            "Added 2 question(s) to “Physics mock”; 1 it already held were skipped."
            in response.content.decode()
        )
        links = section.exam.exam_questions.order_by("order")
        assert [(link.question_id, link.order) for link in links] == [
            (already.pk, 1),
            (first.pk, 2),
            (second.pk, 3),
        ]
        assert [link.section_id for link in links[1:]] == [section.pk, section.pk]

    def test_a_section_of_another_exam_is_shown_as_an_error_and_nothing_is_added(self, browser):
        exam, question = ExamFactory(), QuestionFactory(with_choices=2)
        response = browser.post(
            self.url,
            {
                "action": "add_to_exam",
                "_selected_action": [question.pk],
                "apply": "1",
                "exam": exam.pk,
                "section": SectionFactory().pk,
            },
        )
        assert response.status_code == 200
        assert "is a section of another exam" in response.content.decode()
        assert not exam.exam_questions.exists()

    def test_an_unkeyed_question_is_refused_by_a_published_exam(self, browser):
        exam = ExamFactory(published=True)
        ExamQuestionFactory(exam=exam)
        unkeyed = QuestionFactory()
        response = browser.post(
            self.url,
            {"action": "add_to_exam", "_selected_action": [unkeyed.pk], "apply": "1", "exam": exam.pk},
        )
        assert f"Mark a correct choice on these questions: Q{unkeyed.pk}." in response.content.decode()
        assert exam.exam_questions.count() == 1


class TestEditingAQuestion:
    def post_change(self, browser, question, edit):
        url = reverse("admin:exams_question_change", args=[question.pk])
        return browser.post(url, edit(change_form_data(browser.get(url))))

    def test_html_typed_in_the_form_and_its_choice_rows_is_stored_clean(self, browser):
        question = QuestionFactory(with_choices=2)

        def type_html(data):
            data["question_html"] = '<p onmouseover="steal()">प्रश्न<script>steal()</script></p>'
            data["explanation_html"] = '<p style="position:fixed">Because</p>'
            data["answers-0-text_html"] = '<a href="javascript:steal()">4</a>'
            return data

        assert self.post_change(browser, question, type_html).status_code == 302
        question.refresh_from_db()
        assert (question.question_html, question.explanation_html) == ("<p>प्रश्न</p>", "<p>Because</p>")
        assert question.answers.first().text_html == '<a rel="noopener noreferrer">4</a>'

    def test_deleting_a_chosen_choice_is_refused_naming_it_and_nothing_changes(self, browser):
        question = QuestionFactory(with_choices=3)
        before = list(question.answers.values_list("pk", "text_html", "is_correct"))
        AttemptItemFactory(question=question, selected_answers=[before[0][0]])

        def delete_and_type_again(data):
            # What staff do to "fix" a choice in the inline: delete the row, add it anew.
            data["answers-0-DELETE"] = "on"
            rows = int(data["answers-TOTAL_FORMS"])
            data.update(
                {
                    "answers-TOTAL_FORMS": str(rows + 1),
                    f"answers-{rows}-order": "0",
                    f"answers-{rows}-text_html": "<p>Choice 1</p>",
                    f"answers-{rows}-is_correct": "on",
                }
            )
            return data

        response = self.post_change(browser, question, delete_and_type_again)

        assert response.status_code == 200
        assert (
            escape(
                "The choice “Choice 1” has been chosen in an attempt, so it cannot be deleted: "
                "change its text or whether it is correct instead."
            )
            in response.content.decode()
        )
        assert list(question.answers.values_list("pk", "text_html", "is_correct")) == before

    def test_a_choice_nobody_chose_is_deleted(self, browser):
        question = QuestionFactory(with_choices=3)
        chosen, _, unchosen = question.answers.all()
        AttemptItemFactory(question=question, selected_answers=[chosen.pk])

        def delete_third(data):
            data["answers-2-DELETE"] = "on"
            return data

        assert self.post_change(browser, question, delete_third).status_code == 302
        assert not Answer.objects.filter(pk=unchosen.pk).exists()
        assert question.answers.count() == 2

    def test_moving_the_key_keeps_the_choice_ids_and_a_rescore_follows_it(self, browser):
        question = QuestionFactory(with_choices=3)
        first, second, _ = question.answers.all()
        exam = ExamFactory()
        ExamQuestionFactory(exam=exam, question=question)
        now = timezone.now()
        attempt = services.attempt_create(user=UserFactory(), exam=exam, now=now)
        services.attempt_save_item(
            attempt=attempt, item=attempt.items.get(), selected_answers=[second.pk], now=now
        )
        attempt = services.attempt_end(attempt=attempt, now=now)
        assert attempt.score == Decimal("0.00")

        def second_is_correct(data):
            del data["answers-0-is_correct"]
            data["answers-1-is_correct"] = "on"
            data["answers-1-text_html"] = "<p>Choice 2, reworded</p>"
            return data

        assert self.post_change(browser, question, second_is_correct).status_code == 302
        assert list(question.answers.values_list("pk", "is_correct")) == [
            (first.pk, False),
            (second.pk, True),
            (question.answers.all()[2].pk, False),
        ]
        browser.post(
            reverse("admin:attempts_attempt_changelist"),
            {"action": "rescore_attempts", "_selected_action": [attempt.pk], "index": 0},
        )
        attempt.refresh_from_db()
        assert (attempt.score, attempt.correct_count) == (Decimal("1.00"), 1)


class TestSectionsOfAnExam:
    def test_staff_set_durations_order_and_instructions_and_the_exam_lasts_their_sum(self, browser):
        exam = ExamFactory(duration=timedelta(minutes=60))
        first, second = SectionFactory(exam=exam, order=1), SectionFactory(exam=exam, order=2)
        for order, section in enumerate((first, second), start=1):
            ExamQuestionFactory(exam=exam, section=section, order=order)
        url = reverse("admin:exams_exam_change", args=[exam.pk])
        data = change_form_data(browser.get(url))
        rows = {str(data[f"sections-{i}-id"]): i for i in range(int(data["sections-TOTAL_FORMS"]))}
        edits = {
            first: ("2", "0:10:00", "<p>Calculators away.</p><script>x()</script>"),
            second: ("1", "0:05:00", ""),
        }
        for section, (order, duration, instructions) in edits.items():
            i = rows[str(section.pk)]
            data.update(
                {
                    f"sections-{i}-order": order,
                    f"sections-{i}-duration": duration,
                    f"sections-{i}-instructions": instructions,
                }
            )
        response = browser.post(url, data, follow=True)
        assert response.status_code == 200
        assert "its duration is now the sum of its sections" in response.content.decode()
        exam.refresh_from_db()
        assert exam.duration == timedelta(minutes=15)
        assert [(s.name, s.duration, s.instructions) for s in exam.sections.order_by("order")] == [
            (second.name, timedelta(minutes=5), ""),
            (first.name, timedelta(minutes=10), "<p>Calculators away.</p>"),
        ]

    def test_a_section_some_attempt_is_taking_cannot_be_deleted(self, browser, student):
        exam = ExamFactory()
        section = SectionFactory(exam=exam, order=1, duration=timedelta(minutes=5))
        ExamQuestionFactory(exam=exam, section=section)
        services.attempt_create(user=student, exam=exam)
        url = reverse("admin:exams_exam_change", args=[exam.pk])
        data = change_form_data(browser.get(url))
        data["sections-0-DELETE"] = "on"
        response = browser.post(url, data)
        assert response.status_code == 200
        assert "would require deleting the following protected related objects" in response.content.decode()
        assert exam.sections.count() == 1
