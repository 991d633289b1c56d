"""Demo data a new user can explore at once; running it again changes nothing.

Every attempt is taken through the same services the API uses (create, save answers on the server
clock, end), so the demo's scores, ranks and percentiles are computed, not typed in.

    manage.py seed_demo                    # once, or again: nothing changes
    manage.py seed_demo --reset-attempts   # the demo users' attempts taken afresh (walkthrough again)

It refuses to run under production settings (settings.PRODUCTION) without --force: it makes a
superuser whose password is "demo". The addresses it prints follow the ADDRESS variable that
`make run` passes to runserver as well.
"""

import os
import random
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Batch
from attempts import services
from attempts.models import Attempt
from exams.choices import Difficulty, QuestionType, TemplateType
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

User = get_user_model()
PASSWORD = "demo"
# Where runserver listens unless ADDRESS says otherwise (the Makefile's default too).
DEFAULT_ADDRESS = "127.0.0.1:8000"
# Opens the Evening batch's exam to a student of another batch (POST its attempts_url with it).
EVENING_ACCESS_CODE = "EVENING-SPECIAL"
# The role of a demo user who holds every permission; staff with some hold a Group's.
SUPERUSER = "superuser"


@dataclass
class Q:
    """A demo question: choices are (text, is_correct); numerical questions give `value`."""

    text: str
    type: str = QuestionType.SINGLE
    choices: list[tuple[str, bool]] = field(default_factory=list)
    value: str | None = None
    tolerance: str = "0"
    subject: str = "Arithmetic"
    difficulty: str = Difficulty.MEDIUM
    explanation: str = ""
    marks: str = "1.00"
    negative: str = "0.00"
    section: int = 0
    # The question in Hindi: (text, choice texts in the same order, explanation).
    hindi: tuple[str, list[str], str] | None = None


APTITUDE = [
    Q(
        "<p>A train covers 180 km in 3 hours. What is its average speed?</p>",
        choices=[("50 km/h", False), ("60 km/h", True), ("65 km/h", False), ("90 km/h", False)],
        subject="Arithmetic",
        difficulty=Difficulty.EASY,
        explanation="<p>180 / 3 = 60 km/h.</p>",
    ),
    Q(
        "<p>What is 15% of 240?</p>",
        choices=[("24", False), ("32", False), ("36", True), ("40", False)],
        subject="Percentages",
        difficulty=Difficulty.EASY,
        explanation="<p>0.15 × 240 = 36.</p>",
    ),
    Q(
        "<p>Which of these numbers are prime?</p>",
        type=QuestionType.MULTIPLE,
        choices=[("2", True), ("9", False), ("11", True), ("21", False)],
        subject="Number system",
        difficulty=Difficulty.MEDIUM,
        explanation="<p>2 and 11 have no divisors but 1 and themselves; 9 = 3×3, 21 = 3×7.</p>",
    ),
    Q(
        "<p>Simple interest on ₹5,000 at 8% a year for 3 years, in rupees?</p>",
        type=QuestionType.NUMERICAL,
        value="1200",
        subject="Arithmetic",
        difficulty=Difficulty.MEDIUM,
        explanation="<p>5000 × 8 × 3 / 100 = 1200.</p>",
    ),
    Q(
        "<p>If all roses are flowers and some flowers fade quickly, which must be true?</p>",
        choices=[
            ("All roses fade quickly", False),
            ("Some roses fade quickly", False),
            ("No conclusion about roses fading follows", True),
            ("No rose fades", False),
        ],
        subject="Syllogisms",
        difficulty=Difficulty.HARD,
        section=1,
        explanation="<p>The flowers that fade may not include any rose.</p>",
    ),
    Q(
        "<p>In a short paragraph, explain why a budget deficit can raise interest rates.</p>",
        type=QuestionType.ESSAY,
        subject="Syllogisms",
        difficulty=Difficulty.HARD,
        section=1,
        marks="2.00",
    ),
]

