"""The sweep: complete every open attempt whose time is up or whose exam has closed.

Requests on an attempt end it when they find it overdue; this catches the ones nobody touches
again (a student who closed the app for good). Run it every few minutes from cron or a scheduler.
"""

from django.core.management.base import BaseCommand

from attempts.services import end_overdue_attempts


class Command(BaseCommand):
    help = "Complete and score every open attempt whose time is up or whose exam has closed."

    def handle(self, *args, **options):
        ended = end_overdue_attempts()
        self.stdout.write(f"Completed {ended} overdue attempt{'' if ended == 1 else 's'}.")
