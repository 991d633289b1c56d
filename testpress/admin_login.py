"""The Django admin's login lockout (django-axes), apart from the API's login throttles.

Failures are counted per username and client address (AXES_LOCKOUT_PARAMETERS): a classroom behind
one address is not locked out by one student, and a staff member is not locked out by someone
elsewhere typing their username. Counts live in the database, which every app server shares.

The API's auth-token/ calls the same authenticate() and so passes the axes backend, but it has its
own throttles (testpress/api/throttling.py) and answers them as JSON 429s: AXES_ONLY_ADMIN_SITE lets
it through, and AdminLoginHandler keeps its failures out of the database, so a refused API login
neither costs a write nor counts towards an admin lockout.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.contrib import admin
from django.shortcuts import render


class AdminLoginHandler(AxesDatabaseHandler):
    """Axes' database handler, recording the admin's failed logins only."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_login_failed(sender, credentials, request, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets instead of the login form: 429, in the admin's look."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "username": get_client_username(request, credentials) or "",
        "cool_off_minutes": round(cool_off.total_seconds() / 60) if cool_off else None,
    }
    # Rendered here: a middleware's response is not rendered later, as a view's TemplateResponse is.
    return render(request, "admin/login_locked_out.html", context, status=429)