PHYSICS = [
    Q(
        "<p>The SI unit of force is</p>",
        choices=[("joule", False), ("newton", True), ("watt", False), ("pascal", False)],
        subject="Mechanics",
        difficulty=Difficulty.EASY,
        marks="4.00",
        negative="1.00",
        explanation="<p>1 N = 1 kg·m/s².</p>",
    ),
    Q(
        "<p>Which quantities are vectors?</p>",
        type=QuestionType.MULTIPLE,
        choices=[("velocity", True), ("mass", False), ("force", True), ("energy", False)],
        subject="Mechanics",
        difficulty=Difficulty.MEDIUM,
        marks="4.00",
        negative="2.00",
        explanation="<p>Velocity and force have a direction; mass and energy do not.</p>",
    ),
    Q(
        "<p>Acceleration due to gravity near the Earth's surface, in m/s² (two decimals)?</p>",
        type=QuestionType.NUMERICAL,
        value="9.81",
        tolerance="0.05",
        subject="Mechanics",
        difficulty=Difficulty.EASY,
        marks="4.00",
        negative="0.00",
        explanation="<p>g ≈ 9.81 m/s²; answers from 9.76 to 9.86 are accepted.</p>",
    ),
    Q(
        "<p>A lens of focal length 50 cm has a power of</p>",
        choices=[("+0.5 D", False), ("+2 D", True), ("+5 D", False), ("+20 D", False)],
        subject="Optics",
        difficulty=Difficulty.MEDIUM,
        marks="4.00",
        negative="1.00",
        explanation="<p>P = 1/f = 1/0.5 m = 2 dioptres.</p>",
    ),
]

REASONING = [
    Q(
        "<p>Find the odd one out: 3, 5, 7, 9, 11</p>",
        choices=[("3", False), ("7", False), ("9", True), ("11", False)],
        subject="Series",
    ),
]

# An English/Hindi paper: each question with its Hindi translation, on the same choices.
GENERAL_AWARENESS = [
    Q(
        "<p>A train covers 180 km in 3 hours. What is its average speed?</p>",
        choices=[("50 km/h", False), ("60 km/h", True), ("65 km/h", False), ("90 km/h", False)],
        subject="Arithmetic",
        difficulty=Difficulty.EASY,
        explanation="<p>180 ÷ 3 = 60 km/h.</p>",
        hindi=(
            "<p>एक रेलगाड़ी 3 घंटे में 180 किमी की दूरी तय करती है। उसकी औसत गति क्या है?</p>",
            ["50 किमी/घंटा", "60 किमी/घंटा", "65 किमी/घंटा", "90 किमी/घंटा"],
            "<p>180 ÷ 3 = 60 किमी/घंटा।</p>",
        ),
    ),
    Q(
        "<p>What is 15% of 240?</p>",
        choices=[("24", False), ("32", False), ("36", True), ("40", False)],
        subject="Percentages",
        difficulty=Difficulty.EASY,
        explanation="<p>0.15 × 240 = 36.</p>",
        hindi=("<p>240 का 15% कितना होता है?</p>", ["24", "32", "36", "40"], "<p>0.15 × 240 = 36।</p>"),
    ),
    Q(
        "<p>Which city is the capital of India?</p>",
        choices=[("Mumbai", False), ("New Delhi", True), ("Kolkata", False), ("Chennai", False)],
        subject="General knowledge",
        difficulty=Difficulty.EASY,
        explanation="<p>New Delhi is the capital of India.</p>",
        hindi=(
            "<p>भारत की राजधानी कौन-सा शहर है?</p>",
            ["मुंबई", "नई दिल्ली", "कोलकाता", "चेन्नई"],
            "<p>नई दिल्ली भारत की राजधानी है।</p>",
        ),
    ),
    Q(
        "<p>How many days are there in a leap year?</p>",
        choices=[("364", False), ("365", False), ("366", True), ("367", False)],
        subject="General knowledge",
        difficulty=Difficulty.EASY,
        explanation="<p>February has 29 days in a leap year, so the year has 366 days.</p>",
        hindi=(
            "<p>अधिवर्ष (लीप वर्ष) में कितने दिन होते हैं?</p>",
            ["364", "365", "366", "367"],
            "<p>अधिवर्ष में फ़रवरी 29 दिन की होती है, इसलिए वर्ष में 366 दिन होते हैं।</p>",
        ),
    ),
    Q(
        "<p>Which planet is known as the Red Planet?</p>",
        choices=[("Venus", False), ("Mars", True), ("Jupiter", False), ("Saturn", False)],
        subject="General knowledge",
        difficulty=Difficulty.MEDIUM,
        explanation="<p>Iron oxide on its surface makes Mars look red.</p>",
        hindi=(
            "<p>किस ग्रह को लाल ग्रह कहा जाता है?</p>",
            ["शुक्र", "मंगल", "बृहस्पति", "शनि"],
            "<p>मंगल की सतह पर लौह ऑक्साइड के कारण वह लाल दिखाई देता है।</p>",
        ),
    ),
]

