from django.contrib.auth.models import AbstractUser
from django.db import models


class Batch(models.Model):
    """A group of students; an exam limited to batches is visible only to their members."""

    name = models.CharField(max_length=150, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "batches"

    def __str__(self):
        return self.name


class User(AbstractUser):
    phone = models.CharField(max_length=32, blank=True)
    batches = models.ManyToManyField(Batch, related_name="students", blank=True)

    @property
    def full_name(self) -> str | None:
        return self.get_full_name() or None
