import pytest
from django.urls import reverse

from accounts.models import Batch, User
from tests.admin_cases import AdminSmokeCases
from tests.factories import BatchFactory, UserFactory

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
