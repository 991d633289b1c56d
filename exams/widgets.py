"""The rich-text editor staff write questions, choices, directions and explanations with in the admin.

django-prose-editor (Tiptap) with the formatting questions use, tables, images uploaded to the media
storage (exams/static/exams/editor/image-upload.js) and formulas written in LaTeX
(exams/static/exams/editor/math.js), shown by KaTeX as they are typed. The editor writes HTML; the
models clean it on save (exams/html.py), so what is stored never depends on the editor.

A formula is stored as `<span class="math-tex">\\(x^2\\)</span>` (`\\[...\\]` on its own line): the
markup the Testpress apps already render, and plain LaTeX for any other client.
"""

from django import forms
from django.urls import reverse_lazy
from django_prose_editor.widgets import AdminProseEditorWidget

# The editor's buttons; the HTML they make is within exams/html.py's allow-list.
EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "Link": {"enableTarget": False},
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
    # Inline: an image sits in the line of text it belongs to, as in the questions already stored.
    "Image": {"inline": True},
    "ImageUpload": {"url": reverse_lazy("admin:exams_question_upload_image")},
    "Math": True,
    # The HTML source, for pasting a question written elsewhere.
    "HTML": True,
}

KATEX = [
    "vendor/katex/katex.min.js",
    # \ce{H2O}: chemistry, as JEE and NEET questions write it.
    "vendor/katex/contrib/mhchem.min.js",
]


class QuestionHtmlEditor(AdminProseEditorWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, preset="configurable", config={"extensions": EXTENSIONS})

    @property
    def media(self):
        # KaTeX before the editor's modules (which run once the page is parsed): formulas show rendered.
        katex = forms.Media(css={"all": ["vendor/katex/katex.min.css", "exams/editor/editor.css"]}, js=KATEX)
        return katex + super().media
