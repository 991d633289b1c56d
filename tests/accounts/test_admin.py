import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import Batch, User
from exams.models import Exam
from tests.admin_cases import AdminSmokeCases, change_form_data
from tests.factories import BatchFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestBatchAdmin(AdminSmokeCases):
    model = Batch

    def make_row(self):
        batch = BatchFactory()
        UserFactory(batches=[batch])
        return batch

    def changelist_queries(self, row):
        return [f"q={row.name}", "o=2"]

    def test_the_list_counts_each_batch_students(self, browser):
        batch = BatchFactory()
        UserFactory.create_batch(2, batches=[batch])
        response = browser.get(self.admin_url("changelist"))
        assert response.context["cl"].result_list.get(pk=batch.pk).students__count == 2


class TestDeletingABatch:
    """The confirmation names the exams no student will see afterwards, before anything is deleted."""

    @pytest.fixture
    def browser(self, client, staff):
        client.force_login(staff)
        return client

    @pytest.fixture
    def batches(self):
        morning, evening = BatchFactory(name="Morning"), BatchFactory(name="Evening")
        ExamFactory(title="Morning mock", batches=[morning])
        ExamFactory(title="Shared mock", batches=[morning, evening])
        ExamFactory(title="Open mock")
        return morning, evening

    @staticmethod
    def hidden_exams(response) -> list[str]:
        assert response.status_code == 200
        return [exam.title for exam in response.context["exams_left_without_batches"]]

    def test_the_delete_page_names_the_exams_left_for_no_student(self, browser, batches):
        morning, _ = batches
        url = reverse("admin:accounts_batch_delete", args=[morning.pk])

        response = browser.get(url)

        assert self.hidden_exams(response) == ["Morning mock"]
        content = response.content.decode()
        assert "Afterwards no student will see them" in content
        assert "Morning mock" in content and "Shared mock" not in content
        assert Batch.objects.filter(pk=morning.pk).exists()

        assert browser.post(url, {"post": "yes"}).status_code == 302
        exam = Exam.objects.get(title="Morning mock")
        assert exam.restricted_to_batches and not exam.batches.exists()

    def test_the_delete_selected_page_names_them_too(self, browser, batches):
        response = browser.post(
            reverse("admin:accounts_batch_changelist"),
            {"action": "delete_selected", "_selected_action": [batch.pk for batch in batches]},
        )

        assert self.hidden_exams(response) == ["Morning mock", "Shared mock"]
        assert "Shared mock" in response.content.decode()
        assert Batch.objects.count() == 2

    def test_a_batch_no_exam_depends_on_shows_no_warning(self, browser, batches):
        _, evening = batches
        response = browser.get(reverse("admin:accounts_batch_delete", args=[evening.pk]))
        assert self.hidden_exams(response) == []
        assert "no student will see" not in response.content.decode()


class TestUserAdmin(AdminSmokeCases):
    model = User

    def make_row(self):
        return UserFactory(batches=[BatchFactory()])

    def changelist_queries(self, row):
        return [
            f"q={row.username}",
            f"q={row.email}",
            f"q={row.phone}",
            f"batches__id__exact={row.batches.get().pk}",
            "is_staff__exact=0",
            "is_active__exact=1",
        ]

    def test_staff_adds_a_student_with_phone_and_batches(self, browser):
        batch = BatchFactory(name="JEE 2026")
        response = browser.post(
            reverse("admin:accounts_user_add"),
            {
                "username": "new-student",
                "usable_password": "true",
                "password1": "a-long-passphrase-9",
                "password2": "a-long-passphrase-9",
                "email": "new@example.com",
                "phone": "9845012345",
                "batches": [batch.pk],
            },
        )
        assert response.status_code == 302
        user = User.objects.get(username="new-student")
        assert user.phone == "9845012345"
        assert list(user.batches.all()) == [batch]
        assert user.check_password("a-long-passphrase-9")


# Everything the Django admin asks to manage users, and no more.
USER_MANAGER_PERMISSIONS = ["accounts.view_user", "accounts.add_user", "accounts.change_user"]


def password_form(password: str) -> dict:
    """The admin's password page, filled in with a new password."""
    return {"password1": password, "password2": password, "usable_password": "true"}


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


class TestStaffAccountsAreForSuperusers:
    """The rule of accounts.services.may_change_user, in the Django admin: a staff member allowed to
    change users changes students, never a staff or superuser account, and grants no privileges."""

    @pytest.fixture
    def manager(self):
        return signed_in(UserFactory(is_staff=True, permissions=USER_MANAGER_PERMISSIONS))

    @pytest.mark.parametrize("target", ["superuser", "staff"])
    def test_the_password_page_of_a_staff_account_is_refused(self, manager, target):
        victim = UserFactory(staff=True) if target == "superuser" else UserFactory(is_staff=True)
        url = reverse("admin:auth_user_password_change", args=[victim.pk])
        body = {
            "password1": "Taken-Over-Pass-55",
            "password2": "Taken-Over-Pass-55",
            "usable_password": "true",
        }

        assert manager.get(url).status_code == 403
        assert manager.post(url, body).status_code == 403

        victim.refresh_from_db()
        assert victim.check_password("demo-pass-123")

    def test_a_staff_account_is_shown_read_only(self, manager):
        victim = UserFactory(staff=True, first_name="Root")
        url = reverse("admin:accounts_user_change", args=[victim.pk])

        page = manager.get(url)
        response = manager.post(url, {"username": victim.username, "first_name": "Changed", "is_active": ""})

        assert page.status_code == 200 and page.context["has_change_permission"] is False
        assert response.status_code == 403
        victim.refresh_from_db()
        assert (victim.first_name, victim.is_active) == ("Root", True)

    def test_a_students_password_is_theirs_to_reset(self, manager):
        student = UserFactory()
        url = reverse("admin:auth_user_password_change", args=[student.pk])
        body = {
            "password1": "Fresh-Passphrase-62",
            "password2": "Fresh-Passphrase-62",
            "usable_password": "true",
        }
        assert manager.post(url, body).status_code == 302
        student.refresh_from_db()
        assert student.check_password("Fresh-Passphrase-62")

    def test_a_student_cannot_be_made_staff_or_given_permissions(self, manager):
        student = UserFactory()
        url = reverse("admin:accounts_user_change", args=[student.pk])
        data = change_form_data(manager, url, first_name="Renamed")
        everything = Permission.objects.values_list("pk", flat=True)
        data.update(is_staff="on", is_superuser="on", user_permissions=list(everything))

        assert manager.post(url, data).status_code == 302

        student.refresh_from_db()
        assert student.first_name == "Renamed"
        assert (student.is_staff, student.is_superuser, student.user_permissions.count()) == (False, False, 0)

    def test_a_superuser_grants_staff_and_sets_staff_passwords(self):
        superuser = signed_in(UserFactory(staff=True))
        student, staff = UserFactory(), UserFactory(is_staff=True)
        url = reverse("admin:accounts_user_change", args=[student.pk])
        assert superuser.post(url, change_form_data(superuser, url, is_staff=True)).status_code == 302
        password_url = reverse("admin:auth_user_password_change", args=[staff.pk])
        body = password_form("Reset-By-Super-71")
        assert superuser.post(password_url, body).status_code == 302

        student.refresh_from_db()
        staff.refresh_from_db()
        assert student.is_staff and staff.check_password("Reset-By-Super-71")
