"""One factory per model; SubFactory chains keep relations consistent."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Batch, User
from attempts.choices import AttemptState
from attempts.models import Attempt, AttemptItem
from attempts.tallies import tally_key, tally_move
from exams.choices import QuestionType
from exams.models import (
    AccessCode,
    Answer,
    Course,
    Direction,
    Exam,
    ExamLanguage,
    ExamQuestion,
    Language,
    Question,
    QuestionTranslation,
    Section,
    Subject,
)
from exams.services import question_translation_save


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Batch {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"student{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Asha"
    last_name = factory.Sequence(lambda n: f"Learner{n}")
    phone = factory.Sequence(lambda n: f"98450{n:05d}")
    password = factory.django.Password("demo-pass-123")

    class Params:
        # A superuser: every permission. For staff with some, UserFactory(is_staff=True, permissions=[...]).
        staff = factory.Trait(
            is_staff=True, is_superuser=True, username=factory.Sequence(lambda n: f"staff{n}")
        )

    @factory.post_generation
    def batches(self, create, extracted, **kwargs):
        if create and extracted:
            self.batches.set(extracted)

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        """Model permissions by their "app_label.codename", as has_perm() names them."""
        if create and extracted:
            self.user_permissions.set(permissions_named(extracted))


def permissions_named(names) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Course {n}")


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Subject {n}")
    parent = None


class ExamFactory(factory.django.DjangoModelFactory):
    """A published exam that opened yesterday, closes in a week and lasts 30 minutes."""

    class Meta:
        model = Exam
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Mock Test {n}")
    slug = factory.Sequence(lambda n: f"mock-test-{n}")
    course = factory.SubFactory(CourseFactory)
    start_date = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    end_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    duration = timedelta(minutes=30)
    mark_per_question = Decimal("1.00")
    negative_marks = Decimal("0.00")
    published = True

    class Params:
        upcoming = factory.Trait(
            start_date=factory.LazyFunction(lambda: timezone.now() + timedelta(days=2)),
            end_date=factory.LazyFunction(lambda: timezone.now() + timedelta(days=9)),
        )
        closed = factory.Trait(
            start_date=factory.LazyFunction(lambda: timezone.now() - timedelta(days=9)),
            end_date=factory.LazyFunction(lambda: timezone.now() - timedelta(days=2)),
        )

    @factory.post_generation
    def batches(self, create, extracted, **kwargs):
        if create and extracted:
            self.batches.set(extracted)


class AccessCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessCode

    exam = factory.SubFactory(ExamFactory)
    code = factory.Sequence(lambda n: f"CODE-{n}")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    exam = factory.SubFactory(ExamFactory)
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Section {n}")


class DirectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Direction

    html = "<p>Read the passage and answer the questions that follow.</p>"


class QuestionFactory(factory.django.DjangoModelFactory):
    """A single-correct (R) question; use with_choices=N to add N choices, the first one correct."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    question_html = factory.Sequence(lambda n: f"<p>Question {n}?</p>")
    type = QuestionType.SINGLE
    subject = factory.SubFactory(SubjectFactory)
    explanation_html = "<p>Because.</p>"

    class Params:
        numerical = factory.Trait(type=QuestionType.NUMERICAL, numerical_answer=Decimal("9.81"))
        essay = factory.Trait(type=QuestionType.ESSAY)
        multiple = factory.Trait(type=QuestionType.MULTIPLE)

    @factory.post_generation
    def with_choices(self, create, extracted, **kwargs):
        if create and extracted:
            correct = kwargs.get("correct", 1)
            for i in range(extracted):
                AnswerFactory(
                    question=self, order=i, is_correct=i < correct, text_html=f"<p>Choice {i + 1}</p>"
                )


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    question = factory.SubFactory(QuestionFactory)
    text_html = factory.Sequence(lambda n: f"<p>Choice {n}</p>")
    is_correct = False
    order = factory.Sequence(lambda n: n)


class ExamQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamQuestion

    exam = factory.SubFactory(ExamFactory)
    question = factory.SubFactory(QuestionFactory, with_choices=4)
    order = factory.Sequence(lambda n: n)


class AttemptFactory(factory.django.DjangoModelFactory):
    """A running attempt; `completed=True` for a finished one (scores as given, not computed)."""

    class Meta:
        model = Attempt

    exam = factory.SubFactory(ExamFactory)
    user = factory.SubFactory(UserFactory)
    attempt_number = 1
    state = AttemptState.RUNNING
    date = factory.LazyFunction(timezone.now)
    last_started_time = factory.SelfAttribute("date")
    clock_checked_at = factory.SelfAttribute("date")

    class Params:
        completed = factory.Trait(
            state=AttemptState.COMPLETED,
            completed_at=factory.LazyFunction(timezone.now),
            clock_checked_at=None,
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Written here rather than by the services: count a completed first attempt in its score
        # tally as ending it would have (attempts/services.py _save_scored).
        attempt = super()._create(model_class, *args, **kwargs)
        tally_move(None, tally_key(attempt))
        return attempt


class AttemptItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttemptItem

    attempt = factory.SubFactory(AttemptFactory)
    question = factory.SubFactory(QuestionFactory, with_choices=4)
    order = factory.Sequence(lambda n: n)


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "en"
    title = "English"


def language(code: str) -> Language:
    """English and Hindi by their titles, other codes titled by their code."""
    titles = {"en": "English", "hi": "हिन्दी"}
    return LanguageFactory(code=code, title=titles.get(code, code.upper()))


def offer_in(exam: Exam, *codes: str) -> list[ExamLanguage]:
    """List these languages on the exam, in this order, after those it lists already."""
    start = exam.exam_languages.count()
    return [
        ExamLanguage.objects.create(exam=exam, language=language(code), order=start + i)
        for i, code in enumerate(codes)
    ]


def translate(
    question: Question, code: str = "hi", *, direction=None, choices=None, **fields
) -> QuestionTranslation:
    """`question` in `code`, through the service: "<p>[hi] question 7</p>", "<p>[hi] choice 12</p>"
    (its id) unless given."""
    translation = QuestionTranslation(
        question=question,
        language=language(code),
        question_html=fields.pop("question_html", f"<p>[{code}] question {question.pk}</p>"),
        explanation_html=fields.pop("explanation_html", f"<p>[{code}] explanation</p>"),
        direction=direction,
    )
    if choices is None:
        choices = [
            f"<p>[{code}] {answer.text_html}</p>" for answer in question.answers.order_by("order", "id")
        ]
    return question_translation_save(translation=translation, choices=choices)
