"""Keep Exam.restricted_to_batches true whenever an exam has batches, whoever writes them.

Hooked to the model because batches are set from the admin form, the factories, seed_demo and
the shell alike, and a batch is deleted from its own admin page: an exam that was ever limited
to batches must stay limited when they go (exams.selectors.exams_visible_to).
"""

from django.db.models.signals import m2m_changed, pre_delete
from django.dispatch import receiver

from accounts.models import Batch

from .models import Exam


@receiver(m2m_changed, sender=Exam.batches.through)
def restrict_exams_given_batches(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add" or not pk_set:
        return
    exam_ids = pk_set if reverse else {instance.pk}
    Exam.objects.filter(pk__in=exam_ids, restricted_to_batches=False).update(restricted_to_batches=True)
    if not reverse:
        instance.restricted_to_batches = True


@receiver(pre_delete, sender=Batch)
def keep_exams_of_a_deleted_batch_restricted(sender, instance, **kwargs):
    # Also covers rows whose batches were written around the signal above (bulk inserts, raw SQL).
    Exam.objects.filter(batches=instance, restricted_to_batches=False).update(restricted_to_batches=True)
