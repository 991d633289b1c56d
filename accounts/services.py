"""Writes to accounts: enrolling students (the admin API, the spreadsheet import and the admin use these)."""

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import errors
from .models import Batch, User

# What a user may change of their own account (the student API's /me/).
PROFILE_FIELDS = ("first_name", "last_name", "email", "phone")

# Batches one user is put in by one request: a student has a few; each new name is an INSERT.
MAX_BATCHES = 50
USERNAME_TAKEN = "A user with that username already exists."


def batch_names(names: Iterable[str]) -> set[str]:
    """The distinct names given, trimmed, blanks left out; more than MAX_BATCHES is a field error."""
    cleaned = {name.strip() for name in names if name and name.strip()}
    if len(cleaned) > MAX_BATCHES:
        raise ValidationError({"batches": [f"Give at most {MAX_BATCHES} batches."]})
    return cleaned


def batches_by_name(names: set[str]) -> list[Batch]:
    """The batches named, created when new: enrolling from a spreadsheet names batches, not ids."""
    existing = {batch.name: batch for batch in Batch.objects.filter(name__in=names)}
    return [existing.get(name) or Batch.objects.create(name=name) for name in sorted(names)]


def _validate(user: User, *, password: str | None) -> None:
    """Field-keyed errors for a user about to be saved: a taken username, a weak password, bad fields.

    The username is normalized (NFKC, as full_clean() would) before it is looked up: "ａdmin" and
    "ＡＤＭＩＮ" are "admin" and "ADMIN", both taken when "admin" is, whatever the case.
    """
    errors = {}
    user.username = user.normalize_username(user.username)
    if User.objects.filter(username__iexact=user.username).exclude(pk=user.pk).exists():
        errors["username"] = [USERNAME_TAKEN]
    if password is not None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


def _save(user: User) -> None:
    """Save a validated user; one who took the same username meanwhile makes it a username error."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        if User.objects.filter(username=user.username).exclude(pk=user.pk).exists():
            raise ValidationError({"username": [USERNAME_TAKEN]}) from exc
        raise


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    batches: Iterable[str] = (),
) -> User:
    """Create a student. Raises ValidationError keyed by field: a taken username, a weak password,
    more than MAX_BATCHES batches."""
    names = batch_names(batches)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, phone=phone)
    _validate(user, password=password)
    user.set_password(password)
    _save(user)
    user.batches.set(batches_by_name(names))
    return user


def may_change_user(*, changed_by: User | None, user: User) -> bool:
    """Whether `changed_by` may change `user`; None is the system itself (a command, a migration).

    Whoever may change an account may set its password and sign in as it, so staff and superuser
    accounts are for superusers alone; other staff change students as their permissions allow.
    """
    return changed_by is None or changed_by.is_superuser or not (user.is_staff or user.is_superuser)


@transaction.atomic
def user_update(
    *,
    user: User,
    changed_by: User | None,
    batches: Iterable[str] | None = None,
    password: str | None = None,
    **fields,
) -> User:
    """Change the given fields of a user; `batches` (names) replaces the user's batches when given.

    Raises StaffAccountProtected (403) when `changed_by` may not change this user (may_change_user).
    """
    if not may_change_user(changed_by=changed_by, user=user):
        raise errors.StaffAccountProtected()
    names = None if batches is None else batch_names(batches)
    for name, value in fields.items():
        setattr(user, name, value)
    _validate(user, password=password)
    if password is not None:
        user.set_password(password)
    _save(user)
    if names is not None:
        user.batches.set(batches_by_name(names))
    return user


def user_update_profile(*, user: User, **fields) -> User:
    """A user's change of their own contact details (PROFILE_FIELDS); any other key is ignored.

    The same validation as user_update (ValidationError keyed by field, e.g. an invalid email). Staff may
    change their own names this way too: no password, batch or permission is within reach of it.
    """
    profile = {name: value for name, value in fields.items() if name in PROFILE_FIELDS}
    return user_update(user=user, changed_by=None, **profile)
