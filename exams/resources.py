"""The question bank in a spreadsheet, one row per question with its choices (django-import-export).

Columns: id (blank for a new question), type (R, C, N, E), question_html, subject ("Physics / Optics",
or a name found anywhere in the tree; created when missing), difficulty, marks, negative_marks,
explanation_html, numerical_answer, numerical_tolerance, choice_1 … choice_6 and correct, the numbers
of the correct choices ("1" for R; "1, 3" for C), and language, the code of the language the question
is written in (blank: the default). Then a column group per language staff have added, the question
in that language: question_html_hi, explanation_html_hi, choice_1_hi … choice_6_hi (the texts of the
question's own choices, in their order); a blank group is no translation. The export writes the same
columns, so an exported file imports back unchanged.
"""

import re
from functools import partial

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget

from testpress.resources import AllOrNothingResource, cell_text

from .choices import QuestionType
from .models import Answer, Language, Question, QuestionTranslation, Subject
from .selectors import link_subject_tree
from .services import question_translation_save, translated_choice_problems

MAX_CHOICES = 6
CHOICE_COLUMNS = [f"choice_{number}" for number in range(1, MAX_CHOICES + 1)]
CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE)
SUBJECT_SEPARATOR = " / "
# A language's column group: these columns with "_<code>" after them.
TRANSLATED_COLUMNS = ["question_html", "explanation_html", *CHOICE_COLUMNS]
TRANSLATED_COLUMN = re.compile(rf"^(?:{'|'.join(TRANSLATED_COLUMNS)})_(?P<code>.+)$")


def choices_in_row(row) -> list[tuple[str, bool]] | None:
    """The row's choices as (text, is correct); None when the file has no choice columns.

    Raises ValidationError keyed by column: a blank choice before a filled one, a correct number
    that names no choice, the wrong number of correct choices for the row's type.

    type R, choice_1 "2", choice_2 "4", correct "2" → [("2", False), ("4", True)].
    """
    if not any(column in row for column in [*CHOICE_COLUMNS, "correct"]):
        return None
    texts = [cell_text(row.get(column)) for column in CHOICE_COLUMNS]
    while texts and not texts[-1]:
        texts.pop()
    errors = {}
    for number, text in enumerate(texts, 1):
        if not text:
            errors[f"choice_{number}"] = "This choice is blank but a later one is filled in."
    correct = set()
    for token in re.split(r"[,;\s]+", cell_text(row.get("correct"))):
        if not token:
            continue
        if not re.fullmatch(r"\d+", token):
            errors["correct"] = f"“{token}” is not a choice number; write the numbers of the correct choices."
        elif not 1 <= int(token) <= len(texts):
            errors["correct"] = f"There is no choice {token} (this row has {len(texts)})."
        else:
            correct.add(int(token))
    kind = cell_text(row.get("type"))
    if not errors:
        if kind in CHOICE_TYPES and len(texts) < 2:
            errors["choice_2"] = "A choice question needs at least two choices."
        elif kind == QuestionType.SINGLE and len(correct) != 1:
            errors["correct"] = f"A single-choice (R) question has one correct choice, not {len(correct)}."
        elif kind == QuestionType.MULTIPLE and not correct:
            errors["correct"] = "Give the number of at least one correct choice."
        elif kind not in CHOICE_TYPES and (texts or correct):
            errors["choice_1"] = f"A {QuestionType(kind).label.lower()} question has no choices."
    if errors:
        raise ValidationError(errors)
    return [(text, number in correct) for number, text in enumerate(texts, 1)]


def subject_at_path(path: str) -> Subject | None:
    """The subject a cell names, creating what is missing: "Physics / Optics" walks the tree from its
    root; a single name is the one subject of that name anywhere, or a new root."""
    names = [name.strip() for name in path.split(SUBJECT_SEPARATOR.strip()) if name.strip()]
    if not names:
        return None
    if len(names) == 1:
        matches = list(Subject.objects.filter(name=names[0])[:2])
        if len(matches) > 1:
            raise ValidationError({"subject": f"Several subjects are named “{names[0]}”; give its path."})
        if matches:
            return matches[0]
    subject = None
    for name in names:
        parent = subject
        subject = Subject.objects.filter(parent=parent, name=name).order_by("pk").first()
        subject = subject or Subject.objects.create(parent=parent, name=name)
    return subject


def _choice_field(number: int) -> Field:
    def text(question):
        answers = list(question.answers.all())
        return answers[number - 1].text_html if number <= len(answers) else ""

    return Field(column_name=f"choice_{number}", dehydrate_method=text)


