"""The admin writes questions, choices, directions and explanations in the rich-text editor."""

import json
import re

import pytest
from django.urls import reverse

from exams.html import clean_html
from tests.factories import DirectionFactory, QuestionFactory

pytestmark = pytest.mark.django_db

EDITOR = "data-django-prose-editor-configurable"


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    return client


def editor_configs(page: str) -> dict[str, dict]:
    """{textarea name: the editor's configuration} for every editor on the page."""
    found = {}
    for tag in re.findall(r"<textarea[^>]*>", page):
        if EDITOR in tag:
            name = re.search(r'name="([^"]+)"', tag)[1]
            raw = re.search(rf"{EDITOR}=\"([^\"]*)\"", tag)[1]
            found[name] = json.loads(raw.replace("&quot;", '"').replace("&amp;", "&"))
    return found


def test_a_question_its_explanation_and_each_choice_row_are_written_in_the_editor(browser):
    question = QuestionFactory(with_choices=2)
    page = browser.get(reverse("admin:exams_question_change", args=[question.pk])).content.decode()
    assert set(editor_configs(page)) == {
        "question_html",
        "explanation_html",
        "answers-0-text_html",
        "answers-1-text_html",
        # The row "Add another Answer" copies: the editor starts on it once added.
        "answers-__prefix__-text_html",
        # And the translation "Add another" copies: its question, explanation and a text per choice.
        "translations-__prefix__-question_html",
        "translations-__prefix__-explanation_html",
        *(f"translations-__prefix__-choice_{number}" for number in range(1, 7)),
    }
    assert ">Question:</label>" in page and ">Explanation (shown in the review):</label>" in page


def test_a_direction_is_written_in_the_editor(browser):
    direction = DirectionFactory()
    page = browser.get(reverse("admin:exams_direction_change", args=[direction.pk])).content.decode()
    assert set(editor_configs(page)) == {"html"}


def test_the_editor_has_formulas_and_image_uploads_and_loads_everything_from_this_server(browser):
    page = browser.get(reverse("admin:exams_question_add")).content.decode()
    config = editor_configs(page)["question_html"]
    assert {"Math", "ImageUpload", "Image", "Table", "Subscript", "Superscript", "HTML"} <= set(
        config["extensions"]
    )
    assert config["extensions"]["ImageUpload"] == {"url": reverse("admin:exams_question_upload_image")}
    assert config["js_modules"] == ["/static/exams/editor/math.js", "/static/exams/editor/image-upload.js"]
    assert '<script type="importmap"' in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert "/static/vendor/katex/katex.min.js" in scripts
    # KaTeX first: the editor's modules run once the page is parsed and find it there.
    assert scripts.index("/static/vendor/katex/katex.min.js") < scripts.index(
        "/static/django_prose_editor/editor.js"
    )
    styles = re.findall(r'<link[^>]+href="([^"]+)"', page)
    for asset in [*scripts, *styles, *config["js_modules"]]:
        if asset.startswith("/static/"):
            assert browser.get(asset).status_code == 200, asset


def test_what_the_editor_writes_is_kept_as_written(browser):
    """Formulas, uploaded images, tables and links pass exams/html.py untouched (but for inline styles)."""
    written = (
        r'<p>Find <span class="math-tex">\(R = \frac{V}{I}\)</span> for '
        '<img src="http://testserver/media/questions/2026/12/ab.png" alt="circuit"> and '
        r'<span class="math-tex">\[\int_0^1 x^2\,dx\]</span></p>'
        '<table style="min-width: 50px"><colgroup><col style="min-width: 25px"></colgroup><tbody><tr>'
        '<th colspan="1" rowspan="1"><p>V</p></th><td colspan="1" rowspan="1"><p>I</p></td>'
        "</tr></tbody></table>"
        "<ul><li><p>H<sub>2</sub>O, x<sup>2</sup>, <s>no</s>, <u>yes</u></p></li></ul>"
    )
    assert clean_html(written) == (
        written.replace(' style="min-width: 50px"', "").replace(' style="min-width: 25px"', "")
    )
