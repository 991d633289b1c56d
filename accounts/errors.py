"""Refusals of accounts.services, one class per cause (plain exceptions: testpress/errors.py)."""

from testpress.errors import Forbidden


class StaffAccountProtected(Forbidden):
    code = "staff_account"
    message = "Only a superuser may change a staff or superuser account."
