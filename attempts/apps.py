from django.apps import AppConfig


class AttemptsConfig(AppConfig):
    name = "attempts"
    verbose_name = "Attempts"

    def ready(self):
        from exams.models import CHOSEN_CHOICE_FINDERS

        from . import (
            signals,  # noqa: F401  (connects the ScoreTally delete hook)
            tasks,  # noqa: F401  (registers the tasks outbox.enqueue queues by name)
        )
        from .selectors import chosen_choice_ids

        # A choice a saved answer points at must not be deleted (exams.models.AnswerQuerySet).
        CHOSEN_CHOICE_FINDERS.append(chosen_choice_ids)