# Three timed sections of two questions each, taken one after the other.
SECTIONAL = [
    replace(APTITUDE[0], section=0),
    replace(APTITUDE[1], section=0),
    replace(APTITUDE[4], section=1),
    replace(REASONING[0], section=1),
    replace(APTITUDE[2], section=2),
    replace(APTITUDE[3], section=2),
]
SECTIONAL_PARTS = [
    (
        "Quantitative aptitude",
        timedelta(minutes=4),
        "<p>Two arithmetic questions. ¼ mark off for a wrong answer.</p>",
    ),
    ("Reasoning", timedelta(minutes=3), "<p>Read each statement as true, however odd.</p>"),
    ("Numbers", timedelta(minutes=3), "<p>Type numerical answers as plain numbers, without units.</p>"),
]

SUBJECT_PARENTS = {
    "General knowledge": "General awareness",
    "Arithmetic": "Quantitative aptitude",
    "Percentages": "Quantitative aptitude",
    "Number system": "Quantitative aptitude",
    "Syllogisms": "Reasoning",
    "Series": "Reasoning",
    "Mechanics": "Physics",
    "Optics": "Physics",
}


def _section_fields(part) -> dict:
    """A section given as its name, or as (name, duration, instructions) for one timed on its own."""
    if isinstance(part, str):
        return {"name": part}
    name, duration, instructions = part
    return {"name": name, "duration": duration, "instructions": instructions}


# Hosts that mean "every interface" to runserver, and the loopback address that reaches each here.
EVERY_INTERFACE = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def _host_and_port(address: str) -> tuple[str, str]:
    """runserver's "[addr:]port": "8000", "0.0.0.0:8000", "[::]:8000", "localhost:9000"."""
    host, _, port = address.strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", port or "8000"


def browse_url(address: str) -> str:
    """The URL a browser on this machine opens for runserver listening at `address`.

    A server listening on every interface is reached here at the loopback address:
    "0.0.0.0:9000" gives http://127.0.0.1:9000/, "8000" http://127.0.0.1:8000/.
    """
    host, port = _host_and_port(address)
    host = EVERY_INTERFACE.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


