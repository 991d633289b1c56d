"""The sweep: complete every open attempt whose time is up or whose exam has closed.

Requests on an attempt end it when they find it overdue; this catches the ones nobody touches
again (a student who closed the app for good). Run it every few minutes from cron or a scheduler.
An attempt it cannot end is logged and skipped, the others are still ended, and the command then
exits with status 1 naming it, so that cron reports it.
"""

from django.core.management.base import BaseCommand, CommandError

from attempts.services import end_overdue_attempts

# Ids named in the error; the rest are counted (the log has every one).
SHOWN_FAILURES = 20


class Command(BaseCommand):
    help = "Complete and score every open attempt whose time is up or whose exam has closed."

    def handle(self, *args, **options):
        swept = end_overdue_attempts()
        ended = len(swept.done)
        self.stdout.write(f"Completed {ended} overdue attempt{'' if ended == 1 else 's'}.")
        if swept.failed:
            shown = ", ".join(map(str, swept.failed[:SHOWN_FAILURES]))
            more = len(swept.failed) - SHOWN_FAILURES
            raise CommandError(
                f"Could not end {len(swept.failed)} overdue attempt(s), left open: {shown}"
                + (f" and {more} more" if more > 0 else "")
                + ". The errors are in the log."
            )
