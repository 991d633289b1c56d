"""An institute writes a question in the admin, with a formula and an uploaded image, puts it in an exam,
publishes it, and a student's app reads the formula and loads the image through the student API."""

import io
from datetime import timedelta
from urllib.request import urlopen

import pytest
from django.utils import timezone
from PIL import Image

from exams.models import Exam, Question
from tests.factories import CourseFactory, UserFactory

from .support import api, block_other_hosts, editor, screenshot, token_for, write_in_editor
from .test_staff_console import choose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORMULA = r"\(v = u + at\)"


def circuit_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 90), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def insert_formula(page, field_id: str, latex: str) -> None:
    """The editor's formula button: LaTeX typed into its dialog."""
    page.locator(".prose-editor", has=page.locator(f"#{field_id}")).locator(
        "button[title='Formula (LaTeX)']"
    ).click()
    page.fill("dialog[open] textarea[name=latex]", latex)
    page.click("dialog[open] button[type=submit]")


def upload_image(page, field_id: str, name: str, content: bytes) -> None:
    """The editor's image button: a file chosen, uploaded, and shown in the text."""
    with page.expect_file_chooser() as chooser:
        page.locator(".prose-editor", has=page.locator(f"#{field_id}")).locator(
            "button[title='Upload an image']"
        ).click()
    chooser.value.set_files({"name": name, "mimeType": "image/png", "buffer": content})
    editor(page, field_id).locator("img[src]").wait_for()


def test_a_question_with_a_formula_and_an_image_reaches_the_student_api_intact(staff_page, live_server):
    page = staff_page
    attempted = block_other_hosts(page, live_server)
    CourseFactory(name="NEET Physics")
    UserFactory(username="asha")
    image = circuit_png()

    # The question: text, a formula from the formula button, an image from the image button.
    page.goto("/admin/exams/question/add/")
    page.select_option("#id_type", "R")
    write_in_editor(page, "id_question_html", "A car starts from rest. Its speed follows ")
    insert_formula(page, "id_question_html", "v = u + at")
    page.keyboard.type(" with the acceleration in this graph: ")
    upload_image(page, "id_question_html", "graph.png", image)
    # A formula typed in its delimiters turns into one as well.
    write_in_editor(page, "id_explanation_html", r"With u = 0: \(v = at = 20\) m/s.")
    for index, text in enumerate([r"\(20\,\text{m/s}\)", r"\(10\sqrt{2}\,\text{m/s}\)"]):
        page.click("text=Add another Answer")
        write_in_editor(page, f"id_answers-{index}-text_html", text)
        page.fill(f"#id_answers-{index}-order", str(index + 1))
    page.check("#id_answers-0-is_correct")
    question_editor = editor(page, "id_question_html")
    assert question_editor.locator(".prose-math .katex").count() == 1
    assert editor(page, "id_answers-1-text_html").locator(".prose-math .katex").count() == 1
    screenshot(page, "question_editor_with_formula_and_image")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    question = Question.objects.get()
    image_url = question.question_html.split('src="')[1].split('"')[0]
    assert image_url.startswith(f"{live_server.url}/media/questions/") and image_url.endswith(".png")
    assert f'<span class="math-tex">{FORMULA}</span>' in question.question_html
    assert r'<span class="math-tex">\(v = at = 20\)</span>' in question.explanation_html

    # The preview: the formula typeset, the image loaded, the choices lettered.
    page.goto(f"/admin/exams/question/{question.pk}/change/")
    page.click("text=Preview as a student")
    page.wait_for_selector("body[data-math-rendered]")
    assert page.locator(".question.content .katex").count() == 1
    assert page.locator(".question.content img").evaluate("img => img.complete && img.naturalWidth") == 160
    assert page.locator("ol.choices .letter").all_inner_texts() == ["A", "B"]
    assert page.locator("ol.choices .katex").count() == 2
    screenshot(page, "question_preview")

    # An exam holding it, published.
    start = timezone.localtime() - timedelta(hours=1)
    page.goto("/admin/exams/exam/add/")
    page.fill("#id_title", "Kinematics Test")
    choose(page, "id_course", "NEET Physics")
    page.fill("#id_start_date_0", start.strftime("%Y-%m-%d"))
    page.fill("#id_start_date_1", start.strftime("%H:%M:%S"))
    page.fill("#id_duration", "00:30:00")
    page.click("text=Add another Exam question")
    page.fill("#id_exam_questions-0-order", "1")
    choose(page, "id_exam_questions-0-question", "A car starts from rest")
    page.check("#id_published")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    exam = Exam.objects.get(title="Kinematics Test")
    assert exam.published

    page.goto(f"/admin/exams/exam/{exam.pk}/preview/")
    page.wait_for_selector("body[data-math-rendered]")
    assert page.locator(".student-question").count() == 1
    screenshot(page, "exam_preview")
    assert attempted == []

    # The student's app: start an attempt from the printed URLs and read the question.
    token = token_for(live_server, "asha", "demo-pass-123")
    status, available = api(live_server, "GET", "/api/v2.1/exams/available/", token=token)
    assert status == 200, available
    (listed,) = [e for e in available["results"] if e["title"] == "Kinematics Test"]
    status, attempt = api(
        live_server, "POST", listed["attempts_url"].removeprefix(live_server.url), token=token
    )
    assert status == 201, attempt
    status, items = api(
        live_server, "GET", attempt["questions_url"].removeprefix(live_server.url), token=token
    )
    assert status == 200, items
    (item,) = items["results"]
    seen = item["question"]
    assert f'<span class="math-tex">{FORMULA}</span>' in seen["question_html"]
    assert f'<img src="{image_url}" alt="graph">' in seen["question_html"]
    assert [a["text_html"] for a in seen["answers"]] == [
        r'<p><span class="math-tex">\(20\,\text{m/s}\)</span></p>',
        r'<p><span class="math-tex">\(10\sqrt{2}\,\text{m/s}\)</span></p>',
    ]
    with urlopen(image_url, timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.read() == image
