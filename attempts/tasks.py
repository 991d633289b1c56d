"""Background tasks of the attempt engine: thin wrappers over services, safe to run twice.

Sent by `celery -A testpress beat` (settings.CELERY_BEAT_SCHEDULE). Each one reads what to do from the
database, so a message delivered twice, or a worker killed half-way, changes nothing twice.
"""

import logging

from celery import shared_task

from . import services, tallies

logger = logging.getLogger(__name__)


@shared_task(name="attempts.end_overdue_attempts")
def end_overdue_attempts() -> dict:
    """Complete every overdue attempt, one by one (services.end_overdue_attempts); counts of each."""
    swept = services.end_overdue_attempts()
    if swept.failed:
        logger.error("Could not end overdue attempts %s; they are left open", list(swept.failed))
    return {"done": len(swept.done), "skipped": len(swept.skipped), "failed": len(swept.failed)}


@shared_task(name="attempts.check_score_tallies")
def check_score_tallies() -> int:
    """The nightly drift check: log every score tally that differs from a recount; how many do.

    It only reports: a repair (`manage.py check_score_tallies --repair`) is staff's decision.
    """
    drift = tallies.tally_drift()
    for d in drift:
        logger.error(
            "Score tally drift: exam %s score %s tallied %s, counted %s; "
            "run `manage.py check_score_tallies --repair`",
            d.exam_id,
            d.score,
            d.tallied,
            d.counted,
        )
    return len(drift)

