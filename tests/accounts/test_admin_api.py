"""/api/v2.5/admin/users/: list and enrol students; <id>/: the user an attempt's user_url points at, and
its changes."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Batch, User
from tests.api_cases import StaffOnlyEndpointCases
from tests.factories import BatchFactory, UserFactory
from tests.query_counts import assert_fixed_query_count

LIST_URL = "/api/v2.5/admin/users/"

KEYS = {
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "phone",
    "batches",
    "is_active",
    "is_staff",
    "date_joined",
}


def url_of(user) -> str:
    return f"/api/v2.5/admin/users/{user.id}/"


class TestPermissions(StaffOnlyEndpointCases):
    keys = KEYS
    permissions = ("accounts.view_user",)

    @pytest.fixture
    def url(self, db):
        return url_of(UserFactory())


@pytest.mark.django_db
class TestUserDetail:
    def test_prints_the_user_with_batch_names(self, staff_client):
        user = UserFactory(
            username="asha",
            email="asha@example.com",
            first_name="Asha",
            last_name="Rao",
            phone="9845012345",
            date_joined=datetime(2021, 3, 16, 3, 59, 21, 860924, tzinfo=UTC),
            batches=[BatchFactory(name="Morning"), BatchFactory(name="Evening")],
        )

        body = staff_client.get(url_of(user)).json()

        assert body == {
            "id": user.id,
            "username": "asha",
            "email": "asha@example.com",
            "first_name": "Asha",
            "last_name": "Rao",
            "phone": "9845012345",
            "batches": ["Evening", "Morning"],
            "is_active": True,
            "is_staff": False,
            "date_joined": "2021-03-16T03:59:21.860924Z",
        }

    def test_an_inactive_user_can_still_be_read(self, staff_client):
        user = UserFactory(is_active=False)
        body = staff_client.get(url_of(user)).json()
        assert (body["id"], body["is_active"], body["batches"]) == (user.id, False, [])

    def test_an_unknown_user_is_404(self, staff_client):
        response = staff_client.get("/api/v2.5/admin/users/999999/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


class TestListPermissions(StaffOnlyEndpointCases):
    keys = KEYS
    permissions = ("accounts.view_user",)

    @pytest.fixture
    def url(self, db):
        UserFactory()
        return LIST_URL


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["username"] for row in response.json()["results"]]


def snapshot() -> list[tuple]:
    """Everything a refused write must leave as it was."""
    users = list(User.objects.order_by("pk").values_list("pk", "username", "email", "password", "is_active"))
    links = list(User.batches.through.objects.order_by("pk").values_list("user_id", "batch_id"))
    return [users, links, list(Batch.objects.order_by("pk").values_list("pk", "name"))]


@pytest.mark.django_db
class TestWritePermissions:
    @pytest.mark.parametrize("method, path", [("post", ""), ("patch", "{id}/")])
    def test_anonymous_401_and_student_403_and_nothing_changes(
        self, api_client, student_client, method, path
    ):
        user = UserFactory()
        url = LIST_URL + path.format(id=user.id)
        before = snapshot()
        body = {"username": "newcomer", "password": "a-strong-pass-42", "first_name": "Changed"}

        assert getattr(api_client, method)(url, body).status_code == 401
        assert getattr(student_client, method)(url, body).status_code == 403
        assert snapshot() == before

    @pytest.mark.parametrize("method", ["put", "delete"])
    @pytest.mark.parametrize("path", ["", "{id}/"])
    def test_put_and_delete_are_not_allowed(self, staff_client, method, path):
        user = UserFactory()
        before = snapshot()
        response = getattr(staff_client, method)(LIST_URL + path.format(id=user.id), {"username": "x"})
        assert response.status_code == 405
        assert response.json()["detail"]
        assert snapshot() == before


@pytest.mark.django_db
class TestUserList:
    def test_lists_every_user_by_id_with_the_detail_keys(self, staff_client, staff):
        first, second = UserFactory(username="asha"), UserFactory(username="ravi")
        rows = staff_client.get(LIST_URL).json()["results"]
        assert [row["id"] for row in rows] == [staff.id, first.id, second.id]
        assert all(set(row) == KEYS for row in rows)

    def test_batch_by_name_case_insensitive_or_by_id(self, staff_client):
        morning, evening = BatchFactory(name="Morning"), BatchFactory(name="Evening")
        UserFactory(username="early", batches=[morning])
        UserFactory(username="both", batches=[morning, evening])
        UserFactory(username="late", batches=[evening])
        UserFactory(username="none")

        assert names(staff_client.get(LIST_URL, {"batch": "morning"})) == ["early", "both"]
        assert names(staff_client.get(LIST_URL, {"batch": evening.id})) == ["both", "late"]
        assert names(staff_client.get(LIST_URL, {"batch": "Night"})) == []

    def test_a_batch_named_by_a_number_is_found_by_that_name(self, staff_client):
        numbered = BatchFactory(name="2024")
        UserFactory(username="class-of-2024", batches=[numbered])
        assert names(staff_client.get(LIST_URL, {"batch": "2024"})) == ["class-of-2024"]
        assert names(staff_client.get(LIST_URL, {"batch": "99999999999999999999"})) == []

    @pytest.mark.parametrize("value", ["²", "٣", "9" * 5000])
    def test_a_batch_that_only_looks_like_a_number_matches_nothing(self, staff_client, value):
        UserFactory(username="in-a-batch", batches=[BatchFactory(name="Morning")])
        assert names(staff_client.get(LIST_URL, {"batch": value})) == []

    def test_q_finds_each_word_in_username_email_or_names(self, staff_client):
        UserFactory(username="asha", email="asha@school.in", first_name="Asha", last_name="Rao")
        UserFactory(username="ravi", email="ravi@example.com", first_name="Ravi", last_name="Kumar")
        UserFactory(username="meera", email="meera@SCHOOL.in", first_name="Meera", last_name="Rao")

        assert names(staff_client.get(LIST_URL, {"q": "school"})) == ["asha", "meera"]
        assert names(staff_client.get(LIST_URL, {"q": "RAO"})) == ["asha", "meera"]
        assert names(staff_client.get(LIST_URL, {"q": "asha rao"})) == ["asha"]
        assert names(staff_client.get(LIST_URL, {"q": "kum"})) == ["ravi"]

    def test_q_takes_ten_words_and_more_is_a_400_naming_it(self, staff_client):
        UserFactory(username="asha", first_name="Asha", last_name="Rao")
        assert names(staff_client.get(LIST_URL, {"q": " ".join(["rao"] * 10)})) == ["asha"]
        # Thousands of words made a WHERE clause SQLite refuses to nest (a 500).
        for words in (11, 4000):
            response = staff_client.get(LIST_URL, {"q": " ".join(["a"] * words)})
            assert (response.status_code, response.json()) == (400, {"q": ["Search with at most 10 words."]})

    def test_is_staff_picks_staff_or_students(self, staff_client, staff):
        UserFactory(username="pupil")
        assert names(staff_client.get(LIST_URL, {"is_staff": "true"})) == [staff.username]
        assert names(staff_client.get(LIST_URL, {"is_staff": "false"})) == ["pupil"]

    @pytest.mark.parametrize("value", ["yes", "1", "True", "maybe"])
    def test_an_invalid_is_staff_is_a_400_naming_it(self, staff_client, value):
        response = staff_client.get(LIST_URL, {"is_staff": value})
        assert response.status_code == 400
        assert list(response.json()) == ["is_staff"]

    def test_the_query_count_does_not_grow_with_the_page(self, staff_client, django_assert_num_queries):
        batch = BatchFactory()
        # The token's user, COUNT(*), the page of users, their batches.
        assert_fixed_query_count(
            django_assert_num_queries,
            staff_client,
            LIST_URL + "?is_staff=false",
            make_row=lambda: UserFactory(batches=[batch, BatchFactory()]),
            expected=4,
        )


NEW_STUDENT = {
    "username": "asha",
    "password": "a-strong-pass-42",
    "first_name": "Asha",
    "last_name": "Rao",
    "email": "asha@example.com",
    "phone": "9845012345",
    "batches": ["Morning", "Evening"],
}


@pytest.mark.django_db
class TestCreate:
    def test_enrols_a_student_with_batches_by_name(self, staff_client):
        existing = BatchFactory(name="Morning")

        response = staff_client.post(LIST_URL, NEW_STUDENT)

        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == KEYS and "password" not in body
        user = User.objects.get(username="asha")
        assert body["id"] == user.id
        assert (body["email"], body["phone"], body["batches"]) == (
            "asha@example.com",
            "9845012345",
            ["Evening", "Morning"],
        )
        assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
        assert user.check_password("a-strong-pass-42")
        assert existing in user.batches.all() and Batch.objects.count() == 2

    def test_the_new_student_can_log_in(self, staff_client, api_client):
        staff_client.post(LIST_URL, NEW_STUDENT)
        response = api_client.post(
            "/api/v2.5/auth-token/", {"username": "asha", "password": "a-strong-pass-42"}
        )
        assert response.status_code == 200 and response.json()["token"]

    def test_only_username_and_password_are_required(self, staff_client):
        response = staff_client.post(LIST_URL, {"username": "min", "password": "a-strong-pass-42"})
        assert response.status_code == 201
        assert (response.json()["email"], response.json()["batches"]) == ("", [])

    def test_the_username_is_stored_normalized(self, staff_client):
        response = staff_client.post(LIST_URL, {"username": "ｂｅｅ", "password": "a-strong-pass-42"})
        assert (response.status_code, response.json()["username"]) == (201, "bee")

    def test_is_staff_in_the_body_does_not_make_staff(self, staff_client):
        response = staff_client.post(LIST_URL, {**NEW_STUDENT, "is_staff": True, "is_superuser": True})
        assert response.status_code == 201
        assert response.json()["is_staff"] is False
        assert User.objects.get(username="asha").is_superuser is False

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"username": "ASHA"}, "username"),
            # Full-width forms: NFKC makes them "asha" and "ASHA", both taken.
            ({"username": "ａsha"}, "username"),
            ({"username": "ＡＳＨＡ"}, "username"),
            ({"password": "password"}, "password"),
            ({"password": "12345678901"}, "password"),
            ({"password": "asha"}, "password"),
            ({"password": ""}, "password"),
            ({"username": ""}, "username"),
            ({"username": "has space"}, "username"),
            ({"email": "not-an-email"}, "email"),
            ({"phone": "9" * 40}, "phone"),
            ({"batches": ["x" * 200]}, "batches"),
            ({"batches": [f"Batch {n}" for n in range(51)]}, "batches"),
            ({"batches": ["Morning"] * 200_000}, "batches"),
        ],
    )
    def test_a_bad_field_is_a_400_naming_it_and_changes_nothing(self, staff_client, change, field):
        UserFactory(username="asha")
        before = snapshot()

        response = staff_client.post(LIST_URL, {**NEW_STUDENT, **change})

        assert response.status_code == 400
        assert field in response.json()
        assert "a-strong-pass-42" not in response.content.decode()
        assert snapshot() == before

    @pytest.mark.parametrize("missing", ["username", "password"])
    def test_a_missing_required_field_is_a_400(self, staff_client, missing):
        body = {key: value for key, value in NEW_STUDENT.items() if key != missing}
        response = staff_client.post(LIST_URL, body)
        assert response.status_code == 400
        assert list(response.json()) == [missing]
        assert not User.objects.filter(username="asha").exists()


@pytest.mark.django_db
class TestUpdate:
    def test_changes_the_given_fields_only(self, staff_client):
        user = UserFactory(username="asha", first_name="Asha", last_name="Rao", email="a@example.com")

        response = staff_client.patch(url_of(user), {"last_name": "Iyer", "phone": ""})

        assert response.status_code == 200, response.content
        user.refresh_from_db()
        assert (user.first_name, user.last_name, user.email, user.phone) == (
            "Asha",
            "Iyer",
            "a@example.com",
            "",
        )
        assert response.json()["last_name"] == "Iyer"

    def test_batches_by_name_replace_the_users_batches(self, staff_client):
        user = UserFactory(batches=[BatchFactory(name="Morning"), BatchFactory(name="Evening")])

        response = staff_client.patch(url_of(user), {"batches": ["Evening", "Weekend"]})

        assert response.json()["batches"] == ["Evening", "Weekend"]
        assert sorted(user.batches.values_list("name", flat=True)) == ["Evening", "Weekend"]
        assert Batch.objects.filter(name="Morning").exists()

    def test_fifty_batches_are_taken_and_fifty_one_refused(self, staff_client):
        user = UserFactory(username="asha")
        fifty = [f"Batch {n}" for n in range(50)]
        assert staff_client.patch(url_of(user), {"batches": fifty}).status_code == 200
        response = staff_client.patch(url_of(user), {"batches": [*fifty, "One more"]})
        assert (response.status_code, response.json()) == (
            400,
            {"batches": ["Ensure this field has no more than 50 elements."]},
        )
        assert user.batches.count() == 50

    def test_an_empty_batch_list_removes_every_batch(self, staff_client):
        user = UserFactory(batches=[BatchFactory(name="Morning")])
        assert staff_client.patch(url_of(user), {"batches": []}).json()["batches"] == []

    def test_a_new_password_is_set_and_never_printed(self, staff_client):
        user = UserFactory()
        response = staff_client.patch(url_of(user), {"password": "another-pass-77"})
        assert response.status_code == 200 and "password" not in response.json()
        user.refresh_from_db()
        assert user.check_password("another-pass-77")

    def test_a_user_can_be_deactivated(self, staff_client):
        user = UserFactory()
        assert staff_client.patch(url_of(user), {"is_active": False}).json()["is_active"] is False
        user.refresh_from_db()
        assert user.is_active is False

    def test_is_staff_cannot_be_granted_here(self, staff_client):
        user = UserFactory()
        assert staff_client.patch(url_of(user), {"is_staff": True}).status_code == 200
        user.refresh_from_db()
        assert user.is_staff is False

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"username": "TAKEN"}, "username"),
            ({"username": "ｔaken"}, "username"),
            ({"username": "ＴＡＫＥＮ"}, "username"),
            ({"password": "password"}, "password"),
            ({"email": "nope"}, "email"),
            ({"is_active": "sometimes"}, "is_active"),
            ({"username": "free", "batches": "Morning"}, "batches"),
        ],
    )
    def test_a_bad_field_is_a_400_naming_it_and_changes_nothing(self, staff_client, change, field):
        UserFactory(username="taken")
        user = UserFactory(username="asha", batches=[BatchFactory(name="Evening")])
        before = snapshot()

        response = staff_client.patch(url_of(user), change)

        assert response.status_code == 400
        assert field in response.json()
        assert snapshot() == before

    def test_an_unknown_user_is_404(self, staff_client):
        response = staff_client.patch("/api/v2.5/admin/users/999999/", {"first_name": "X"})
        assert response.status_code == 404


PROTECTED = {
    "detail": "Only a superuser may change a staff or superuser account.",
    "error_code": "staff_account",
}


def can_sign_in_to_the_django_admin(username: str, password: str) -> bool:
    browser = Client()
    browser.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return browser.get("/admin/").status_code == 200


@pytest.mark.django_db
class TestStaffAccounts:
    """Setting a password is taking an account over: only a superuser may change a staff one."""

    @pytest.fixture
    def user_manager(self):
        # Everything the Django admin asks to manage users, and no more.
        return UserFactory(
            is_staff=True, permissions=["accounts.view_user", "accounts.add_user", "accounts.change_user"]
        )

    @pytest.mark.parametrize("holds_user_permissions", [False, True], ids=["no-rights", "user-manager"])
    def test_staff_cannot_take_over_the_superuser(self, client_for, user_manager, holds_user_permissions):
        superuser = UserFactory(staff=True, username="root")
        attacker = user_manager if holds_user_permissions else UserFactory(is_staff=True)
        before = snapshot()

        response = client_for(attacker).patch(url_of(superuser), {"password": "Taken-Over-Pass-55"})

        assert response.status_code == 403
        if holds_user_permissions:
            assert response.json() == PROTECTED
        assert snapshot() == before
        assert not can_sign_in_to_the_django_admin("root", "Taken-Over-Pass-55")
        assert can_sign_in_to_the_django_admin("root", "demo-pass-123")

    @pytest.mark.parametrize(
        "change",
        [
            {"password": "Taken-Over-Pass-55"},
            {"is_active": False},
            {"username": "renamed"},
            {"first_name": "X"},
        ],
        ids=["password", "is_active", "username", "first_name"],
    )
    @pytest.mark.parametrize("target", ["superuser", "other-staff", "themselves"])
    def test_a_user_manager_changes_no_staff_account(self, client_for, user_manager, change, target):
        victim = {
            "superuser": lambda: UserFactory(staff=True),
            "other-staff": lambda: UserFactory(is_staff=True),
            "themselves": lambda: user_manager,
        }[target]()
        before = snapshot()

        response = client_for(user_manager).patch(url_of(victim), change)

        assert (response.status_code, response.json()) == (403, PROTECTED)
        assert snapshot() == before

    def test_a_user_manager_changes_students(self, client_for, user_manager):
        student = UserFactory()
        response = client_for(user_manager).patch(
            url_of(student), {"password": "Fresh-Pass-91", "is_active": False}
        )
        assert response.status_code == 200
        student.refresh_from_db()
        assert student.check_password("Fresh-Pass-91") and not student.is_active

    def test_a_superuser_sets_a_staff_members_password(self, client_for):
        staff = UserFactory(is_staff=True, username="teacher")
        response = client_for(UserFactory(staff=True)).patch(url_of(staff), {"password": "Reset-By-Super-71"})
        assert response.status_code == 200
        assert can_sign_in_to_the_django_admin("teacher", "Reset-By-Super-71")


@pytest.mark.django_db
class TestModelPermissions:
    """Each method asks for its model permission, as the Django admin's pages do."""

    @pytest.mark.parametrize(
        "permissions, allowed",
        [
            ([], False),
            (["accounts.view_user"], False),
            (["accounts.change_user"], False),
            (["accounts.add_user"], True),
        ],
        ids=["none", "view", "change", "add"],
    )
    def test_enrolling_needs_add_user(self, client_for, permissions, allowed):
        client = client_for(UserFactory(is_staff=True, permissions=permissions))
        response = client.post(LIST_URL, NEW_STUDENT)
        assert response.status_code == (201 if allowed else 403)
        assert User.objects.filter(username="asha").exists() is allowed

    @pytest.mark.parametrize(
        "permissions, allowed",
        [
            ([], False),
            (["accounts.view_user"], False),
            (["accounts.add_user"], False),
            (["accounts.change_user"], True),
        ],
        ids=["none", "view", "add", "change"],
    )
    def test_changing_needs_change_user(self, client_for, permissions, allowed):
        student = UserFactory()
        client = client_for(UserFactory(is_staff=True, permissions=permissions))
        before = snapshot()
        response = client.patch(url_of(student), {"password": "Fresh-Pass-91", "username": "renamed"})
        assert response.status_code == (200 if allowed else 403)
        assert (snapshot() != before) is allowed
