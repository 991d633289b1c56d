from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from attempts import services
from attempts.admin_pages import ESSAYS_PER_PAGE
from attempts.choices import AttemptState, ItemResult
from attempts.models import Attempt, AttemptItem
from attempts.selectors import standing, with_standing
from tests.admin_cases import AdminSmokeCases
from tests.factories import AttemptFactory, AttemptItemFactory, ExamFactory, ExamQuestionFactory, UserFactory

from .conftest import correct_ids, wrong_ids

pytestmark = pytest.mark.django_db


class TestAttemptAdmin(AdminSmokeCases):
    model = Attempt
    # Attempts are started by students through the engine, never typed in.
    add_status = 403
    # The changelist must cost the same queries at 30 attempts as at one.
    many_rows = 30

    def make_row(self):
        attempt = AttemptFactory(completed=True, score="3.00", correct_count=3, incorrect_count=1)
        AttemptItemFactory.create_batch(2, attempt=attempt)
        return attempt

    def changelist_queries(self, row):
        return [
            f"state__exact={AttemptState.COMPLETED}",
            f"exam__id__exact={row.exam_id}",
            f"q={row.user.username}",
            f"q={row.user.email}",
            "o=4",
            "date__gte=2000-01-01",
        ]

    def test_the_change_page_shows_scores_and_items_without_inputs(self, browser):
        attempt = self.make_row()
        content = browser.get(self.admin_url("change", attempt.pk)).content.decode()
        assert "3.00" in content
        assert escape(str(attempt.items.first().question)) in content
        for field in ("score", "correct_count", "time_taken", "state"):
            assert f'name="{field}"' not in content
        assert 'name="items-0-review"' not in content

    def test_a_post_to_the_change_page_changes_nothing(self, browser):
        attempt = self.make_row()
        response = browser.post(self.admin_url("change", attempt.pk), {"score": "99.00"})
        assert response.status_code == 403
        attempt.refresh_from_db()
        assert str(attempt.score) == "3.00"

    def test_a_date_filter_keeps_only_attempts_of_those_days(self, browser):
        today, old = self.make_row(), AttemptFactory(date=timezone.now() - timedelta(days=40))
        response = browser.get(
            f"{self.admin_url('changelist')}?date__gte={(timezone.now() - timedelta(days=7)):%Y-%m-%d}"
        )
        shown = {attempt.pk for attempt in response.context["cl"].result_list}
        assert today.pk in shown and old.pk not in shown


def run_action(browser, action, attempts):
    return browser.post(
        reverse("admin:attempts_attempt_changelist"),
        {"action": action, "_selected_action": [a.pk for a in attempts], "index": 0},
        follow=True,
    )


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    return client


class TestAttemptActions:
    def test_end_completes_the_running_attempts_and_skips_the_completed(self, browser, exam_of, now):
        exam = exam_of("RR")
        running = services.attempt_create(user=UserFactory(), exam=exam, now=now)
        item = running.items.first()
        services.attempt_save_item(
            attempt=running, item=item, selected_answers=correct_ids(item.question), now=now
        )
        done = AttemptFactory(exam=exam, completed=True, score="2.00")
        response = run_action(browser, "end_attempts", [running, done])
        assert "Ended 1 running attempt(s); skipped 1 already completed." in response.content.decode()
        running.refresh_from_db()
        assert running.state == AttemptState.COMPLETED
        assert (running.score, running.correct_count, running.unanswered_count) == (Decimal("1.00"), 1, 1)
        done.refresh_from_db()
        assert done.score == Decimal("2.00")

    def test_rescore_judges_completed_attempts_against_the_fixed_key(self, browser, exam_of, now):
        exam = exam_of("R")
        attempt = services.attempt_create(user=UserFactory(), exam=exam, now=now)
        item = attempt.items.get()
        chosen = wrong_ids(item.question)[0]
        services.attempt_save_item(attempt=attempt, item=item, selected_answers=[chosen], now=now)
        services.attempt_end(attempt=attempt, now=now)
        running = services.attempt_create(user=UserFactory(), exam=exam, now=now)
        # Staff find the key was wrong: the chosen answer is the correct one.
        item.question.answers.update(is_correct=False)
        item.question.answers.filter(pk=chosen).update(is_correct=True)

        response = run_action(browser, "rescore_attempts", [attempt, running])
        content = response.content.decode()
        assert "Re-scored 1 completed attempt(s); skipped 1 still running (end them first)." in content
        attempt.refresh_from_db()
        assert (attempt.score, attempt.correct_count) == (Decimal("1.00"), 1)
        running.refresh_from_db()
        assert running.state == AttemptState.RUNNING


