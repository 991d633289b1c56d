"""Every version's attempt pages print attempts as of the request's clock.

An open attempt whose time ran out (or whose exam closed) is completed by the engine before it is
printed or acted on, so no page shows it Running with no time left. The sweep job would complete
it later anyway; the views here just do it first.
"""

from collections.abc import Callable, Iterable

from attempts import services, timing
from attempts.models import Attempt
from testpress.api.clock import request_now


class OverdueFirstMixin:
    """For views over attempts: complete what is overdue before it is read."""

    @property
    def now(self):
        return request_now(self.request)

    def end_overdue(self, **filters) -> None:
        """Complete the overdue attempts among those `filters` select (one query when none is)."""
        services.end_overdue_attempts(now=self.now, queryset=Attempt.objects.filter(**filters))

    def end_any_overdue(self, attempts: Iterable[Attempt]) -> bool:
        """Complete those of `attempts` (already read, with their exam) that are overdue; whether any was.

        Decided in Python from what was read, so a page with nothing overdue costs no query.
        """
        overdue = [attempt.pk for attempt in attempts if timing.is_overdue(attempt, self.now)]
        if overdue:
            self.end_overdue(pk__in=overdue)
        return bool(overdue)

    def as_of_now(self, load: Callable[[], Attempt]) -> Attempt:
        """load(), read again after completing the attempt if it was overdue (self.ended_overdue)."""
        attempt = load()
        self.ended_overdue = self.end_any_overdue([attempt])
        return load() if self.ended_overdue else attempt
