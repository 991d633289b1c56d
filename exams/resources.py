"""The question bank in a spreadsheet, one row per question with its choices (django-import-export).

Columns: id (blank for a new question), type (R, C, N, E), question_html, subject ("Physics / Optics",
or a name found anywhere in the tree; created when missing), difficulty, marks, negative_marks,
explanation_html, numerical_answer, numerical_tolerance, choice_1 … choice_6 and correct, the numbers
of the correct choices ("1" for R; "1, 3" for C). The export writes the same columns, so an exported
file imports back unchanged.
"""

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export.fields import Field

from testpress.resources import AllOrNothingResource, cell_text

from .choices import QuestionType
from .models import Answer, Question, Subject
from .selectors import link_subject_tree

MAX_CHOICES = 6
CHOICE_COLUMNS = [f"choice_{number}" for number in range(1, MAX_CHOICES + 1)]
CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE)
SUBJECT_SEPARATOR = " / "


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


class QuestionResource(AllOrNothingResource):
    subject = Field(column_name="subject")
    choice_1 = _choice_field(1)
    choice_2 = _choice_field(2)
    choice_3 = _choice_field(3)
    choice_4 = _choice_field(4)
    choice_5 = _choice_field(5)
    choice_6 = _choice_field(6)
    correct = Field(column_name="correct")

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
        ]
        import_id_fields = ["id"]
        # The model's validation names an unknown type or difficulty, a negative mark.
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # A file of new questions may leave the id column out.
        if "id" not in dataset.headers:
            dataset.insert_col(0, [""] * dataset.height, header="id")

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        row["id"] = cell_text(row.get("id"))
        if row["id"] and not row["id"].isdigit():
            raise ValidationError({"id": "An id is a question's number; leave it blank for a new question."})
        if "type" in row:
            row["type"] = cell_text(row["type"]).upper()
        if "difficulty" in row:
            row["difficulty"] = cell_text(row["difficulty"]).lower()

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
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        if "subject" in row:
            instance.subject = subject_at_path(cell_text(row["subject"]))
        super().save_instance(instance, is_create, row, **kwargs)
        choices = choices_in_row({**row, "type": instance.type})
        if choices is not None:
            self._replace_choices(instance, choices)

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
        return queryset.prefetch_related("answers")

    def dehydrate_subject(self, question):
        if question.subject_id is None:
            return ""
        paths = getattr(self, "_subject_paths", {})
        return paths.get(question.subject_id) or str(question.subject)

    def dehydrate_correct(self, question):
        return ", ".join(str(n) for n, answer in enumerate(question.answers.all(), 1) if answer.is_correct)