class TestActionsOnABadAttemptAmongMany:
    """Each attempt is ended or re-scored on its own: a corrupt one is scored safely, one the engine
    cannot change is named in an error message, and the others are done all the same."""

    @pytest.fixture
    def attempts(self, exam_of, now, monkeypatch):
        """Healthy, corrupt (a number stored around the save service) and broken (its scoring raises)."""
        exam = exam_of("RN")
        made = []
        for _ in range(3):
            attempt = services.attempt_create(user=UserFactory(), exam=exam, now=now)
            single = attempt.items.order_by("order").first()
            services.attempt_save_item(
                attempt=attempt, item=single, selected_answers=correct_ids(single.question), now=now
            )
            made.append(attempt)
        healthy, corrupt, broken = made
        AttemptItem.objects.filter(attempt=corrupt, order=2).update(short_text="1e999999999")
        score = services._score

        def failing_for_one(attempt):
            if attempt.pk == broken.pk:
                raise RuntimeError("a scoring bug")
            score(attempt)

        monkeypatch.setattr(services, "_score", failing_for_one)
        return healthy, corrupt, broken

    @staticmethod
    def counts(attempt):
        attempt.refresh_from_db()
        return attempt.state, attempt.correct_count, attempt.incorrect_count

    def test_end(self, browser, attempts):
        healthy, corrupt, broken = attempts
        content = run_action(browser, "end_attempts", attempts).content.decode()
        assert "Ended 2 running attempt(s)." in content
        assert (
            escape(
                f"Could not end 1 attempt(s), left as they were: #{broken.pk} {broken}. "
                "The error is in the server log."
            )
            in content
        )
        completed = AttemptState.COMPLETED
        assert (self.counts(healthy), self.counts(corrupt)) == ((completed, 1, 0), (completed, 1, 1))
        assert self.counts(broken) == (AttemptState.RUNNING, 0, 0)

    def test_rescore(self, browser, attempts, now):
        healthy, corrupt, broken = attempts
        services.attempts_end(pks=[healthy.pk, broken.pk], now=now)
        Attempt.objects.filter(pk=broken.pk).update(state=AttemptState.COMPLETED, correct_count=7)
        content = run_action(browser, "rescore_attempts", attempts).content.decode()
        assert "Re-scored 1 completed attempt(s); skipped 1 still running (end them first)." in content
        assert (
            escape(f"Could not re-score 1 attempt(s), left as they were: #{broken.pk} {broken}.") in content
        )
        assert self.counts(healthy) == (AttemptState.COMPLETED, 1, 0)
        assert self.counts(broken) == (AttemptState.COMPLETED, 7, 0)


