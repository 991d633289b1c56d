"""Bulk data for load tests: exams with questions, students, and up to millions of scored attempts.

    manage.py seed_load --exams 2 --students 500000 --questions 20 --attempts 1000000

Unlike seed_demo, nothing goes through the services: rows are written in bulk (COPY on PostgreSQL,
bulk_create elsewhere), which is what makes a million attempts load in minutes. What keeps the data
honest is that every score comes from attempts.scoring's pure functions:

- Every completed attempt gets a result vector, one result per question (correct, incorrect or
  unanswered); its score, counts, percentage, accuracy, speed and pass/fail are attempt_totals of
  that vector, marked with item_marks. Items (AttemptItem rows) are written only for the first
  `--items-for` completed attempts of each exam, with the same vector: a million attempts × 20
  questions would be 20 million rows no endpoint under test reads. Attempts without items still
  carry the totals their vector gives, so ranks and the admin list are as they would be.
- Layout: attempt k goes to student k mod S, in round r = k div S; that student's exam is
  (student + r) mod E and its attempt_number r div E + 1, so (exam, user, attempt_number) never
  repeats, each student writes every exam once before retaking any, and the first attempts are
  the ranked ones. With S ≥ A/E every student writes each exam at most once.
- The last `--running` attempts are left Running (clock on, items unanswered), for benchmarks of
  heartbeat, answer save, the questions page and end.

Every run adds a new set (names carry a run tag), so it never collides with earlier data. Students'
password is `--password` (one hash for all: hashing a million passwords would take hours).
"""

import random
import secrets
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from attempts import scoring
from attempts.choices import AttemptResult, AttemptState, ItemResult
from attempts.models import Attempt, AttemptItem
from attempts.services import SCORE_FIELDS
from attempts.tallies import rebuild_tallies
from exams.choices import Difficulty, QuestionType
from exams.models import Answer, Course, Exam, ExamQuestion, Question, Section, Subject

User = get_user_model()

MARK = Decimal("4.00")
NEGATIVE = Decimal("1.00")
PASS_PERCENTAGE = Decimal("40.00")
DURATION = timedelta(hours=3)
CHOICES = 4
DIFFICULTIES = [Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD]
SUBJECTS = ["Physics", "Chemistry", "Mathematics", "Biology"]


