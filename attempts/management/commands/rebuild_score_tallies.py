"""Recount every score tally from the attempts (after a bulk load); bench/run.py --reuse runs it.

check_score_tallies --repair does the same for only the exams whose tallies drifted.
"""

from django.core.management.base import BaseCommand

from attempts.tallies import rebuild_tallies


class Command(BaseCommand):
    help = "Recount the per-exam score tallies that ranks and percentiles read (after a bulk load)."

    def add_arguments(self, parser):
        parser.add_argument("--exam", type=int, action="append", dest="exam_ids", help="Only this exam id.")

    def handle(self, *args, exam_ids=None, **options):
        written = rebuild_tallies(exam_ids=exam_ids)
        self.stdout.write(f"Wrote {written} score tallies.")
