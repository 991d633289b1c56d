"""Students in a spreadsheet: the admin's import (through accounts.services) and export.

Columns: username, password, first_name, last_name, email, phone, batches ("Batch A; Batch B").
A new user needs a password; an existing user keeps theirs unless the cell is filled in. The export
lists the students (not staff) in the same columns without the password.
"""

from django.core.exceptions import ValidationError
from import_export.fields import Field

from testpress.resources import AllOrNothingResource, cell_text, split_list

from .models import User
from .services import user_create, user_update

PROFILE_FIELDS = ["first_name", "last_name", "email", "phone"]


class UserResource(AllOrNothingResource):
    password = Field(column_name="password")
    batches = Field(column_name="batches")

    class Meta:
        model = User
        fields = ["username", "password", *PROFILE_FIELDS, "batches"]
        import_id_fields = ["username"]
        # accounts.services validates (taken username, weak password, bad email) when the row is saved.
        clean_model_instances = False

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._usernames_seen = set()

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        username = cell_text(row.get("username")).lower()
        if not username:
            raise ValidationError({"username": "This field is required."})
        # A second row would silently overwrite the first one's user.
        if username in self._usernames_seen:
            raise ValidationError({"username": "This username is on an earlier row of the file."})
        self._usernames_seen.add(username)

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new and instance.is_staff:
            raise ValidationError({"username": "This is a staff account; change it in the admin instead."})

    def save_instance(self, instance, is_create, row, **kwargs):
        password = cell_text(row.get("password")) or None
        batches = split_list(row["batches"]) if "batches" in row else None
        if is_create:
            if password is None:
                raise ValidationError({"password": "A new user needs a password."})
            created = user_create(
                username=instance.username,
                password=password,
                batches=batches or (),
                **{name: getattr(instance, name) for name in PROFILE_FIELDS},
            )
            # The row's result (the preview's diff, the admin log) reads the instance it was given.
            instance.pk, instance._state = created.pk, created._state
        else:
            # The admin passes who imports as `user`.
            user_update(user=instance, changed_by=kwargs.get("user"), password=password, batches=batches)

    def filter_export(self, queryset, **kwargs):
        # Staff accounts are not students, and the import refuses them.
        return queryset.filter(is_staff=False).prefetch_related("batches")

    def get_export_order(self):
        return tuple(name for name in super().get_export_order() if name != "password")

    def dehydrate_batches(self, user):
        return "; ".join(sorted(batch.name for batch in user.batches.all()))
