from django.apps import AppConfig


class AttemptsConfig(AppConfig):
    name = "attempts"
    verbose_name = "Attempts"

    def ready(self):
        from . import signals  # noqa: F401  (connects the ScoreTally delete hook)
