"""What a student is shown of an attempt: the exam's show_score, show_percentile and show_pass_or_fail.

One rule for every student representation (the attempts list and detail, the lifecycle answers, the
exam detail's attempts, review/subjects/); the serializers only apply it. The admin API and webhooks
print the real values and never ask.

Worked example: an exam with show_score off and show_percentile on shows a completed attempt's rank
and percentile, and "NA" for its score; with show_percentile off as well, rank and percentile are
"NA" too. The rule reads the exam alone, so a running attempt (whose score is not known yet) is
shown the same way it will be once it ends.
"""

from dataclasses import dataclass

from . import errors


@dataclass(frozen=True)
class Shown:
    # Score, percentage, accuracy, the right/wrong/unanswered counts, per-section and per-subject scores.
    score: bool
    # Rank, max rank and percentile.
    percentile: bool
    # Whether the attempt passed.
    pass_or_fail: bool


EVERYTHING = Shown(score=True, percentile=True, pass_or_fail=True)


def shown_to_student(attempt) -> Shown:
    """What the student taking `attempt` may see of its results."""
    exam = attempt.exam
    return Shown(score=exam.show_score, percentile=exam.show_percentile, pass_or_fail=exam.show_pass_or_fail)


def require_score_shown(attempt) -> None:
    """403 score_hidden for the breakdowns that print marks (review/subjects/) when the exam hides scores."""
    if not shown_to_student(attempt).score:
        raise errors.ScoreHidden()
