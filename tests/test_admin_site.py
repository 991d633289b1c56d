"""The admin is branded for the product, on one site that every app registers with."""

import pytest
from django.contrib import admin
from django.urls import resolve

from testpress.admin_site import BrandedAdminSite

pytestmark = pytest.mark.django_db


def test_the_default_site_is_the_branded_one_and_every_model_is_on_it():
    site = admin.site._wrapped  # admin.site is a lazy object around the default site
    assert isinstance(site, BrandedAdminSite)
    assert len(site._registry) > 10
    assert {model_admin.admin_site for model_admin in site._registry.values()} == {site}
    # /admin/ is served by that very site, not another instance.
    assert resolve("/admin/").func.admin_site is site


def test_the_login_page_names_the_product(client):
    content = client.get("/admin/login/").content.decode()
    assert '<a href="/admin/">Testpress exams</a>' in content
    assert "<title>Log in | Testpress exams</title>" in content


def test_the_home_page_names_the_product(client, staff):
    client.force_login(staff)
    content = client.get("/admin/").content.decode()
    assert '<a href="/admin/">Testpress exams</a>' in content
    assert "<title>Exams, students and results | Testpress exams</title>" in content
    assert "Django administration" not in content
