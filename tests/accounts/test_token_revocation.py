"""A password change or a deactivation ends every token issued before it, whichever way it is made.

Each way in: the admin API, the Django admin (password form, "disable password-based authentication",
the user's change form), `manage.py changepassword`, accounts.services.user_update and the spreadsheet
import. The student logs in through the API first; after the change, both the access token (on an API
request) and the refresh token (on auth-token/refresh/) answer 401, and stay refused after a reactivation.
"""

from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.services import user_update
from testpress.api.auth import issue_refresh_token, issue_token
from tests.admin_cases import change_form_data
from tests.factories import UserFactory
from tests.spreadsheets import admin_import_confirm, admin_import_preview, spreadsheet

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "demo-pass-123"
NEW_PASSWORD = "Fresh-Passphrase-62"
LOGIN = "/api/v2.1/auth-token/"
REFRESH = "/api/v2.1/auth-token/refresh/"
PROTECTED = "/api/v2.1/exams/"


def log_in(username: str, password: str = OLD_PASSWORD) -> dict:
    response = APIClient().post(LOGIN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def access_status(tokens: dict) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {tokens['token']}")
    return client.get(PROTECTED).status_code


def refresh_status(tokens: dict) -> int:
    return APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code


def assert_refused(tokens: dict):
    assert (access_status(tokens), refresh_status(tokens)) == (401, 401)


def assert_working(tokens: dict):
    assert (access_status(tokens), refresh_status(tokens)) == (200, 200)


def superuser_browser() -> Client:
    browser = Client()
    browser.force_login(UserFactory(staff=True))
    return browser


def superuser_api() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {log_in(UserFactory(staff=True).username)['token']}")
    return client


def password_form_url(user) -> str:
    # Django's UserAdmin names its password page so whatever the user model.
    return reverse("admin:auth_user_password_change", args=[user.pk])


def admin_api_patch(user, **body):
    response = superuser_api().patch(f"/api/v2.5/admin/users/{user.pk}/", body, format="json")
    assert response.status_code == 200, response.content


def admin_change_form_active(user, active: bool):
    browser = superuser_browser()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = browser.post(url, change_form_data(browser, url, is_active=active))
    assert response.status_code == 302, response.context["adminform"].form.errors


# --- The ways a password changes: each sets NEW_PASSWORD ------------------------------------------


def through_the_admin_api(user):
    admin_api_patch(user, password=NEW_PASSWORD)


def through_the_django_admin_password_form(user):
    url = password_form_url(user)
    body = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    response = superuser_browser().post(url, body)
    assert response.status_code == 302, response.context["form"].errors


def through_changepassword(user, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", user.username, stdout=StringIO())


def through_user_update(user):
    user_update(user=User.objects.get(pk=user.pk), changed_by=None, password=NEW_PASSWORD)


def through_the_spreadsheet_import(user):
    browser = superuser_browser()
    content = spreadsheet([["username", "password"], [user.username, NEW_PASSWORD]])
    response = admin_import_confirm(browser, User, admin_import_preview(browser, User, content))
    assert response.status_code == 302


PASSWORD_CHANGES = {
    "admin-api-patch": through_the_admin_api,
    "django-admin-password-form": through_the_django_admin_password_form,
    "changepassword-command": through_changepassword,
    "user-update-service": through_user_update,
    "spreadsheet-import": through_the_spreadsheet_import,
}


@pytest.mark.parametrize("change", PASSWORD_CHANGES.values(), ids=PASSWORD_CHANGES.keys())
def test_a_password_change_refuses_the_tokens_issued_before_it(change, monkeypatch):
    student = UserFactory()
    before = log_in(student.username)
    assert_working(before)

    if change is through_changepassword:
        change(student, monkeypatch)
    else:
        change(student)

    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert_refused(before)
    # The new password's tokens work.
    assert_working(log_in(student.username, NEW_PASSWORD))


def test_disabling_password_login_in_the_django_admin_refuses_the_tokens():
    student = UserFactory()
    before = log_in(student.username)
    # The form's "Disable password-based authentication" button.
    body = {"usable_password": "false", "unset-password": "1"}
    response = superuser_browser().post(password_form_url(student), body)

    assert response.status_code == 302
    student.refresh_from_db()
    assert not student.has_usable_password()
    assert_refused(before)


# --- Deactivation, then reactivation ------------------------------------------------------------


def deactivate_and_reactivate_through_the_admin_api(user):
    admin_api_patch(user, is_active=False)
    admin_api_patch(user, is_active=True)


def deactivate_and_reactivate_through_the_django_admin(user):
    admin_change_form_active(user, False)
    admin_change_form_active(user, True)


def deactivate_and_reactivate_through_user_update(user):
    user_update(user=User.objects.get(pk=user.pk), changed_by=None, is_active=False)
    user_update(user=User.objects.get(pk=user.pk), changed_by=None, is_active=True)


def deactivate_and_reactivate_on_the_model(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.is_active = True
    user.save(update_fields=["is_active"])


REACTIVATIONS = {
    "admin-api-patch": deactivate_and_reactivate_through_the_admin_api,
    "django-admin-change-form": deactivate_and_reactivate_through_the_django_admin,
    "user-update-service": deactivate_and_reactivate_through_user_update,
    "model-save-update-fields": deactivate_and_reactivate_on_the_model,
}


@pytest.mark.parametrize("cycle", REACTIVATIONS.values(), ids=REACTIVATIONS.keys())
def test_tokens_from_before_a_deactivation_stay_refused_after_reactivation(cycle):
    student = UserFactory()
    before = log_in(student.username)

    cycle(student)

    student.refresh_from_db()
    assert student.is_active
    assert_refused(before)
    assert_working(log_in(student.username))


def test_while_deactivated_every_token_is_refused_and_no_login_succeeds():
    student = UserFactory()
    before = log_in(student.username)
    admin_api_patch(student, is_active=False)
    assert_refused(before)
    response = APIClient().post(LOGIN, {"username": student.username, "password": OLD_PASSWORD})
    assert response.status_code == 400


# --- What must not end anyone's tokens ---------------------------------------------------------


def test_changing_a_students_profile_keeps_their_tokens():
    student = UserFactory()
    before = log_in(student.username)
    admin_api_patch(student, first_name="Renamed", email="renamed@example.com", batches=["Morning"])
    user_update(user=User.objects.get(pk=student.pk), changed_by=None, last_name="Other")
    assert_working(before)


def test_another_users_password_change_keeps_this_users_tokens():
    student, neighbour = UserFactory(), UserFactory()
    before = log_in(student.username)
    through_user_update(neighbour)
    assert_working(before)


def test_a_login_that_upgrades_the_password_hash_keeps_the_other_tokens():
    """Django re-hashes a password on login when its hasher's settings moved on: not a password change."""
    # A salt shorter than the hasher wants now: the next successful login stores a new hash.
    student = UserFactory()
    User.objects.filter(pk=student.pk).update(password=make_password(OLD_PASSWORD, salt="short"))
    other_device = {"token": issue_token(student), "refresh": issue_refresh_token(student)}

    log_in(student.username)

    assert User.objects.get(pk=student.pk).password.split("$")[1] != "short"
    assert_working(other_device)


# --- The token_version claim ---------------------------------------------------------------------


def test_two_changes_saved_from_copies_loaded_at_once_both_count():
    student = UserFactory()
    first, second = User.objects.get(pk=student.pk), User.objects.get(pk=student.pk)
    first.set_password(NEW_PASSWORD)
    first.save()
    after_first = log_in(student.username, NEW_PASSWORD)

    # Loaded before the first change: its save must not write back the version the first one replaced.
    second.set_password("Third-Passphrase-40")
    second.save()

    assert_refused(after_first)
    assert second.token_version == User.objects.get(pk=student.pk).token_version == 2


def test_a_token_issued_before_the_claim_existed_works_until_the_next_change():
    student = UserFactory()
    # simplejwt's own tokens, as testpress issued them before: no token_version claim.
    tokens = {"token": str(AccessToken.for_user(student)), "refresh": str(RefreshToken.for_user(student))}
    assert_working(tokens)

    through_user_update(student)

    assert_refused(tokens)


@pytest.mark.parametrize("claim", ["0", 0.0, False, None, [0], -1, 1])
def test_a_signed_token_with_another_version_claim_is_refused(claim):
    student = UserFactory()
    access, refresh = AccessToken.for_user(student), RefreshToken.for_user(student)
    access["token_version"] = refresh["token_version"] = claim
    assert_refused({"token": str(access), "refresh": str(refresh)})