def _progress(total: int, desc: str, *, stdout):
    """A tqdm bar when tqdm is installed (the `bench` extra), else a line per tenth."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _Lines(total, desc, stdout)
    return tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, mininterval=1.0)


class _Lines:
    def __init__(self, total, desc, stdout):
        self.total, self.desc, self.stdout, self.done, self.next_report = total, desc, stdout, 0, 0

    def update(self, n):
        self.done += n
        if self.done >= self.next_report or self.done >= self.total:
            self.stdout.write(f"{self.desc}: {self.done:,}/{self.total:,}")
            self.next_report = self.done + max(self.total // 10, 1)

    def close(self):
        pass


class BulkWriter:
    """Writes rows (tuples of field values, ids included) with COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.copy = connection.vendor == "postgresql"

    def next_id(self, model) -> int:
        return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1

    def write(self, model, fields: list[str], rows, *, bar=None) -> None:
        if self.copy:
            self._copy(model, fields, rows, bar)
        else:
            self._bulk_create(model, fields, rows, bar)

    def _copy(self, model, fields, rows, bar):
        from psycopg.types.json import Jsonb

        model_fields = [model._meta.get_field(name) for name in fields]
        json_at = [i for i, f in enumerate(model_fields) if isinstance(f, models.JSONField)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in model_fields)
        table = connection.ops.quote_name(model._meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            written = 0
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = Jsonb(row[i])
                copy.write_row(row)
                written += 1
                if bar and written % self.batch_size == 0:
                    bar.update(self.batch_size)
            if bar:
                bar.update(written % self.batch_size)

    def _bulk_create(self, model, fields, rows, bar):
        batch = []
        for row in rows:
            batch.append(model(**dict(zip(fields, row, strict=True))))
            if len(batch) >= self.batch_size:
                model.objects.bulk_create(batch, batch_size=self.batch_size)
                if bar:
                    bar.update(len(batch))
                batch = []
        if batch:
            model.objects.bulk_create(batch, batch_size=self.batch_size)
            if bar:
                bar.update(len(batch))

    def reset_sequences(self, *model_list) -> None:
        """Explicit ids leave PostgreSQL's sequences behind; the next ordinary insert must not collide."""
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
                cursor.execute(sql)


class Command(BaseCommand):
    help = "Fill the database with bulk load-test data: exams, students, scored attempts (see module doc)."

    def add_arguments(self, parser):
        parser.add_argument("--exams", type=int, default=10)
        parser.add_argument("--students", type=int, default=1000)
        parser.add_argument("--questions", type=int, default=20, help="questions per exam")
        parser.add_argument("--attempts", type=int, default=10000, help="attempts in all")
        parser.add_argument(
            "--items-for", type=int, default=200, help="completed attempts per exam that get item rows"
        )
        parser.add_argument("--running", type=int, default=100, help="attempts left Running, with items")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--password", default="bench")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
        parser.add_argument("--tag", default=None, help="suffix of names (default: random)")

    def handle(self, *args, **opts):
        for name in ("exams", "students", "questions", "attempts", "batch_size"):
            if opts[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1; got {opts[name]}.")
        for name in ("items_for", "running"):
            if opts[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be 0 or more; got {opts[name]}.")
        if opts["running"] > min(opts["attempts"], opts["exams"] * opts["students"]):
            # More would give a student two open attempts of one exam, which the schema forbids.
            raise CommandError("--running cannot exceed --attempts, nor --exams × --students.")
        self.rng = random.Random(opts["seed"])
        self.tag = opts["tag"] or secrets.token_hex(3)
        self.writer = BulkWriter(opts["batch_size"])
        self.now = timezone.now()
        started = time.monotonic()
        with transaction.atomic():
            exams = self._exams(opts["exams"], opts["questions"])
            users = self._students(opts["students"], opts["password"])
            self._attempts(exams, users, opts)
            self.writer.reset_sequences(Attempt, AttemptItem, User)
            # Bulk inserts skip the signals that keep score tallies; recount the new exams' once.
            rebuild_tallies(exam_ids=[exam["id"] for exam in exams])
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner; VACUUM also sets the visibility map that index-only
            # scans need, as autovacuum would in time. VACUUM cannot run inside a transaction (tests).
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                cursor.execute(f"{command} {Attempt._meta.db_table}, {AttemptItem._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_load {self.tag}: {opts['exams']} exams, {opts['students']} students, "
                f"{opts['attempts']} attempts ({opts['running']} running) in {elapsed:.1f} s"
            )
        )

    # --- Exams -------------------------------------------------------------------------------

    def _exams(self, count: int, per_exam: int) -> list[dict]:
        """Exams open since long ago and never closing, each with 2 sections and `per_exam` questions.

        Every fifth question is C (two correct choices), the rest R; choices are 4 a question.
        Returns per exam: its id and, per question, (question id, section id, correct ids, wrong ids).
        """
        course = Course.objects.create(name=f"Load {self.tag}")
        subjects = [Subject.objects.get_or_create(name=name, parent=None)[0] for name in SUBJECTS]
        exams = Exam.objects.bulk_create(
            Exam(
                title=f"Mock test {n + 1} ({self.tag})",
                slug=f"load-{self.tag}-{n + 1}",
                course=course,
                start_date=self.now - timedelta(days=400),
                duration=DURATION,
                mark_per_question=MARK,
                negative_marks=NEGATIVE,
                pass_percentage=PASS_PERCENTAGE,
                enable_ranks=True,
                published=True,
            )
            for n in range(count)
        )
        sections = Section.objects.bulk_create(
            Section(exam=exam, order=order, name=f"Part {order}") for exam in exams for order in (1, 2)
        )
        questions = Question.objects.bulk_create(
            Question(
                question_html=f"<p>Load question {n + 1} of {exam.slug}</p>",
                type=QuestionType.MULTIPLE if n % 5 == 4 else QuestionType.SINGLE,
                subject=subjects[n % len(subjects)],
                difficulty=DIFFICULTIES[n % len(DIFFICULTIES)],
                marks=MARK,
                negative_marks=NEGATIVE,
            )
            for exam in exams
            for n in range(per_exam)
        )
        answers = Answer.objects.bulk_create(
            Answer(
                question=question,
                text_html=f"<p>Choice {c + 1}</p>",
                is_correct=c == 0 or (question.type == QuestionType.MULTIPLE and c == 1),
                order=c + 1,
            )
            for question in questions
            for c in range(CHOICES)
        )
        if any(answer.pk is None for answer in answers):  # bulk_create returns no ids on old SQLite
            answers = list(Answer.objects.filter(question__in=questions).order_by("question_id", "order"))
        ExamQuestion.objects.bulk_create(
            ExamQuestion(
                exam=exams[n // per_exam],
                question=question,
                section=sections[2 * (n // per_exam) + (n % per_exam >= per_exam // 2)],
                order=n % per_exam + 1,
            )
            for n, question in enumerate(questions)
        )
        layout = []
        for e, exam in enumerate(exams):
            keys = []
            for n in range(per_exam):
                q = e * per_exam + n
                choices = answers[q * CHOICES : (q + 1) * CHOICES]
                keys.append(
                    (
                        questions[q].pk,
                        sections[2 * e + (n >= per_exam // 2)].pk,
                        [a.pk for a in choices if a.is_correct],
                        [a.pk for a in choices if not a.is_correct],
                    )
                )
            layout.append({"id": exam.pk, "questions": keys})
        return layout

    # --- Students ----------------------------------------------------------------------------

    def _students(self, count: int, password: str) -> list[int]:
        hashed = make_password(password)
        first_id = self.writer.next_id(User)
        fields = ["id", "username", "password", "first_name", "last_name", "email", "phone"]
        fields += ["is_staff", "is_superuser", "is_active", "date_joined"]
        rows = (
            (
                first_id + n,
                f"load-{self.tag}-{n + 1}",
                hashed,
                "Student",
                str(n + 1),
                f"load-{self.tag}-{n + 1}@example.com",
                f"+91{9000000000 + n}",
                False,
                False,
                True,
                self.now,
            )
            for n in range(count)
        )
        bar = _progress(count, "students", stdout=self.stdout)
        self.writer.write(User, fields, rows, bar=bar)
        bar.close()
        return list(range(first_id, first_id + count))

    # --- Attempts ----------------------------------------------------------------------------

    ATTEMPT_FIELDS = [
        "id",
        "exam_id",
        "user_id",
        "attempt_number",
        "state",
        "date",
        "last_started_time",
        "last_answer_updated_time",
        "clock_checked_at",
        "time_taken",
        "completed_at",
        "total_questions",
        *SCORE_FIELDS,  # the rows below give them in this order: t.total_marks ... t.result
    ]
    ITEM_FIELDS = [
        "id",
        "attempt_id",
        "question_id",
        "section_id",
        "order",
        "selected_answers",
        "short_text",
        "essay_text",
        "review",
        "duration",
        "result",
        "marks",
        "modified",
    ]

    def _attempts(self, exams: list[dict], users: list[int], opts) -> None:
        total, running, items_for = opts["attempts"], opts["running"], opts["items_for"]
        per_exam = opts["questions"]
        self.first_attempt_id = self.writer.next_id(Attempt)
        self.next_item_id = self.writer.next_id(AttemptItem)
        self.totals_cache: dict[tuple, scoring.Totals] = {}
        self.ability = [self.rng.betavariate(4, 3) for _ in range(min(len(users), 100_000))]
        self.with_items: list[tuple[int, int, list[ItemResult] | None]] = []
        itemized = dict.fromkeys(range(len(exams)), 0)
        total_marks = MARK * per_exam

        def rows():
            for k in range(total):
                u, r = k % len(users), k // len(users)
                e = (u + r) % len(exams)
                attempt_id = self.first_attempt_id + k
                if k >= total - running:
                    self.with_items.append((attempt_id, e, None))
                    yield self._running_row(
                        attempt_id, exams[e]["id"], users[u], r // len(exams) + 1, per_exam, total_marks
                    )
                    continue
                vector = self._vector(u, per_exam)
                if itemized[e] < items_for:
                    itemized[e] += 1
                    self.with_items.append((attempt_id, e, vector))
                yield self._completed_row(
                    attempt_id, exams[e]["id"], users[u], r // len(exams) + 1, vector, total_marks
                )

        bar = _progress(total, "attempts", stdout=self.stdout)
        self.writer.write(Attempt, self.ATTEMPT_FIELDS, rows(), bar=bar)
        bar.close()
        item_count = len(self.with_items) * per_exam
        bar = _progress(item_count, "items", stdout=self.stdout)
        self.writer.write(AttemptItem, self.ITEM_FIELDS, self._item_rows(exams), bar=bar)
        bar.close()

    def _vector(self, student: int, per_exam: int) -> list[ItemResult]:
        """One result per question: a student's ability sets the odds of right, wrong and blank."""
        ability = self.ability[student % len(self.ability)]
        rng = self.rng.random
        vector = []
        for _ in range(per_exam):
            roll = rng()
            if roll < 0.12:
                vector.append(ItemResult.UNANSWERED)
            elif rng() < ability:
                vector.append(ItemResult.CORRECT)
            else:
                vector.append(ItemResult.INCORRECT)
        return vector

    def _totals(self, vector: list[ItemResult], total_marks: Decimal, time_taken: timedelta):
        """attempt_totals of the vector; all questions are worth the same, so the counts decide it."""
        counts = (
            vector.count(ItemResult.CORRECT),
            vector.count(ItemResult.INCORRECT),
            vector.count(ItemResult.UNANSWERED),
        )
        totals = self.totals_cache.get(counts)
        if totals is None:
            totals = scoring.attempt_totals(
                (self._item_score(result) for result in vector),
                total_marks=total_marks,
                time_taken=None,
                pass_percentage=PASS_PERCENTAGE,
            )
            self.totals_cache[counts] = totals
        answered = totals.correct_count + totals.incorrect_count + totals.pending_count
        return replace(totals, speed=scoring.speed(answered, time_taken))

    @staticmethod
    def _item_score(result: ItemResult) -> scoring.ItemScore:
        return scoring.ItemScore(result, scoring.item_marks(result, marks=MARK, negative_marks=NEGATIVE))

    def _completed_row(self, attempt_id, exam_id, user_id, number, vector, total_marks):
        date = self.now - timedelta(days=1) - timedelta(seconds=self.rng.randrange(365 * 86400))
        time_taken = timedelta(seconds=self.rng.randrange(20 * 60, int(DURATION.total_seconds())))
        t = self._totals(vector, total_marks, time_taken)
        end = date + time_taken
        return (
            attempt_id, exam_id, user_id, number, AttemptState.COMPLETED, date, date, end, None, time_taken,
            end, len(vector), t.total_marks, t.score, t.correct_count, t.incorrect_count, t.unanswered_count,
            t.pending_count, t.percentage, t.accuracy, t.speed, t.result,
        )  # fmt: skip

    def _running_row(self, attempt_id, exam_id, user_id, number, questions, total_marks):
        started = self.now - timedelta(seconds=self.rng.randrange(60, 600))
        return (
            attempt_id, exam_id, user_id, number, AttemptState.RUNNING, started, started, None, self.now,
            self.now - started, None, questions, total_marks, Decimal("0.00"), 0, 0, 0, 0,
            Decimal("0.00"), 0, 0, AttemptResult.NOT_TAKEN,
        )  # fmt: skip

    def _item_rows(self, exams):
        for attempt_id, e, vector in self.with_items:
            for order, (question_id, section_id, correct, wrong) in enumerate(exams[e]["questions"], 1):
                if vector is None:  # a running attempt: nothing answered yet, not scored
                    selected, result, marks, duration = [], "", None, None
                else:
                    result = vector[order - 1]
                    selected = {
                        ItemResult.CORRECT: correct,
                        ItemResult.INCORRECT: wrong[:1],
                        ItemResult.UNANSWERED: [],
                    }[result]
                    marks = self._item_score(result).marks
                    duration = timedelta(seconds=self.rng.randrange(10, 400))
                item_id = self.next_item_id
                self.next_item_id += 1
                yield (
                    item_id, attempt_id, question_id, section_id, order, selected, "", "", False, duration,
                    result, marks, self.now,
                )  # fmt: skip
