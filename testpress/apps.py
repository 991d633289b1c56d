from django.apps import AppConfig


class TestpressConfig(AppConfig):
    """The project itself, installed for what belongs to no app: its system checks (testpress/checks.py)."""

    name = "testpress"
    verbose_name = "Testpress"

    def ready(self):
        from . import checks  # noqa: F401 (registers the checks)
