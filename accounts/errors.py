"""Refusals of accounts.services: DRF exceptions, so the API handler renders them with their status."""

from rest_framework.exceptions import PermissionDenied


class StaffAccountProtected(PermissionDenied):
    error_code = "staff_account"
    default_detail = "Only a superuser may change a staff or superuser account."