class Command(BaseCommand):
    help = "Create demo users, batches, courses, exams with questions, and scored attempts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-attempts",
            action="store_true",
            help="Delete the demo users' attempts of the demo exams and take the demo's own again, so that "
            "the walkthrough's exam is available to testpress once more.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run under production settings too (it creates a superuser whose password is 'demo').",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                f"These are production settings ({settings.SETTINGS_MODULE}): seed_demo would add demo "
                f"users whose password is '{PASSWORD}', a superuser among them. Use --force if you mean it."
            )
        now = timezone.now()
        with transaction.atomic():
            users = self._users()
            exams = self._exams(now, users)
        if options["reset_attempts"]:
            mine = Attempt.objects.filter(user__in=users.values(), exam__in=exams.values())
            # Each deleted attempt leaves its score tally on the way out (attempts/signals.py).
            _, deleted = mine.delete()
            count = deleted.get(Attempt._meta.label, 0)
            self.stdout.write(f"Deleted {count} attempts of the demo users; taking the demo's again.")
        self._attempts(now, users, exams)
        self._print_welcome(os.environ.get("ADDRESS") or DEFAULT_ADDRESS)

    def _print_welcome(self, address: str) -> None:
        url = browse_url(address)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. The server: {url}"))
        self.stdout.write(f"  staff console   {url}admin/")
        self.stdout.write(f"  student API     {url}api/v2.1/")
        host, port = _host_and_port(address)
        if host in EVERY_INTERFACE:
            self.stdout.write(
                f"  other devices   http://<this machine's address>:{port}/ (that address in ALLOWED_HOSTS)"
            )
        self.stdout.write("Log in with:")
        self.stdout.write("  admin / demo       staff and superuser")
        self.stdout.write(
            "  teacher / demo     staff in the Teachers group: reads, enrols students, marks essays"
        )
        self.stdout.write("  testpress / demo   student, Morning batch")
        self.stdout.write("  demouser / demo    student, Evening batch")
        self.stdout.write("  student1..5 / demo more students, so ranks and percentiles mean something")
        self.stdout.write(
            "Take the demo's attempts afresh (the walkthrough again): manage.py seed_demo --reset-attempts"
        )

    def _users(self) -> dict[str, User]:
        morning, _ = Batch.objects.get_or_create(name="Morning batch")
        evening, _ = Batch.objects.get_or_create(name="Evening batch")
        teachers = self._teachers()
        specs = [
            ("admin", "Institute", "Admin", "", SUPERUSER, []),
            ("teacher", "Class", "Teacher", "", teachers, []),
            ("testpress", "Test", "Press", "9876500001", None, [morning]),
            ("demouser", "Demo", "User", "", None, [evening]),
        ] + [(f"student{i}", f"Student{i}", "Demo", f"98765000{i:02d}", None, [morning]) for i in range(1, 6)]
        users = {}
        for username, first, last, phone, staff, batches in specs:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "phone": phone,
                    "email": f"{username}@demo.testpress.local",
                    "is_staff": staff is not None,
                    "is_superuser": staff is SUPERUSER,
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save()
                user.batches.set(batches)
                if isinstance(staff, Group):
                    user.groups.add(staff)
            users[username] = user
        return users

    def _teachers(self) -> Group:
        """Staff with some rights, not all: what the admin and the admin API let them do follows these."""
        group, _ = Group.objects.get_or_create(name="Teachers")
        codenames = {
            "accounts": ["view_user", "add_user", "change_user", "view_batch"],
            "exams": ["view_exam", "view_section", "view_question", "view_answer", "view_subject"],
            # change_attempt: the essays' marks, and ending or re-scoring attempts.
            "attempts": ["view_attempt", "change_attempt", "view_attemptitem"],
        }
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, names in codenames.items()
                for codename in names
            ]
        )
        return group

    def _exams(self, now, users) -> dict[str, Exam]:
        banking, _ = Course.objects.get_or_create(name="Banking")
        engineering, _ = Course.objects.get_or_create(name="Engineering entrance")
        evening = Batch.objects.get(name="Evening batch")
        exams = {
            "aptitude": self._exam(
                "quantitative-aptitude-mock-1",
                APTITUDE,
                title="Quantitative Aptitude Mock 1",
                course=banking,
                start_date=now - timedelta(days=2),
                end_date=now + timedelta(days=30),
                duration=timedelta(minutes=30),
                negative_marks=Decimal("0.25"),
                pass_percentage=Decimal("40"),
                enable_ranks=True,
                rank_publishing_date=now - timedelta(days=2),
                template_type=TemplateType.TEMPLATE_2,
                description="Arithmetic and reasoning, 30 minutes, ¼ mark off for a wrong answer.",
                sections=["Quantitative aptitude", "Reasoning"],
            ),
            "physics": self._exam(
                "physics-full-test",
                PHYSICS,
                title="Physics Full Test",
                course=engineering,
                start_date=now - timedelta(days=10),
                end_date=now + timedelta(days=20),
                duration=timedelta(hours=1),
                variable_mark_per_question=True,
                pass_percentage=Decimal("35"),
                allow_retake=True,
                max_retakes=2,
                enable_ranks=True,
                rank_publishing_date=now - timedelta(days=1),
                description="Marks per question: +4, with negative marks on choice questions.",
            ),
            "reasoning": self._exam(
                "reasoning-weekly-test",
                REASONING,
                title="Reasoning Weekly Test",
                course=banking,
                start_date=now + timedelta(days=3),
                end_date=now + timedelta(days=10),
                duration=timedelta(minutes=20),
            ),
            "evening": self._exam(
                "evening-batch-special",
                APTITUDE[:2],
                title="Evening Batch Special",
                course=banking,
                start_date=now - timedelta(days=1),
                end_date=now + timedelta(days=5),
                duration=timedelta(minutes=15),
                batches=[evening],
            ),
            # Strict timer: the clock runs from the start whether or not the app is open.
            "strict": self._exam(
                "strict-timer-sprint",
                APTITUDE[:3],
                title="Strict Timer Sprint",
                course=banking,
                start_date=now - timedelta(days=1),
                end_date=now + timedelta(days=30),
                duration=timedelta(minutes=10),
                disable_attempt_resume=True,
                description="10 minutes from the moment you start, whether or not the app is open.",
            ),
            # Timed by section: each part has its own clock and is taken in order; a part may end early.
            "sectional": self._exam(
                "sectional-mock-test",
                SECTIONAL,
                title="Sectional Mock Test",
                course=banking,
                start_date=now - timedelta(days=1),
                end_date=now + timedelta(days=30),
                duration=sum((duration for _, duration, _ in SECTIONAL_PARTS), timedelta(0)),
                negative_marks=Decimal("0.25"),
                allow_preemptive_section_ending=True,
                description="Three timed parts of 4, 3 and 3 minutes, taken in order; a part may end early.",
                sections=SECTIONAL_PARTS,
            ),
            # Scores hidden: the student sees "NA" for the score of a finished attempt.
            "scoreless": self._exam(
                "practice-set-scores-hidden",
                REASONING + APTITUDE[:2],
                title="Practice Set (scores hidden)",
                course=banking,
                start_date=now - timedelta(days=5),
                end_date=now + timedelta(days=30),
                duration=timedelta(minutes=15),
                show_score=False,
                description="Practice only: your score is not shown.",
            ),
            # Offline: the app downloads the paper, the answers come later in one submission.
            "offline": self._exam(
                "offline-mock-test",
                APTITUDE[:4],
                title="Offline Mock Test",
                course=banking,
                start_date=now - timedelta(days=1),
                end_date=now + timedelta(days=30),
                duration=timedelta(minutes=20),
                is_offline_exam=True,
                grace_duration_for_offline_submission=60,
                description="Download it, write it offline, send the answers when you are back online.",
            ),
            # English and Hindi: every question has its Hindi translation on the same choices.
            "bilingual": self._exam(
                "general-awareness-english-hindi",
                GENERAL_AWARENESS,
                title="General Awareness (English / हिन्दी)",
                course=banking,
                start_date=now - timedelta(days=1),
                end_date=now + timedelta(days=30),
                duration=timedelta(minutes=15),
                languages=[("en", "English"), ("hi", "हिन्दी")],
                description="Five questions in English and Hindi: switch language any time; answers stay.",
            ),
        }
        # testpress (Morning batch) may open the Evening batch's exam with this code.
        AccessCode.objects.get_or_create(code=EVENING_ACCESS_CODE, defaults={"exam": exams["evening"]})
        return exams

    def _exam(self, slug, questions, *, sections=("Main",), batches=(), languages=(), **fields) -> Exam:
        exam, created = Exam.objects.get_or_create(slug=slug, defaults={**fields, "published": True})
        if not created:
            return exam
        exam.batches.set(batches)
        for order, (code, title) in enumerate(languages):
            language, _ = Language.objects.get_or_create(code=code, defaults={"title": title})
            ExamLanguage.objects.create(exam=exam, language=language, order=order)
        section_rows = [
            Section.objects.create(exam=exam, order=i + 1, **_section_fields(part))
            for i, part in enumerate(sections)
        ]
        direction = None
        for order, spec in enumerate(questions, start=1):
            if spec.subject == "Syllogisms" and direction is None:
                direction = Direction.objects.create(html="<p>Read each statement as true, however odd.</p>")
            question = Question.objects.create(
                question_html=spec.text,
                type=spec.type,
                subject=self._subject(spec.subject),
                difficulty=spec.difficulty,
                explanation_html=spec.explanation,
                marks=Decimal(spec.marks),
                negative_marks=Decimal(spec.negative),
                numerical_tolerance=Decimal(spec.tolerance),
                numerical_answer=Decimal(spec.value) if spec.value else None,
                direction=direction if spec.subject == "Syllogisms" else None,
                language=Language.objects.get(code="en") if spec.hindi else None,
            )
            Answer.objects.bulk_create(
                Answer(question=question, text_html=text, is_correct=ok, order=i)
                for i, (text, ok) in enumerate(spec.choices)
            )
            if spec.hindi:
                text, choices, explanation = spec.hindi
                translation = QuestionTranslation(
                    question=question, language_id="hi", question_html=text, explanation_html=explanation
                )
                question_translation_save(translation=translation, choices=choices)
            ExamQuestion.objects.create(
                exam=exam,
                question=question,
                order=order,
                section=section_rows[min(spec.section, len(section_rows) - 1)],
            )
        return exam

    def _subject(self, name: str) -> Subject:
        parent, _ = Subject.objects.get_or_create(name=SUBJECT_PARENTS[name], parent=None)
        subject, _ = Subject.objects.get_or_create(name=name, parent=parent)
        return subject

    def _attempts(self, now, users, exams):
        rng = random.Random(2015)
        # Other students' finished attempts give the aptitude exam's ranks something to rank.
        for username in ["demouser", "student1", "student2", "student3", "student4", "student5"]:
            self._take(
                exams["aptitude"], users[username], now - timedelta(days=1, hours=rng.randint(1, 20)), rng
            )
        for username in ["student1", "student2", "student3"]:
            self._take(exams["physics"], users[username], now - timedelta(days=rng.randint(3, 8)), rng)
        # testpress: a finished first attempt of physics (history) and a retake left running.
        self._take(exams["physics"], users["testpress"], now - timedelta(days=2), rng)
        self._take(
            exams["physics"],
            users["testpress"],
            now - timedelta(hours=3),
            rng,
            finish=False,
            attempt_number=2,
        )
        self._take(exams["evening"], users["demouser"], now - timedelta(hours=5), rng)
        self._take(exams["scoreless"], users["testpress"], now - timedelta(days=1), rng)

    def _take(self, exam, user, started, rng, *, finish=True, attempt_number=1):
        if Attempt.objects.filter(exam=exam, user=user, attempt_number=attempt_number).exists():
            return
        clock = started
        attempt = services.attempt_create(user=user, exam=exam, now=clock)
        for item in attempt.items.select_related("question").prefetch_related("question__answers"):
            clock += timedelta(seconds=rng.randint(30, 80))
            question = item.question
            if rng.random() < 0.15:
                continue  # left unanswered
            choices = list(question.answers.all())
            if question.type == QuestionType.NUMERICAL:
                right = rng.random() < 0.6
                value = question.numerical_answer if right else question.numerical_answer + 7
                services.attempt_save_item(
                    attempt=attempt, item=item, short_text=str(value.normalize()), now=clock
                )
            elif question.type == QuestionType.ESSAY:
                services.attempt_save_item(
                    attempt=attempt,
                    item=item,
                    now=clock,
                    essay_text="Borrowing to fund a deficit competes for savings, which pushes rates up.",
                )
            elif question.type == QuestionType.MULTIPLE:
                correct = [c.id for c in choices if c.is_correct]
                picked = correct if rng.random() < 0.5 else correct[:1]
                services.attempt_save_item(attempt=attempt, item=item, selected_answers=picked, now=clock)
            else:
                right = rng.random() < 0.65
                pick = next(c for c in choices if c.is_correct == right)
                services.attempt_save_item(
                    attempt=attempt,
                    item=item,
                    selected_answers=[pick.id],
                    review=rng.random() < 0.2,
                    now=clock,
                )
        if finish:
            services.attempt_end(attempt=attempt, now=clock + timedelta(seconds=30))
