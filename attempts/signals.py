"""Deleting an attempt takes it out of its score tally, however it is deleted.

Only deletes are hooked: attempts go by cascade (a user removed) and from the admin, which no
service sees. Every other change of a score or of what is ranked is a service's, which moves the
tally itself (attempts/tallies.py); saves are deliberately not hooked.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Attempt
from .tallies import tally_key, tally_move


@receiver(post_delete, sender=Attempt)
def drop_tally_after_delete(sender, instance: Attempt, **kwargs):
    # The instance as the delete loaded it: fresh for a cascade or the admin's delete.
    tally_move(tally_key(instance), None)
