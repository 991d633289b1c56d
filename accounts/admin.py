from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from testpress.admin_columns import CountColumnsMixin, count_of
from testpress.resources import SpreadsheetAdminMixin

from .models import Batch, User
from .resources import UserResource
from .services import may_change_user

# What makes an account staff or more: only a superuser grants it (accounts.services.may_change_user).
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(Batch)
class BatchAdmin(CountColumnsMixin, admin.ModelAdmin):
    list_display = ["name", count_of("students", "students"), "created"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(SpreadsheetAdminMixin, DjangoUserAdmin):
    resource_classes = [UserResource]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email", "phone")}),
        ("Batches", {"fields": ("batches",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (
            "Student",
            {"classes": ("wide",), "fields": ("first_name", "last_name", "email", "phone", "batches")},
        ),
    )
    list_display = ["username", "email", "full_name", "phone", "is_staff"]
    list_filter = ["batches", "is_staff", "is_active"]
    search_fields = ["username", "email", "phone"]
    filter_horizontal = [*DjangoUserAdmin.filter_horizontal, "batches"]

    def has_change_permission(self, request, obj=None):
        # Also guards the password page, which asks this of the user whose password it sets.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change_user(changed_by=request.user, user=obj))

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, *PRIVILEGE_FIELDS)

    @admin.display(description="full name", ordering="first_name")
    def full_name(self, user):
        return user.full_name
