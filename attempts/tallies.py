"""ScoreTally: per exam, how many ranked attempts (models.RANKED) have each score.

Ranks and percentiles are sums over an exam's tallies: with tallies {9: 1, 7: 2, 5: 1}, an attempt
scoring 7 has 1 ranked attempt above it of 4 (scoring.rank_and_percentile: rank 2, percentile 75).

Who moves them: the services that make an attempt ranked or change a ranked score (services._complete
and services._rescore), in the transaction that saves the attempt, and a post_delete hook for
deletions (signals.py: a user removed, an attempt deleted in the admin). Nothing else does: update(),
bulk_create, COPY and raw SQL leave them behind. `manage.py check_score_tallies` compares them with a
recount (tally_drift) and `--repair` rewrites them (rebuild_tallies), as seed_load does after a load.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet

from .models import RANKED, Attempt, ScoreTally
from .writes import Statement, run_together

logger = logging.getLogger(__name__)

CENTS = Decimal("0.01")
TallyKey = tuple[int, Decimal]


def tally_key(attempt: Attempt) -> TallyKey | None:
    """The tally an attempt counts in, (exam id, score), or None when it is not ranked."""
    if attempt.is_ranked:
        return attempt.exam_id, Decimal(attempt.score).quantize(CENTS)
    return None


def tally_move(before: TallyKey | None, after: TallyKey | None) -> None:
    """Move one attempt's count from one tally to another (either may be None: not ranked)."""
    if before == after:
        return
    changes = [(key, delta) for key, delta in ((before, -1), (after, +1)) if key is not None]
    # Always touch tallies in score order, so two moves in opposite directions cannot deadlock.
    for (exam_id, score), delta in sorted(changes, key=lambda change: change[0]):
        _add(exam_id, score, delta)


def tally_add(key: TallyKey | None) -> list[Statement]:
    """One more ranked attempt at `key`, as statements not yet run (writes.run_together): one upsert
    that makes the tally's row or counts it up, so two first scores at once neither lose a count nor
    trip over the row's uniqueness. None for an attempt that is not ranked."""
    if key is None:
        return []
    exam_id, score = key
    name = connection.ops.quote_name
    table, count = name(ScoreTally._meta.db_table), name("count")
    sql = (
        f"INSERT INTO {table} ({name('exam_id')}, {name('score')}, {count}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({name('exam_id')}, {name('score')}) DO UPDATE SET {count} = {table}.{count} + 1"
    )
    return [(sql, (exam_id, ScoreTally._meta.get_field("score").get_db_prep_save(score, connection)))]


def _add(exam_id: int, score: Decimal, delta: int) -> None:
    if delta > 0:
        run_together(tally_add((exam_id, score)))
        return
    # A count never goes below zero, and a delete never fails for a tally: finding nothing to take
    # away means the tally was already out of step (rows written around the services).
    rows = ScoreTally.objects.filter(exam_id=exam_id, score=score, count__gte=-delta)
    if not rows.update(count=F("count") + delta):
        logger.warning(
            "Score tally drift: exam %s has no ranked attempt at %s to take away; "
            "run `manage.py check_score_tallies --repair`.",
            exam_id,
            score,
        )


# --- Checking and recounting -----------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A tally that disagrees with the attempts: `tallied` kept, `counted` ranked attempts found."""

    exam_id: int
    score: Decimal
    tallied: int
    counted: int


def ranked_score_counts(*, exam_ids: list[int] | None = None) -> QuerySet:
    """The recount: ranked attempts grouped by exam and score, rows of exam_id, score, n (one query)."""
    ranked = Attempt.objects.filter(RANKED)
    if exam_ids is not None:
        ranked = ranked.filter(exam_id__in=exam_ids)
    return ranked.order_by().values("exam_id", "score").annotate(n=Count("id"))


def counted_tallies(*, exam_ids: list[int] | None = None) -> dict[TallyKey, int]:
    """What the tallies should hold, from the recount."""
    return {(c["exam_id"], c["score"]): c["n"] for c in ranked_score_counts(exam_ids=exam_ids).iterator()}


def kept_tallies(*, exam_ids: list[int] | None = None) -> dict[TallyKey, int]:
    """The tallies as stored; a row at zero counts as no row."""
    rows = ScoreTally.objects.filter(count__gt=0)
    if exam_ids is not None:
        rows = rows.filter(exam_id__in=exam_ids)
    return {(t.exam_id, t.score): t.count for t in rows.iterator()}


def tally_drift(*, exam_ids: list[int] | None = None) -> list[Drift]:
    """Every tally that differs from a recount, by exam and score; [] when they all agree."""
    kept, counted = kept_tallies(exam_ids=exam_ids), counted_tallies(exam_ids=exam_ids)
    return [
        Drift(exam_id, score, kept.get((exam_id, score), 0), counted.get((exam_id, score), 0))
        for exam_id, score in sorted(kept.keys() | counted.keys())
        if kept.get((exam_id, score), 0) != counted.get((exam_id, score), 0)
    ]


@transaction.atomic
def rebuild_tallies(*, exam_ids: list[int] | None = None) -> int:
    """Rewrite the tallies from a recount (after a bulk load, or to repair drift); rows written."""
    tallies = ScoreTally.objects.all()
    if exam_ids is not None:
        tallies = tallies.filter(exam_id__in=exam_ids)
    tallies.delete()
    counted = counted_tallies(exam_ids=exam_ids)
    rows = [ScoreTally(exam_id=exam_id, score=score, count=n) for (exam_id, score), n in counted.items()]
    ScoreTally.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
