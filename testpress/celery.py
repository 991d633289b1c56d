"""The Celery app: `celery -A testpress worker` runs the background tasks, `celery -A testpress beat`
sends the periodic ones (settings.CELERY_BEAT_SCHEDULE).

Every setting is read from Django's settings under the CELERY_ prefix (testpress/settings/base.py).
Without CELERY_BROKER_URL tasks run in the process that sends them, after its commit (eager), so a
development server on SQLite does everything with no broker and no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testpress.settings.dev")

app = Celery("testpress")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
