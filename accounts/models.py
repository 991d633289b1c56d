import logging

from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F

logger = logging.getLogger(__name__)


class Batch(models.Model):
    """A group of students; an exam limited to batches is visible only to their members."""

    name = models.CharField(max_length=150, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "batches"

    def __str__(self):
        return self.name


# What an authenticated request knows of its user, cached by accounts.selectors.signed_in_user.
SIGNED_IN_USER_KEY = "signed-in-user:{}"


def forget_signed_in_user(pk: int | None) -> None:
    """Drop the user's cached sign-in state now and again at commit, so a change shows on the next request.

    At commit too: a request reading the user between this save and its commit would cache the old
    row again. A cache that cannot be reached is left to expire (signed_in_user's bound).
    """
    if pk is None:
        return
    key = SIGNED_IN_USER_KEY.format(pk)

    def forget():
        try:
            cache.delete(key)
        except Exception:
            logger.warning("Could not drop the cached sign-in state of user %s", pk, exc_info=True)

    forget()
    transaction.on_commit(forget)


class User(AbstractUser):
    phone = models.CharField(max_length=32, blank=True)
    batches = models.ManyToManyField(Batch, related_name="students", blank=True)
    # Every API token carries the value it was issued with, and one carrying an older value is refused
    # (testpress.api.authentication). save() raises it when the password changes or is disabled and while
    # the account is inactive, so tokens issued before stay dead after a reactivation. A queryset
    # update() of password or is_active bypasses save(): raise it there too. db_default serves bulk
    # loads that name their columns (seed_load).
    token_version = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    # Django leaves _password (the raw password for the validators) unset by set_unusable_password().
    _password_disabled = False

    @property
    def full_name(self) -> str | None:
        return self.get_full_name() or None

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_disabled = True

    def save(self, *args, **kwargs):
        # _password is what set_password() leaves for save(); a login that only upgrades the stored hash
        # clears it first (AbstractBaseUser.check_password), so the user's other tokens stay valid then.
        # An inactive user can hold no token that should survive, whatever else this save changes.
        revoke = not self._state.adding and (
            self._password is not None or self._password_disabled or self.__dict__.get("is_active") is False
        )
        if revoke:
            # In SQL, so that two changes at once both count.
            self.token_version = F("token_version") + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "token_version"}
        super().save(*args, **kwargs)
        self._password_disabled = False
        if revoke:
            self.refresh_from_db(fields=["token_version"])
        forget_signed_in_user(self.pk)

    def delete(self, *args, **kwargs):
        pk = self.pk
        deleted = super().delete(*args, **kwargs)
        forget_signed_in_user(pk)
        return deleted
