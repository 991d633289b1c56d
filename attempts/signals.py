"""Keep ScoreTally in step with every write of an attempt: services, the admin, cascades, fixtures.

Hooked to the model rather than to the services because attempts are also deleted by cascade
(a user removed) and from the admin; bulk writes that skip signals (seed_load) rebuild the
tallies afterwards with attempts.tallies.rebuild_tallies.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Attempt
from .tallies import ranked_key, tally_move

RANKING_FIELDS = {"state", "score", "attempt_number", "exam", "exam_id"}
UNCHANGED = object()


def _key(values: dict):
    return ranked_key(**{name: values[name] for name in Attempt.RANKING_ATTNAMES})


def _current(instance: Attempt) -> dict:
    # getattr, not __dict__: a deferred field is loaded rather than missed.
    return {name: getattr(instance, name) for name in Attempt.RANKING_ATTNAMES}


@receiver(pre_save, sender=Attempt)
def note_ranking_before_save(sender, instance: Attempt, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not RANKING_FIELDS & set(update_fields)):
        instance._tally_before = UNCHANGED
        return
    if instance._state.adding:
        instance._tally_before = None
        return
    loaded = instance.loaded_ranking
    if loaded is None:
        loaded = Attempt.objects.filter(pk=instance.pk).values(*Attempt.RANKING_ATTNAMES).first()
    instance._tally_before = _key(loaded) if loaded else None


@receiver(post_save, sender=Attempt)
def move_tally_after_save(sender, instance: Attempt, raw=False, **kwargs):
    before = getattr(instance, "_tally_before", UNCHANGED)
    if raw or before is UNCHANGED:
        return
    current = _current(instance)
    tally_move(before, _key(current))
    instance.loaded_ranking = current


@receiver(post_delete, sender=Attempt)
def drop_tally_after_delete(sender, instance: Attempt, **kwargs):
    tally_move(_key(_current(instance)), None)
