"""Staff console scenarios in a real browser: build and publish an exam, import students, read analytics."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attempts import services as attempt_services
from exams.models import Exam
from tests.factories import CourseFactory, ExamFactory, ExamQuestionFactory, QuestionFactory, UserFactory
from tests.spreadsheets import spreadsheet

from .support import api, screenshot, token_for, write_in_editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STUDENT_PASSWORD = "demo-pass-123"  # UserFactory's


def choose(page, select_id: str, search: str) -> None:
    """Picks an option of an admin autocomplete (select2) box by typing part of its text."""
    page.click(f"[aria-labelledby='select2-{select_id}-container']")
    page.fill(".select2-container--open .select2-search__field", search)
    page.click(f".select2-results__option:has-text('{search}')")


def exam_titles(live_server, token: str) -> list[str]:
    status, body = api(live_server, "GET", "/api/v2.1/exams/", token=token)
    assert status == 200, body
    return [exam["title"] for exam in body["results"]]


def test_staff_builds_and_publishes_an_exam_that_a_student_then_lists(staff_page, live_server):
    page = staff_page
    CourseFactory(name="JEE Mains")
    QuestionFactory(question_html="<p>Speed of light in vacuum?</p>", with_choices=4)
    UserFactory(username="priya")
    token = token_for(live_server, "priya", STUDENT_PASSWORD)
    assert "Weekly Test 1" not in exam_titles(live_server, token)

    # A question written into the bank, with its two choices.
    page.goto("/admin/exams/question/add/")
    page.select_option("#id_type", "R")
    write_in_editor(page, "id_question_html", "What is 2 + 2?")
    for index, text in enumerate(["4", "5"]):
        page.click("text=Add another Answer")
        write_in_editor(page, f"id_answers-{index}-text_html", text)
        page.fill(f"#id_answers-{index}-order", str(index + 1))
    page.check("#id_answers-0-is_correct")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # The exam: schedule, course, that question and one already in the bank, published.
    start = timezone.localtime() - timedelta(days=1)
    end = start + timedelta(days=8)
    page.goto("/admin/exams/exam/add/")
    page.fill("#id_title", "Weekly Test 1")
    choose(page, "id_course", "JEE Mains")
    page.fill("#id_start_date_0", start.strftime("%Y-%m-%d"))
    page.fill("#id_start_date_1", start.strftime("%H:%M:%S"))
    page.fill("#id_end_date_0", end.strftime("%Y-%m-%d"))
    page.fill("#id_end_date_1", end.strftime("%H:%M:%S"))
    page.fill("#id_duration", "01:00:00")
    for index, search in enumerate(["What is 2 + 2?", "Speed of light"]):
        page.click("text=Add another Exam question")
        page.fill(f"#id_exam_questions-{index}-order", str(index + 1))
        choose(page, f"id_exam_questions-{index}-question", search)
    page.check("#id_published")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "exam_published")

    exam = Exam.objects.get(title="Weekly Test 1")
    assert exam.published
    assert exam.slug == "weekly-test-1"
    assert list(exam.exam_questions.values_list("question__question_html", flat=True)) == [
        "<p>What is 2 + 2?</p>",
        "<p>Speed of light in vacuum?</p>",
    ]
    assert "Weekly Test 1" in exam_titles(live_server, token)


def test_staff_imports_three_students_who_can_then_sign_in(staff_page, live_server):
    page = staff_page
    students = [
        ["asha", "Tr1cky-Pass-81", "Asha", "Rao", "asha@example.com", "9876543210", "Morning"],
        ["ravi", "An0ther-Pass-27", "Ravi", "Kumar", "ravi@example.com", "", "Morning; JEE 2025"],
        ["meera", "Th1rd-Pass-63", "Meera", "", "", "", ""],
    ]
    csv = spreadsheet(
        [["username", "password", "first_name", "last_name", "email", "phone", "batches"], *students]
    )

    page.goto("/admin/accounts/user/import/")
    page.select_option("#id_format", label="csv")
    page.set_input_files("#id_import_file", {"name": "students.csv", "mimeType": "text/csv", "buffer": csv})
    page.click("#content input[type=submit]")
    page.wait_for_selector("input[value='Confirm import']")
    screenshot(page, "students_import_preview")
    preview = page.inner_text("table.import-preview")
    assert all(student[0] in preview for student in students)
    assert "JEE 2025; Morning" in preview
    assert page.locator("table.import-preview tbody tr").count() == 3

    page.click("input[value='Confirm import']")
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "students_imported")

    for username, password, *_ in students:
        assert token_for(live_server, username, password)


def test_staff_sees_the_exam_analytics_charts_drawn(staff_page, live_server):
    page = staff_page
    exam = ExamFactory(title="Analytics Test")
    ExamQuestionFactory.create_batch(2, exam=exam)
    for number, right_answers in enumerate([2, 1, 0]):
        attempt = attempt_services.attempt_create(user=UserFactory(username=f"taker{number}"), exam=exam)
        attempt = attempt_services.attempt_start(attempt=attempt)
        for index, item in enumerate(attempt.items.order_by("order")):
            answers = {answer.is_correct: answer.pk for answer in item.question.answers.all()}
            chosen = answers[True] if index < right_answers else answers[False]
            attempt_services.attempt_save_item(attempt=attempt, item=item, selected_answers=[chosen])
        attempt_services.attempt_end(attempt=attempt)

    page.goto(f"/admin/exams/exam/{exam.pk}/analytics/")
    page.wait_for_selector("svg.chart")
    screenshot(page, "exam_analytics")

    for chart in ["score-distribution", "attempts-over-time", "question-correct-percentage"]:
        svg = page.locator(f"svg.chart[data-chart='{chart}']")
        assert svg.count() == 1, chart
        assert svg.locator("rect").count() > 0, chart
        assert svg.bounding_box()["height"] > 50, chart
