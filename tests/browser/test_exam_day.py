"""Exam day in a real browser: a teacher watches the live page while students write the exam."""

import pytest

from attempts import services
from tests.factories import ExamFactory, ExamQuestionFactory, UserFactory

from .support import api, screenshot, token_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STUDENT_PASSWORD = "demo-pass-123"  # UserFactory's
TEACHER_PASSWORD = "teacher-pass-5512"


def answer(attempt, order: int, *, right: bool) -> None:
    item = attempt.items.get(order=order)
    choice = (
        item.question.answers.get(is_correct=right)
        if right
        else item.question.answers.filter(is_correct=False)[0]
    )
    services.attempt_save_item(attempt=attempt, item=item, selected_answers=[choice.pk])


def figures(page) -> dict[str, str]:
    names = ["writing", "quiet", "completed", "started", "not-started", "may-take", "saves-total"]
    return {name: page.inner_text(f"[data-figure='{name}']") for name in names}


def test_a_teacher_watches_the_exam_being_written_and_the_page_follows_it(page, live_server):
    exam = ExamFactory(title="Exam Day Mock")
    for order in (1, 2, 3):
        ExamQuestionFactory(exam=exam, order=order)
    students = [UserFactory(username=f"writer{n}") for n in range(1, 7)]
    teacher = UserFactory(
        username="teacher", is_staff=True, permissions=["exams.view_exam", "attempts.view_attempt"]
    )
    teacher.set_password(TEACHER_PASSWORD)
    teacher.save()

    # Four students start; the first answers all three and ends, the second answers two, the third
    # one, the fourth nothing yet. Two have not started.
    attempts = [services.attempt_create(user=student, exam=exam) for student in students[:4]]
    for attempt, answered in zip(attempts, [3, 2, 1, 0], strict=True):
        for order in range(1, answered + 1):
            answer(attempt, order, right=order != 2)
    services.attempt_end(attempt=attempts[0])
    # The first student's app saves once more after the end, through the API: refused and recorded.
    token = token_for(live_server, "writer1", STUDENT_PASSWORD)
    item = attempts[0].items.get(order=1)
    status, body = api(
        live_server,
        "PUT",
        f"/api/v2.1/attempts/{attempts[0].pk}/questions/{item.pk}/",
        {"review": True},
        token,
    )
    assert (status, body["error_code"]) == (409, "attempt_completed")

    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "teacher")
    page.fill("#id_password", TEACHER_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto("/admin/exams/exam/")
    page.click(f"a[href='/admin/exams/exam/{exam.pk}/live/']")
    page.wait_for_selector("svg.chart[data-chart='saves-per-minute']")
    screenshot(page, "exam_day_live")

    assert figures(page) == {
        "writing": "3",
        "quiet": "0",
        "completed": "1",
        "started": "4",
        "not-started": "2",
        "may-take": "6",
        "saves-total": "6",
    }
    rows = page.locator("#least-progress tbody tr")
    assert [rows.nth(n).locator("td").nth(0).inner_text() for n in range(3)] == [
        "writer4",
        "writer3",
        "writer2",
    ]
    assert rows.nth(0).locator("td").nth(1).inner_text() == "0 of 3"
    refusals = page.locator("#refusals tbody tr")
    assert refusals.count() == 1
    assert refusals.nth(0).inner_text().split("\t")[1:] == [
        "writer1",
        "Save an answer",
        "The attempt had already ended",
    ]
    assert page.locator("svg.chart[data-chart='saves-per-minute'] rect").count() == 15

    # A fifth student starts and answers: the page reloads itself and shows it, no click needed.
    late = services.attempt_create(user=students[4], exam=exam)
    answer(late, 1, right=True)
    page.wait_for_function(
        "document.querySelector(\"[data-figure='started']\").innerText === '5'", timeout=15_000
    )
    assert figures(page)["not-started"] == "1"
    assert figures(page)["saves-total"] == "7"
    screenshot(page, "exam_day_live_after_refresh")
