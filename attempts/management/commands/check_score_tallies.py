"""Compare the score tallies ranks read with a recount of the ranked attempts; --repair rewrites them.

Exits 1 and lists every exam and score that differs when they disagree (writes around the services:
update(), bulk inserts, SQL). Safe to run at any time; --repair recounts only the exams that drifted.
"""

from django.core.management.base import BaseCommand, CommandError

from attempts.tallies import rebuild_tallies, tally_drift


class Command(BaseCommand):
    help = "Check the per-exam score tallies against a recount of the ranked attempts (--repair fixes)."

    def add_arguments(self, parser):
        parser.add_argument("--exam", type=int, action="append", dest="exam_ids", help="Only this exam id.")
        parser.add_argument("--repair", action="store_true", help="Rewrite the tallies that drifted.")

    def handle(self, *args, exam_ids=None, repair=False, **options):
        drift = tally_drift(exam_ids=exam_ids)
        if not drift:
            self.stdout.write("Score tallies agree with the attempts.")
            return
        for d in drift:
            self.stdout.write(f"exam {d.exam_id} score {d.score}: tallied {d.tallied}, counted {d.counted}")
        drifted = sorted({d.exam_id for d in drift})
        if not repair:
            raise CommandError(
                f"{len(drift)} score tallies of {len(drifted)} exam(s) differ from the attempts; "
                "run with --repair to recount them."
            )
        rebuild_tallies(exam_ids=drifted)
        left = tally_drift(exam_ids=drifted)
        if left:  # attempts written while repairing: run it again
            raise CommandError(f"{len(left)} score tallies still differ after the repair.")
        self.stdout.write(f"Repaired the score tallies of exam(s) {', '.join(map(str, drifted))}.")
