from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "Exams and question bank"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers that keep batch limits on)
