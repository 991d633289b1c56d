"""The sweep's former name, kept so that existing cron entries go on working: see end_overdue_attempts."""

from .end_overdue_attempts import Command as EndOverdueAttempts


class Command(EndOverdueAttempts):
    help = f"{EndOverdueAttempts.help} (Former name of end_overdue_attempts.)"