def translation_in_row(row, code: str, *, choice_count: int) -> tuple[str, str, list[str]] | None:
    """The row's question in `code` as (question_html, explanation_html, choice texts); None when its
    group is blank (no translation). ValidationError keyed by column when it does not translate the
    question's `choice_count` choices one for one, or has choices but no question."""
    cells = {column: cell_text(row.get(f"{column}_{code}")) for column in TRANSLATED_COLUMNS}
    if not any(cells.values()):
        return None
    choices = [cells[column] for column in CHOICE_COLUMNS]
    errors = {
        f"choice_{number}_{code}": message
        for number, message in translated_choice_problems(texts=choices, choice_count=choice_count).items()
    }
    if not cells["question_html"]:
        errors[f"question_html_{code}"] = (
            f"Give the question in “{code}”, or leave its “{code}” columns blank."
        )
    if errors:
        raise ValidationError(errors)
    return cells["question_html"], cells["explanation_html"], choices[:choice_count]


class QuestionResource(AllOrNothingResource):
    subject = Field(column_name="subject")
    choice_1 = _choice_field(1)
    choice_2 = _choice_field(2)
    choice_3 = _choice_field(3)
    choice_4 = _choice_field(4)
    choice_5 = _choice_field(5)
    choice_6 = _choice_field(6)
    correct = Field(column_name="correct")
    language = Field(
        attribute="language", column_name="language", widget=ForeignKeyWidget(Language, field="code")
    )

    class Meta:
        model = Question
        fields = [
            "id",
            "type",
            "question_html",
            "subject",
            "difficulty",
            "marks",
            "negative_marks",
            "explanation_html",
            "numerical_answer",
            "numerical_tolerance",
            *CHOICE_COLUMNS,
            "correct",
            "language",
        ]
        import_id_fields = ["id"]
        # The model's validation names an unknown type or difficulty, a negative mark.
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Headers are read lower-cased, so a group's columns are named by the lower-cased code.
        self.language_codes = {code.lower(): code for code in Language.objects.values_list("code", flat=True)}
        for suffix, code in self.language_codes.items():
            for column in TRANSLATED_COLUMNS:
                name = f"{column}_{suffix}"
                self.fields[name] = Field(
                    column_name=name, dehydrate_method=partial(translated_cell, column, code)
                )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # A file of new questions may leave the id column out.
        if "id" not in dataset.headers:
            dataset.insert_col(0, [""] * dataset.height, header="id")
        unknown = sorted(
            {
                match["code"]
                for header in dataset.headers
                if (match := TRANSLATED_COLUMN.match(header)) and match["code"] not in self.language_codes
            }
        )
        if unknown:
            # Its columns would be skipped without a word, and the translations they hold lost.
            names = "”, “".join(unknown)
            raise ValueError(
                f"There is no language “{names}”: add it under Languages, or remove its columns."
            )

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        row["id"] = cell_text(row.get("id"))
        if row["id"] and not row["id"].isdigit():
            raise ValidationError({"id": "An id is a question's number; leave it blank for a new question."})
        if "type" in row:
            row["type"] = cell_text(row["type"]).upper()
        if "difficulty" in row:
            row["difficulty"] = cell_text(row["difficulty"]).lower()
        if row.get("language") and row["language"].lower() not in self.language_codes:
            raise ValidationError(
                {"language": f"There is no language “{row['language']}”: add it under Languages."}
            )
        if row.get("language"):
            row["language"] = self.language_codes[row["language"].lower()]

    def after_init_instance(self, instance, new, row, **kwargs):
        if new and row["id"]:
            raise ValidationError({"id": f"There is no question {row['id']}; leave id blank for a new one."})

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if instance.type not in QuestionType.values:
            # The model's own validation names the unknown type; choice rules would only add noise.
            if errors:
                raise ValidationError(errors)
            return
        if instance.type == QuestionType.NUMERICAL and instance.numerical_answer is None:
            errors.setdefault("numerical_answer", []).append("A numerical question needs its answer value.")
        try:
            choices = choices_in_row({**row, "type": instance.type})
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        else:
            for column, message in self._chosen_choices_left_out(instance, choices).items():
                errors.setdefault(column, []).append(message)
            for column, message in self._translation_problems(instance, row, choices).items():
                errors.setdefault(column, []).append(message)
        if errors:
            raise ValidationError(errors)

    def _groups_in_row(self, row) -> list[str]:
        """The language codes whose column group the file has (lower-cased, as its headers)."""
        return [suffix for suffix in self.language_codes if f"question_html_{suffix}" in row]

    def _translation_problems(self, question, row, choices) -> dict[str, str]:
        """Each language group of the row checked against the choices the question will have; and a
        change in how many choices it has refused while it has translations the file does not carry."""
        saved = list(question.answers.all()) if question.pk else []
        count = len(saved) if choices is None else len(choices)
        own = (question.language_id or "").lower() or None
        errors = {}
        groups = self._groups_in_row(row)
        for suffix in groups:
            try:
                translated = translation_in_row(row, suffix, choice_count=count)
            except ValidationError as exc:
                errors.update({column: " ".join(messages) for column, messages in exc.message_dict.items()})
                continue
            if translated and suffix == own:
                errors[f"question_html_{suffix}"] = (
                    "This is the question's own language (its language column)."
                )
        if question.pk and count != len(saved):
            missing = [
                code
                for code in question.translations.values_list("language_id", flat=True)
                if code.lower() not in groups
            ]
            if missing:
                errors[NON_FIELD_ERRORS] = (
                    f"The question has translations ({', '.join(missing)}) that this file does not carry: "
                    "add their columns, so that each gives the new choices their text too."
                )
        return errors

    def save_instance(self, instance, is_create, row, **kwargs):
        if "subject" in row:
            instance.subject = subject_at_path(cell_text(row["subject"]))
        super().save_instance(instance, is_create, row, **kwargs)
        choices = choices_in_row({**row, "type": instance.type})
        if choices is not None:
            self._replace_choices(instance, choices)
        self._save_translations(instance, row)

    def _save_translations(self, question, row) -> None:
        """Write each language group of the row onto the question's (just saved) choices; a blank group
        deletes that translation."""
        existing = {translation.language_id: translation for translation in question.translations.all()}
        count = question.answers.count()
        for suffix in self._groups_in_row(row):
            code = self.language_codes[suffix]
            translated = translation_in_row(row, suffix, choice_count=count)
            translation = existing.get(code)
            if translated is None:
                if translation is not None:
                    translation.delete()
                continue
            translation = translation or QuestionTranslation(question=question, language_id=code)
            translation.question_html, translation.explanation_html, choices = translated
            question_translation_save(translation=translation, choices=choices)

    @staticmethod
    def _chosen_choices_left_out(question, choices) -> dict[str, str]:
        """The question's choices past the row's last one that an attempt has chosen, by column.

        _replace_choices() would delete them, and an attempt's saved answer points at them by id.
        """
        if choices is None or question.pk is None:
            return {}
        answers = list(question.answers.all())
        chosen = Answer.objects.filter(pk__in=[a.pk for a in answers[len(choices) :]]).chosen_in_attempts()
        errors = {}
        for answer in chosen:
            number = answers.index(answer) + 1
            column = f"choice_{number}" if number <= MAX_CHOICES else NON_FIELD_ERRORS
            errors[column] = (
                f"Choice {number} “{answer.label}” has been chosen in an attempt, so the row must keep it "
                "(its text and whether it is correct may change)."
            )
        return errors

    @staticmethod
    def _replace_choices(question, choices: list[tuple[str, bool]]) -> None:
        """Rewrites the question's choices in place, so the ids that attempts saved as answers stay.

        The ones past the row's last choice are deleted, which Answer refuses for a chosen one.
        """
        answers = list(question.answers.all()) if question.pk else []
        for order, (text, is_correct) in enumerate(choices, 1):
            answer = answers[order - 1] if order <= len(answers) else Answer(question=question)
            answer.text_html, answer.is_correct, answer.order = text, is_correct, order
            answer.save()
        Answer.objects.filter(pk__in=[answer.pk for answer in answers[len(choices) :]]).delete()

    def before_export(self, queryset, **kwargs):
        self._subject_paths = {pk: str(subject) for pk, subject in link_subject_tree([]).items()}

    def filter_export(self, queryset, **kwargs):
        return queryset.prefetch_related("answers", "translations__answers")

    def dehydrate_subject(self, question):
        if question.subject_id is None:
            return ""
        paths = getattr(self, "_subject_paths", {})
        return paths.get(question.subject_id) or str(question.subject)

    def dehydrate_correct(self, question):
        return ", ".join(str(n) for n, answer in enumerate(question.answers.all(), 1) if answer.is_correct)


def translated_cell(column: str, code: str, question: Question) -> str:
    """The export's cell of `column` in `code`'s group: blank when the question has no such translation."""
    translation = next((t for t in question.translations.all() if t.language_id == code), None)
    if translation is None:
        return ""
    if column in ("question_html", "explanation_html"):
        return getattr(translation, column)
    texts = {row.answer_id: row.text_html for row in translation.answers.all()}
    answers = list(question.answers.all())
    number = int(column.removeprefix("choice_"))
    return texts.get(answers[number - 1].pk, "") if number <= len(answers) else ""
