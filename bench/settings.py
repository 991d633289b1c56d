"""The production settings as they are, plus a URL conf with the bench's ceiling endpoint."""

from testpress.settings.prod import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
