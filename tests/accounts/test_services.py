"""accounts.services: who may change an account (staff and superuser accounts are for superusers)."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.errors import StaffAccountProtected
from accounts.models import User
from accounts.services import may_change_user, user_create, user_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def kinds() -> dict[str, User]:
    return {
        "student": UserFactory(),
        # Staff holding every user permission: model permissions do not open staff accounts.
        "staff": UserFactory(
            is_staff=True, permissions=["accounts.view_user", "accounts.change_user", "accounts.add_user"]
        ),
        "superuser": UserFactory(staff=True),
        # Not staff, yet a superuser: as much to protect as any staff account.
        "superuser-not-staff": UserFactory(is_superuser=True),
    }


# (who changes, whose account): allowed?
RULES = {
    ("staff", "student"): True,
    ("staff", "staff"): False,
    ("staff", "superuser"): False,
    ("staff", "superuser-not-staff"): False,
    ("superuser", "student"): True,
    ("superuser", "staff"): True,
    ("superuser", "superuser"): True,
    ("superuser", "superuser-not-staff"): True,
    (None, "staff"): True,
    (None, "superuser"): True,
}


@pytest.mark.parametrize("actor, target", RULES.keys(), ids=[f"{a}-changes-{t}" for a, t in RULES])
def test_may_change_user(actor, target):
    users = kinds()
    changed_by = users[actor] if actor else None
    assert may_change_user(changed_by=changed_by, user=users[target]) is RULES[actor, target]


def test_staff_may_not_change_their_own_account():
    staff = UserFactory(is_staff=True, permissions=["accounts.change_user"])
    assert may_change_user(changed_by=staff, user=staff) is False


@pytest.mark.parametrize(
    "change",
    [{"password": "Taken-Over-Pass-55"}, {"is_active": False}, {"username": "renamed"}, {"first_name": "X"}],
    ids=["password", "is_active", "username", "first_name"],
)
@pytest.mark.parametrize("target", ["staff", "superuser"])
def test_user_update_by_staff_on_a_staff_account_is_refused_and_changes_nothing(change, target):
    users = kinds()
    victim = users[target]
    before = User.objects.filter(pk=victim.pk).values().get()

    with pytest.raises(StaffAccountProtected):
        user_update(user=User.objects.get(pk=victim.pk), changed_by=users["staff"], **change)

    assert User.objects.filter(pk=victim.pk).values().get() == before


def test_a_superuser_sets_a_staff_members_password():
    staff = UserFactory(is_staff=True)
    user_update(user=staff, changed_by=UserFactory(staff=True), password="Reset-By-Super-71")
    staff.refresh_from_db()
    assert staff.check_password("Reset-By-Super-71")


class TestUsernames:
    @pytest.mark.parametrize("username", ["ａdmin", "ＡＤＭＩＮ", "Admin"])
    def test_one_that_normalizes_to_a_taken_one_in_any_case_is_refused(self, username):
        UserFactory(username="admin")
        with pytest.raises(ValidationError) as refused:
            user_create(username=username, password="a-strong-pass-42")
        assert list(refused.value.message_dict) == ["username"]
        assert User.objects.count() == 1

    def test_a_rename_to_a_full_width_form_of_a_taken_one_is_refused(self):
        UserFactory(username="admin")
        user = UserFactory(username="asha")
        with pytest.raises(ValidationError) as refused:
            user_update(user=user, changed_by=None, username="ａｄｍｉｎ")
        assert list(refused.value.message_dict) == ["username"]
        assert User.objects.get(pk=user.pk).username == "asha"

    def test_one_taken_between_the_check_and_the_insert_is_a_username_error(self, monkeypatch):
        # Another request created "asha" after this one looked: the unique constraint decides.
        UserFactory(username="asha")
        monkeypatch.setattr(services, "_validate", lambda user, *, password: None)
        with pytest.raises(ValidationError) as refused:
            user_create(username="asha", password="a-strong-pass-42")
        assert refused.value.message_dict == {"username": [services.USERNAME_TAKEN]}
        assert User.objects.filter(username="asha").count() == 1
