"""Writes to ScoreTally, the per-exam count of ranked attempts at each score.

A ranked attempt is a completed first attempt. Ranks and percentiles are sums over an exam's
tallies: with tallies {9: 1, 7: 2, 5: 1}, an attempt scoring 7 has 1 ranked attempt above it
(rank 2) and 3 of 4 at or below it (percentile 75).
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F

from .choices import AttemptState
from .models import RANKED, Attempt, ScoreTally

TallyKey = tuple[int, Decimal]


def ranked_key(*, exam_id: int, score: Decimal, state: int, attempt_number: int) -> TallyKey | None:
    """The tally an attempt counts in, or None when it is not ranked."""
    if state == AttemptState.COMPLETED and attempt_number == 1:
        return exam_id, Decimal(score).quantize(Decimal("0.01"))
    return None


def tally_move(before: TallyKey | None, after: TallyKey | None) -> None:
    """Move one attempt's count from one tally to another (either may be None: not ranked)."""
    if before == after:
        return
    changes = [(key, delta) for key, delta in ((before, -1), (after, +1)) if key is not None]
    # Always touch tallies in score order, so two moves in opposite directions cannot deadlock.
    for (exam_id, score), delta in sorted(changes, key=lambda change: change[0]):
        _add(exam_id, score, delta)


def _add(exam_id: int, score: Decimal, delta: int) -> None:
    rows = ScoreTally.objects.filter(exam_id=exam_id, score=score)
    if delta < 0:
        # A tally out of step (rows written around the ORM) must not turn a delete into a crash.
        rows.filter(count__gte=-delta).update(count=F("count") + delta)
        return
    if rows.update(count=F("count") + delta):
        return
    try:
        with transaction.atomic():
            ScoreTally.objects.create(exam_id=exam_id, score=score, count=delta)
    except IntegrityError:
        # Another transaction created the row between our update and insert.
        rows.update(count=F("count") + delta)


@transaction.atomic
def rebuild_tallies(*, exam_ids: list[int] | None = None) -> int:
    """Recount the tallies from the attempts (after a bulk load); how many tally rows it wrote."""
    ranked = Attempt.objects.filter(RANKED)
    tallies = ScoreTally.objects.all()
    if exam_ids is not None:
        ranked, tallies = ranked.filter(exam_id__in=exam_ids), tallies.filter(exam_id__in=exam_ids)
    tallies.delete()
    counts = ranked.order_by().values("exam_id", "score").annotate(n=Count("id"))
    rows = [ScoreTally(exam_id=c["exam_id"], score=c["score"], count=c["n"]) for c in counts.iterator()]
    ScoreTally.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