class TestEssayMarking:
    @pytest.fixture
    def exam(self, exam_of):
        return exam_of("REE", mark_per_question=Decimal("2.00"), enable_ranks=True, pass_percentage=50)

    @pytest.fixture
    def attempts(self, exam, now):
        """Asha answers the choice question right (2 marks), Ravi wrong; both write two essays."""
        made = []
        for name, right in (("asha", True), ("ravi", False)):
            attempt = services.attempt_create(user=UserFactory(username=name), exam=exam, now=now)
            choice, *essays = attempt.items.select_related("question").order_by("order")
            picked = correct_ids(choice.question) if right else wrong_ids(choice.question)[:1]
            services.attempt_save_item(attempt=attempt, item=choice, selected_answers=picked, now=now)
            for essay in essays:
                services.attempt_save_item(
                    attempt=attempt, item=essay, essay_text=f"{name} thinks so", now=now
                )
            made.append(services.attempt_end(attempt=attempt, now=now))
        return made

    def url(self, exam):
        return reverse("admin:exams_exam_essays", args=[exam.pk])

    def essays_of(self, attempt):
        return list(attempt.items.filter(question__type="E").order_by("order"))

    def rank(self, attempt, now):
        return standing(with_standing(Attempt.objects.filter(pk=attempt.pk)).get(), now=now).rank

    def test_the_page_lists_each_pending_essay_with_its_text_and_worth(self, browser, exam, attempts):
        content = browser.get(self.url(exam)).content.decode()
        assert "4 essays wait for marks" in content
        assert content.count("ravi thinks so") == 2
        assert "out of 2.00" in content
        for item in self.essays_of(attempts[1]):
            assert f'name="marks-{item.pk}"' in content

    def test_marks_rescore_the_attempt_and_move_the_ranks(self, browser, exam, attempts, now):
        asha, ravi = attempts
        assert (self.rank(asha, now), self.rank(ravi, now)) == (1, 2)
        first, second = self.essays_of(ravi)
        response = browser.post(
            self.url(exam), {f"marks-{first.pk}": "2", f"marks-{second.pk}": "1.5"}, follow=True
        )
        assert "Marked 2 essay(s)." in response.content.decode()
        ravi.refresh_from_db()
        assert (ravi.score, ravi.pending_count, ravi.result) == (Decimal("3.50"), 0, "pass")
        assert (self.rank(ravi, now), self.rank(asha, now)) == (1, 2)
        # Asha's essays were left empty: still pending, still listed.
        assert [i.result for i in self.essays_of(asha)] == [ItemResult.PENDING, ItemResult.PENDING]
        assert response.content.decode().count("asha thinks so") == 2

    def test_invalid_marks_are_named_and_nothing_changes(self, browser, exam, attempts):
        asha, ravi = attempts
        fine, too_many = self.essays_of(ravi)
        garbled = self.essays_of(asha)[0]
        response = browser.post(
            self.url(exam),
            {f"marks-{fine.pk}": "1", f"marks-{too_many.pk}": "3", f"marks-{garbled.pk}": "lots"},
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "Nothing was saved: correct the marks shown below." in content
        assert "Give between 0 and 2.00 marks." in content
        assert "Give marks as a number with at most two decimals." in content
        ravi.refresh_from_db()
        assert (ravi.score, ravi.pending_count) == (Decimal("0.00"), 2)
        assert {i.result for i in [*self.essays_of(ravi), garbled]} == {ItemResult.PENDING}
        assert 'value="3"' in content  # what staff typed stays in the input

    @pytest.mark.parametrize("name", ["marks-²", f"marks-{'9' * 5000}", "marks-", "other"])
    def test_inputs_that_name_no_essay_are_ignored(self, browser, exam, attempts, name):
        first = self.essays_of(attempts[1])[0]
        body = urlencode({name: "1", f"marks-{first.pk}": "2"})
        response = browser.post(
            self.url(exam), body, content_type="application/x-www-form-urlencoded", follow=True
        )
        assert "Marked 1 essay(s)." in response.content.decode()

    def test_more_marks_than_a_page_shows_are_refused_and_nothing_changes(self, browser, exam, attempts):
        real = self.essays_of(attempts[1])[0]
        marks = {f"marks-{real.pk}": "2", **{f"marks-{10**9 + n}": "1" for n in range(ESSAYS_PER_PAGE)}}
        body = urlencode(marks)
        response = browser.post(self.url(exam), body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert (
            f"Mark at most {ESSAYS_PER_PAGE} essays at a time; nothing was saved."
            in response.content.decode()
        )
        real.refresh_from_db()
        assert real.result == ItemResult.PENDING

    def test_a_student_is_sent_to_the_login_page(self, client, student, exam):
        client.force_login(student)
        response = client.get(self.url(exam))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


class TestAnalyticsPage:
    def url(self, exam):
        return reverse("admin:exams_exam_analytics", args=[exam.pk])

    def add_attempt(self, exam, percentage):
        attempt = AttemptFactory(exam=exam, completed=True, percentage=percentage, score=percentage / 10)
        for link in exam.exam_questions.all():
            AttemptItemFactory(attempt=attempt, question=link.question, result=ItemResult.CORRECT)
        return attempt

    def test_the_page_draws_the_three_charts_and_the_headline_numbers(self, browser):
        exam = ExamFactory()
        ExamQuestionFactory.create_batch(2, exam=exam)
        self.add_attempt(exam, Decimal("75"))
        self.add_attempt(exam, Decimal("25"))
        content = browser.get(self.url(exam)).content.decode()
        for chart in ("score-distribution", "attempts-over-time", "question-correct-percentage"):
            assert f'<svg class="chart" data-chart="{chart}"' in content
        assert "<title>70–80%: 1 attempt(s)</title>" in content
        assert "100.00% correct (2 of 2)" in content
        assert '<strong data-figure="attempts">2</strong>' in content
        assert '<strong data-figure="average-score">5.00</strong>' in content

    def test_an_exam_without_attempts_still_draws_its_charts(self, browser):
        content = browser.get(self.url(ExamFactory())).content.decode()
        assert content.count('<svg class="chart"') == 3
        assert "No data yet" in content

    def test_the_page_costs_the_same_queries_for_one_attempt_and_fifty(self, browser):
        exam = ExamFactory()
        ExamQuestionFactory.create_batch(3, exam=exam)
        self.add_attempt(exam, Decimal("40"))
        browser.get(self.url(exam))  # warms the caches (content types, permissions)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert browser.get(self.url(exam)).status_code == 200
            return len(queries)

        one = count()
        for n in range(49):
            self.add_attempt(exam, Decimal(n * 2))
        assert count() == one

    def test_the_exam_list_and_change_page_link_to_it(self, browser):
        exam = ExamFactory()
        link = f'href="{self.url(exam)}"'
        assert link in browser.get(reverse("admin:exams_exam_changelist")).content.decode()
        assert link in browser.get(reverse("admin:exams_exam_change", args=[exam.pk])).content.decode()

    def test_a_student_is_sent_to_the_login_page(self, client, student):
        client.force_login(student)
        response = client.get(self.url(ExamFactory()))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
