from django.contrib import admin
from django.contrib.admin import actions as admin_actions
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from import_export.admin import ImportExportMixin

from exams.selectors import exams_left_without_batches
from testpress.admin_columns import CountColumnsMixin, count_of
from testpress.resources import SPREADSHEET_FORMATS

from .models import Batch, User
from .resources import UserResource


@admin.register(Batch)
class BatchAdmin(CountColumnsMixin, admin.ModelAdmin):
    list_display = ["name", count_of("students", "students"), "created"]
    search_fields = ["name"]
    actions = ["delete_selected"]

    # Both delete confirmations name the exams that no student will see once the batches are gone.

    def render_delete_form(self, request, context):
        context["exams_left_without_batches"] = exams_left_without_batches([context["object"].pk])
        return super().render_delete_form(request, context)

    @admin.action(permissions=["delete"], description=admin_actions.delete_selected.short_description)
    def delete_selected(self, request, queryset):
        response = admin_actions.delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):
            response.context_data["exams_left_without_batches"] = exams_left_without_batches(
                queryset.values_list("pk", flat=True)
            )
        return response


@admin.register(User)
class UserAdmin(ImportExportMixin, DjangoUserAdmin):
    resource_classes = [UserResource]
    formats = SPREADSHEET_FORMATS
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

    @admin.display(description="full name", ordering="first_name")
    def full_name(self, user):
        return user.full_name
