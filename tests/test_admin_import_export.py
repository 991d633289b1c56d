"""The admin's Import and Export pages ask for the model permissions its own pages do
(testpress/admin_import_export.py): a staff member with no rights can neither enrol users with passwords
of their choosing nor download every user or the question bank with its answer key."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from exams.models import Question
from tests.factories import QuestionFactory, UserFactory
from tests.spreadsheets import spreadsheet

pytestmark = pytest.mark.django_db

MODELS = {"users": User, "questions": Question}


def page(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def browser_with(*codenames: str, model) -> Client:
    permissions = [f"{model._meta.app_label}.{codename}_{model._meta.model_name}" for codename in codenames]
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, permissions=permissions))
    return browser


@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
@pytest.mark.parametrize(
    "codenames, can_export",
    [((), False), (("add",), False), (("view",), True), (("change",), True)],
    ids=["none", "add", "view", "change"],
)
def test_export_needs_the_view_permission(model, codenames, can_export):
    QuestionFactory(with_choices=2)
    response = browser_with(*codenames, model=model).get(page(model, "export"))
    assert response.status_code == (200 if can_export else 403)


@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
@pytest.mark.parametrize(
    "codenames, can_import",
    [((), False), (("view",), False), (("add",), False), (("change",), False), (("add", "change"), True)],
    ids=["none", "view", "add", "change", "add-and-change"],
)
def test_import_needs_the_add_and_change_permissions(model, codenames, can_import):
    response = browser_with(*codenames, model=model).get(page(model, "import"))
    assert response.status_code == (200 if can_import else 403)


def test_staff_without_rights_cannot_enrol_a_user_by_import():
    browser = browser_with(model=User)
    upload = {
        "format": "0",
        "import_file": spreadsheet([["username", "password"], ["mole", "Chosen-Pass-83"]]),
    }
    assert browser.post(page(User, "import"), upload).status_code == 403
    assert browser.post(page(User, "process_import"), {"format": "0"}).status_code == 403
    assert not User.objects.filter(username="mole").exists()
