import pytest
from django.urls import reverse

from accounts.models import Batch, User
from exams.models import Exam
from tests.admin_cases import AdminSmokeCases
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
