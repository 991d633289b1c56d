"""The Celery app, its settings and the periodic sweeps (attempts/tasks.py, testpress/celery.py)."""

import logging
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings

from attempts import tasks
from attempts.choices import AttemptState
from attempts.models import ScoreTally
from attempts.services import attempt_create
from exams.models import Exam
from testpress.celery import app
from tests.factories import AttemptFactory


class TestTheApp:
    def test_without_a_broker_tasks_run_in_the_sending_process(self):
        assert settings.CELERY_BROKER_URL == "memory://"
        assert app.conf.task_always_eager is True

    def test_a_worker_acknowledges_after_the_task_and_takes_one_message_at_a_time(self):
        assert app.conf.task_acks_late is True
        assert app.conf.task_reject_on_worker_lost is True
        assert app.conf.worker_prefetch_multiplier == 1
        assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit

    def test_every_scheduled_task_is_registered(self):
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            assert entry["task"] in app.tasks

    def test_the_sweeps_run_every_30_seconds_and_the_tally_check_nightly(self):
        schedule = settings.CELERY_BEAT_SCHEDULE
        assert schedule["end-overdue-attempts"]["schedule"] == 30
        assert schedule["requeue-webhook-events"]["schedule"] == 30
        assert isinstance(schedule["check-score-tallies"]["schedule"], crontab)


class TestSweeps:
    def test_the_overdue_sweep_completes_an_attempt_whose_exam_has_closed(self, student, exam_of, now):
        exam = exam_of("RR")
        attempt = attempt_create(user=student, exam=exam, now=now - timedelta(hours=1))
        Exam.objects.filter(pk=exam.pk).update(end_date=now - timedelta(minutes=1))

        result = tasks.end_overdue_attempts.delay().get()

        attempt.refresh_from_db()
        assert attempt.state == AttemptState.COMPLETED
        assert result == {"done": 1, "skipped": 0, "failed": 0}

    def test_the_tally_check_logs_drift_and_changes_nothing(self, db, caplog):
        attempt = AttemptFactory(completed=True)
        ScoreTally.objects.filter(exam=attempt.exam).update(count=5)

        with caplog.at_level(logging.ERROR, logger="attempts.tasks"):
            drifted = tasks.check_score_tallies.delay().get()

        assert drifted == 1
        assert "check_score_tallies --repair" in caplog.text
        assert ScoreTally.objects.get(exam=attempt.exam).count == 5

    def test_the_tally_check_is_quiet_when_the_tallies_agree(self, db, caplog):
        AttemptFactory(completed=True)
        with caplog.at_level(logging.ERROR, logger="attempts.tasks"):
            assert tasks.check_score_tallies.delay().get() == 0
        assert caplog.text == ""


@pytest.mark.parametrize("name", ["end_expired_attempts", "check_score_tallies"])
def test_the_manual_commands_stay(name):
    from django.core.management import get_commands

    assert get_commands()[name] == "attempts"
